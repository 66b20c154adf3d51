import { createHash } from 'node:crypto';
import { DECIDED_BY_DATABASE, ISO, TestApp, answer, uid, type Json } from './harness.js';
import {
  OWNER,
  READER,
  STRANGER,
  WRITER,
  addMembers,
  createCollection,
  createDataset,
  getCollection,
  ids,
  link,
  removeMembers,
  workspace,
} from './factories.js';

/*
 * Frozen dataset versions (docs/CONTRACT.md, "Versions"): freeze, read, members, manifest and its
 * digest, diff, tags, restore and delete, and that nothing done to the live data afterwards
 * changes what a version answers.
 */

describe('versions', () => {
  let t: TestApp;
  let ns: string;
  let P: string;
  let projectSlug: string;

  beforeAll(async () => {
    t = await TestApp.start();
    ({ ns, path: P, projectSlug } = await workspace(t));
  });
  afterAll(async () => {
    await t.close();
  });

  /** A dataset with collections `a` (ids a-0…a-(na-1)) and `b` (b-0…): its name and base path. */
  async function dataset(na = 3, nb = 2): Promise<{ name: string; D: string; a: string; b: string }> {
    const name = `d-${uid()}`;
    await createDataset(t, P, { name });
    const a = `a-${uid()}`;
    const b = `b-${uid()}`;
    await createCollection(t, P, { name: a, members: ids('a', na), description: 'first', tags: ['x'] });
    await createCollection(t, P, { name: b, members: ids('b', nb) });
    await link(t, P, name, [a, b]);
    return { name, D: `${P}/datasets/${name}`, a, b };
  }

  const freeze = async (D: string, body: Json = {}, as = WRITER) => t.exchange('post', `${D}/versions`, { as, body });

  describe('POST …/versions', () => {
    it('201 with the version object and its Location; numbers 1, 2, …', async () => {
      const { name, D, a, b } = await dataset();
      const datasetId = (await t.get(D, READER)).body.id;
      const first = await freeze(D, { message: 'Monday', tags: ['production', 'candidate'] });
      expect(first.status).toBe(201);
      expect(first.headers.location).toBe(`/namespaces/${ns}/projects/${projectSlug}/datasets/${name}/versions/1`);
      const byName = [a, b].sort();
      expect(first.body).toEqual({
        version: 1,
        datasetId,
        datasetName: name,
        message: 'Monday',
        tags: ['candidate', 'production'],
        createdAt: ISO,
        createdBy: WRITER,
        memberCount: 5,
        collectionCount: 2,
        collections: byName.map((n) => ({ name: n, memberCount: n === a ? 3 : 2 })),
        digest: null,
      });
      const second = await freeze(D);
      expect(second.status).toBe(201);
      expect(second.body).toMatchObject({ version: 2, message: null, tags: [] });
    });

    it('409 when a tag is held by another version; 400 for bad tags or a long message; nothing frozen', async () => {
      const { D } = await dataset();
      expect((await freeze(D, { tags: ['production'] })).status).toBe(201);
      expect(await t.post(`${D}/versions`, WRITER, { tags: ['production'] })).toEqual({
        ...answer(
          409,
          `Tags held by another version of dataset '${D.split('/').at(-1)}': 'production'; nothing was frozen (move a tag with PUT …/versions/:n/tags/:tag)`,
        ),
        statements: 1,
      });
      for (const tags of [['12'], ['latest'], ['working'], ['bad tag'], ids('t', 21)]) {
        expect((await t.post(`${D}/versions`, WRITER, { tags })).status).toBe(400);
      }
      expect((await t.post(`${D}/versions`, WRITER, { message: 'x'.repeat(1001) })).status).toBe(400);
      expect((await t.post(`${D}/versions`, WRITER, { extra: 1 })).status).toBe(400);
      const list = await t.get(`${D}/versions`, READER);
      expect(list.body).toMatchObject({ total: 1, totalPages: 1 });
    });

    it('403 for a reader, 404 for a missing dataset and a stranger', async () => {
      const { D } = await dataset();
      expect(await t.post(`${D}/versions`, READER, {})).toEqual({
        ...answer(403, `Your role in namespace '${ns}' is 'reader'; this needs 'writer' or above`),
        statements: 1,
      });
      expect(await t.post(`${P}/datasets/nope/versions`, WRITER, {})).toEqual({
        ...answer(404, `Dataset 'nope' not found in project '${ns}/${projectSlug}'`),
        statements: 1,
      });
      expect((await t.post(`${D}/versions`, STRANGER, {})).status).toBe(404);
    });
  });

  describe('reading a version', () => {
    it('answers the dataset as frozen, whatever happens to the live data afterwards', async () => {
      const { D, a, b } = await dataset();
      const frozen = await freeze(D, { tags: ['v1'] });
      const before = await t.exchange('get', `${D}/versions/1`, { as: READER });
      expect(before.status).toBe(200);
      expect(before.body.collections).toEqual(
        [a, b].sort().map((n) => ({
          id: expect.any(String),
          name: n,
          description: n === a ? 'first' : null,
          tags: n === a ? ['x'] : [],
          metadata: null,
          members: n === a ? ids('a', 3) : ids('b', 2),
          memberCount: n === a ? 3 : 2,
        })),
      );
      // Change everything: members, names, fields, datasets, deletes, purges.
      await addMembers(t, P, a, ['a-new']);
      await removeMembers(t, P, a, ['a-0', 'a-2']);
      expect(
        (await t.patch(`${P}/collections/${a}`, WRITER, { name: `${a}-renamed`, description: 'changed' })).status,
      ).toBe(200);
      expect((await t.delete(`${P}/collections/${b}`, WRITER)).status).toBe(200);
      const trash = await t.get(`${P}/trash`, READER);
      const trashed = (trash.body.items as Json[]).find((i) => i.name === b)!;
      expect((await t.delete(`${P}/trash/${trashed.id}`, OWNER)).status).toBe(200);
      const after = await t.exchange('get', `${D}/versions/1`, { as: READER });
      expect(after.body).toEqual({ ...before.body, digest: after.body.digest });
      expect(after.body.tags).toEqual(['v1']);
      expect(frozen.body.collections).toEqual(
        after.body.collections.map((c: Json) => ({ name: c.name, memberCount: c.memberCount })),
      );
      // By tag and as latest, the same version.
      expect((await t.get(`${D}/versions/v1`, READER)).body.collections).toEqual(after.body.collections);
      expect((await t.get(`${D}/versions/latest`, READER)).body.version).toBe(1);
      // members=false leaves the lists out.
      const bare = await t.get(`${D}/versions/1`, READER, 'members=false');
      expect(bare.body.collections[0]).not.toHaveProperty('members');
    });

    it('a strong ETag, 304, and immutable caching on a number once the digest is known', async () => {
      const { D } = await dataset();
      await freeze(D);
      const digest = await digested(D, 1);
      const res = await t.exchange('get', `${D}/versions/1`, { as: READER });
      expect(res.body.digest).toBe(digest);
      expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
      expect(res.headers['cache-control']).toBe('private, max-age=31536000, immutable');
      const again = await t.exchange('get', `${D}/versions/1`, {
        as: READER,
        headers: { 'If-None-Match': res.headers.etag },
      });
      expect(again.status).toBe(304);
      const latest = await t.exchange('get', `${D}/versions/latest`, { as: READER });
      expect(latest.headers['cache-control']).toBe('private, no-cache');
    });

    it('404 for unknown refs; a soft-deleted dataset hides its versions until restored', async () => {
      const { name, D } = await dataset();
      await freeze(D);
      for (const ref of ['2', 'nope', '0', '99999999999', 'bad%20ref', 'working']) {
        expect((await t.get(`${D}/versions/${ref}`, READER)).status).toBe(404);
      }
      expect(await t.get(`${D}/versions/7`, READER)).toEqual({
        ...answer(404, `Version '7' not found in dataset '${name}' of project '${ns}/${projectSlug}'`),
        statements: 1,
      });
      const id = (await t.get(D, READER)).body.id;
      expect((await t.delete(D, WRITER)).status).toBe(200);
      expect((await t.get(`${D}/versions/1`, READER)).status).toBe(404);
      expect((await t.post(`${P}/trash/${id}/restore`, WRITER)).status).toBe(200);
      expect((await t.get(`${D}/versions/1`, READER)).status).toBe(200);
    });

    it("a frozen collection's members by page and by cursor", async () => {
      const { D, a } = await dataset(7);
      await freeze(D);
      await removeMembers(t, P, a, ['a-1', 'a-4']);
      await addMembers(t, P, a, ['a-9']);
      const page = await t.get(`${D}/versions/1/collections/${a}/members`, READER, 'page=2&pageSize=3');
      expect(page.body).toEqual({
        members: ['a-3', 'a-4', 'a-5'].map((nodeId) => ({ nodeId, addedAt: ISO })),
        page: 2,
        pageSize: 3,
        total: 7,
        totalPages: 3,
      });
      const walked: string[] = [];
      let after = '';
      for (;;) {
        const res = await t.get(`${D}/versions/1/collections/${a}/members`, READER, `limit=2&after=${after}`);
        expect(res.status).toBe(200);
        walked.push(...(res.body.members as Json[]).map((m) => m.nodeId as string));
        if (res.body.nextCursor === null) break;
        after = res.body.nextCursor as string;
      }
      expect(walked).toEqual(ids('a', 7));
      expect((await t.get(`${D}/versions/1/collections/nope/members`, READER)).status).toBe(404);
      const unknown = await t.send('get', `${D}/versions/1/collections/${a}/members?after=a-9`, {
        as: READER,
        statements: DECIDED_BY_DATABASE,
      });
      expect(unknown.status).toBe(400);
    });
  });

  describe('manifest and digest', () => {
    it('NDJSON, collections by name and members in order; the digest is sha256 of exactly those bytes', async () => {
      const { D, a, b } = await dataset(3, 2);
      await freeze(D);
      const digest = await digested(D, 1);
      const res = await t.exchange('get', `${D}/versions/1/manifest`, { as: READER, statements: null, text: true });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      const text = res.text ?? '';
      const lines = [a, b]
        .sort()
        .flatMap((n) =>
          (n === a ? ids('a', 3) : ids('b', 2)).map((id) => JSON.stringify({ collection: n, nodeId: id })),
        );
      expect(text).toBe(lines.map((l) => `${l}\n`).join(''));
      expect(digest).toBe(`sha256:${createHash('sha256').update(text).digest('hex')}`);
      expect(res.headers['repr-digest']).toBe(`sha-256=:${createHash('sha256').update(text).digest('base64')}:`);
    });
  });

  describe('diff', () => {
    it('per collection: added, removed, changed with member counts; working is the live dataset', async () => {
      const { D, a, b } = await dataset(5, 2);
      await freeze(D);
      await addMembers(t, P, a, ['n-1', 'n-2']);
      await removeMembers(t, P, a, ['a-0']);
      const c = `c-${uid()}`;
      await createCollection(t, P, { name: c, members: ['c-0'] });
      await link(t, P, D.split('/').at(-1)!, [c]);
      expect((await t.delete(`${P}/datasets/${D.split('/').at(-1)}/collections`, WRITER, { remove: [b] })).status).toBe(
        200,
      );
      await freeze(D);
      const expected = [
        { name: a, change: 'changed', added: 2, removed: 1 },
        { name: b, change: 'removed', added: 0, removed: 2 },
        { name: c, change: 'added', added: 1, removed: 0 },
      ].sort((x, y) => (x.name < y.name ? -1 : 1));
      expect(await t.get(`${D}/versions/1/diff/2`, READER)).toEqual({
        status: 200,
        body: { from: 1, to: 2, collections: expected },
        statements: 1,
      });
      // Backwards: the same changes, the other way round.
      const back = await t.get(`${D}/versions/2/diff/1`, READER);
      expect(back.body.collections).toEqual(
        expected.map((x) => ({
          ...x,
          change: x.change === 'added' ? 'removed' : x.change === 'removed' ? 'added' : 'changed',
          added: x.removed,
          removed: x.added,
        })),
      );
      // A removal undone is no change; working sees what came after.
      await removeMembers(t, P, a, ['n-1']);
      await addMembers(t, P, a, ['a-0']);
      const working = await t.get(`${D}/versions/2/diff/working`, READER);
      expect(working.body).toEqual({
        from: 2,
        to: 'working',
        collections: [{ name: a, change: 'changed', added: 1, removed: 1 }],
      });
      expect((await t.get(`${D}/versions/1/diff/working`, READER)).body.collections).toContainEqual({
        name: a,
        change: 'changed',
        added: 1,
        removed: 0,
      });
    });

    it('the ids added and removed in one collection, by cursor', async () => {
      const { D, a } = await dataset(6, 1);
      await freeze(D);
      await addMembers(t, P, a, ['n-1', 'n-2', 'n-3']);
      await removeMembers(t, P, a, ['a-1', 'a-3']);
      await freeze(D);
      const all: Json = { added: [], removed: [] };
      let after = '';
      for (;;) {
        const res = await t.get(
          `${D}/versions/1/diff/2/collections/${a}`,
          READER,
          `limit=2${after ? `&after=${after}` : ''}`,
        );
        expect(res.status).toBe(200);
        all.added.push(...res.body.added);
        all.removed.push(...res.body.removed);
        if (res.body.nextCursor === null) break;
        after = res.body.nextCursor;
      }
      expect(all).toEqual({ added: ['n-1', 'n-2', 'n-3'], removed: ['a-1', 'a-3'] });
      expect((await t.get(`${D}/versions/2/diff/1/collections/${a}`, READER)).body).toEqual({
        added: ['a-1', 'a-3'],
        removed: ['n-1', 'n-2', 'n-3'],
        nextCursor: null,
      });
      expect((await t.get(`${D}/versions/1/diff/2/collections/${a}`, READER, 'after=zz')).status).toBe(400);
    });
  });

  describe('tags', () => {
    it('PUT moves a tag between versions; DELETE takes it off; If-Match on both', async () => {
      const { D } = await dataset();
      await freeze(D, { tags: ['production'] });
      await freeze(D);
      const moved = await t.exchange('put', `${D}/versions/2/tags/production`, { as: WRITER });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ version: 2, tags: ['production'] });
      expect((await t.get(`${D}/versions/1`, READER)).body.tags).toEqual([]);
      expect((await t.get(`${D}/versions/production`, READER)).body.version).toBe(2);
      const stale = await t.send('put', `${D}/versions/1/tags/staging`, {
        as: WRITER,
        headers: { 'If-Match': '"stale"' },
      });
      expect(stale.status).toBe(412);
      const current = (await t.exchange('get', `${D}/versions/2`, { as: READER })).headers.etag;
      const off = await t.exchange('delete', `${D}/versions/2/tags/production`, {
        as: WRITER,
        headers: { 'If-Match': current },
      });
      expect(off.status).toBe(200);
      expect(off.body.tags).toEqual([]);
      expect((await t.delete(`${D}/versions/2/tags/production`, WRITER)).status).toBe(404);
      expect((await t.put(`${D}/versions/2/tags/123`, WRITER)).status).toBe(400);
      expect((await t.put(`${D}/versions/9/tags/x`, WRITER)).status).toBe(404);
      expect((await t.put(`${D}/versions/2/tags/x`, READER)).status).toBe(403);
    });
  });

  describe('DELETE …/versions/:n', () => {
    it('admin only; 409 while tagged; the number is never given again', async () => {
      const { D } = await dataset();
      await freeze(D, { tags: ['keep'] });
      await freeze(D);
      expect((await t.delete(`${D}/versions/2`, WRITER)).status).toBe(403);
      expect(await t.delete(`${D}/versions/1`, OWNER)).toEqual({
        ...answer(409, "Version 1 holds tags 'keep'; delete or move them first"),
        statements: 1,
      });
      expect(await t.delete(`${D}/versions/2`, OWNER)).toEqual({ status: 200, body: { success: true }, statements: 1 });
      expect((await t.get(`${D}/versions/2`, READER)).status).toBe(404);
      expect((await freeze(D)).body.version).toBe(3);
      expect((await t.get(`${D}/versions`, READER)).body).toMatchObject({ total: 2 });
    });
  });

  describe('POST …/versions/:ref/restore', () => {
    it('makes the live dataset equal to the version: members and their order, names, fields, collections', async () => {
      const { name, D, a, b } = await dataset(6, 2);
      await freeze(D);
      const frozen = (await t.get(`${D}/versions/1`, READER)).body;
      await removeMembers(t, P, a, ['a-1', 'a-4']);
      await addMembers(t, P, a, ['n-1', 'a-1']);
      expect((await t.patch(`${P}/collections/${a}`, WRITER, { name: `${a}-x`, description: 'later' })).status).toBe(
        200,
      );
      expect((await t.delete(`${P}/collections/${b}`, WRITER)).status).toBe(200);
      const c = `c-${uid()}`;
      await createCollection(t, P, { name: c, members: ['c-0'] });
      await link(t, P, name, [c]);
      const restored = await t.post(`${D}/versions/1/restore`, WRITER);
      expect(restored.status).toBe(200);
      expect(restored.body.collections).toEqual(
        frozen.collections.map((x: Json) => ({ name: x.name, memberCount: x.memberCount })),
      );
      const live = (await t.get(D, READER)).body;
      expect(
        live.collections.map((x: Json) => ({ name: x.name, members: x.members, description: x.description })),
      ).toEqual(
        frozen.collections.map((x: Json) => ({ name: x.name, members: x.members, description: x.description })),
      );
      expect((await getCollection(t, P, c)).datasetId).toBeNull();
      expect((await t.get(`${D}/versions/1/diff/working`, READER)).body.collections).toEqual([]);
      // The version itself did not change.
      expect((await t.get(`${D}/versions/1`, READER)).body.collections).toEqual(frozen.collections);
    });

    it('409 when a name it needs is held by another live collection; nothing changed', async () => {
      const { D, a } = await dataset(2, 1);
      await freeze(D);
      expect((await t.patch(`${P}/collections/${a}`, WRITER, { name: `${a}-moved` })).status).toBe(200);
      await createCollection(t, P, { name: a });
      expect(await t.post(`${D}/versions/1/restore`, WRITER)).toEqual({
        ...answer(
          409,
          `Collections the version needs are held by other live collections of project '${ns}/${projectSlug}': '${a}'; nothing was changed (rename or delete those first)`,
        ),
        statements: 1,
      });
      expect((await getCollection(t, P, `${a}-moved`)).name).toBe(`${a}-moved`);
      expect((await t.post(`${D}/versions/1/restore`, READER)).status).toBe(403);
    });
  });

  /** Waits until the version's digest is computed (it is, right after the freeze, off the request path). */
  async function digested(D: string, version: number): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const res = await t.get(`${D}/versions/${version}`, READER, 'members=false');
      if (res.body.digest) return res.body.digest as string;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('no digest after 5 s');
  }
});
