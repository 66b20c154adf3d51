import { DECIDED_BY_DATABASE, error, ISO, type Json, uid } from '../harness.js';
import { READER, STRANGER, WRITER } from '../factories.js';
import { bootAppWithProject, createCollection, forbidden, getCollection, P, t } from '../suite.js';
import { ids, nonMember, notFound } from './helpers.js';

/* Collections (API.md "Collections"): add, remove and list a collection's members. */

describe('collections', () => {
  bootAppWithProject();

  describe('POST …/collections/:name/members', () => {
    it('200 {added, total}: present ids skipped, new ids appended in the order given', async () => {
      const name = `col-${uid()}`;
      const created = await createCollection(P, { name, members: ['a', 'b', 'c'] });
      const res = await t.post(`${P}/collections/${name}/members`, WRITER, { add: ['e', 'b', 'd', 'e', 'a'] });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ added: 2, total: 5 });
      const got = await getCollection(P, name);
      expect(got.members).toEqual(['a', 'b', 'c', 'e', 'd']);
      expect(got.memberCount).toBe(5);
      expect(got.updatedAt >= created.updatedAt).toBe(true);

      const none = await t.post(`${P}/collections/${name}/members`, WRITER, { add: ['a', 'd'] });
      expect(none.body).toEqual({ added: 0, total: 5 });
      const empty = await t.post(`${P}/collections/${name}/members`, WRITER, { add: [] });
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({ added: 0, total: 5 });
      expect((await getCollection(P, name)).members).toEqual(['a', 'b', 'c', 'e', 'd']);
    });

    it('10,000 ids in one request work; 100,001 are 400', async () => {
      const name = `col-${uid()}`;
      await createCollection(P, { name, members: ['first'] });
      const batch = ids(10_000, 'big');
      const res = await t.post(`${P}/collections/${name}/members`, WRITER, { add: batch });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ added: 10_000, total: 10_001 });
      const got = await getCollection(P, name);
      expect(got.memberCount).toBe(10_001);
      expect(got.members).toEqual(['first', ...batch]);

      const tooMany = await t.post(`${P}/collections/${name}/members`, WRITER, { add: ids(100_001, 'more') });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body).toEqual(error(400, ['add must contain at most 100000 node ids per request']));
      expect((await getCollection(P, name, 'members=false')).memberCount).toBe(10_001);
    });

    it('400 for bad ids and bad bodies; nothing changes', async () => {
      const name = `col-${uid()}`;
      await createCollection(P, { name, members: ['a'] });
      const cases: [unknown, unknown][] = [
        [{ add: ['ok', 'a b'] }, ['add holds invalid node ids: "a b"']],
        [{ add: ['x'.repeat(129)] }, [`add holds invalid node ids: "${'x'.repeat(129)}"`]],
        [{ add: ['é'] }, ['add holds invalid node ids: "é"']],
        [{ add: [1] }, expect.arrayContaining(['each value in add must be a string'])],
        [{ add: ['ok'], members: ['x'] }, ['property members should not exist']],
      ];
      for (const [body, message] of cases) {
        const res = await t.post(`${P}/collections/${name}/members`, WRITER, body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, message));
      }
      expect((await getCollection(P, name)).members).toEqual(['a']);
    });

    it('400 (not 500) when `add` is missing, null or not an array', async () => {
      const name = `col-${uid()}`;
      await createCollection(P, { name });
      for (const body of [{}, { add: null }, { remove: ['a'] }, { add: 'a b' }]) {
        const res = await t.post(`${P}/collections/${name}/members`, WRITER, body);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(Array) });
      }
    });

    it('403 for a reader; 404 for an unknown collection and a non-member', async () => {
      const name = `col-${uid()}`;
      await createCollection(P, { name });
      const reader = await t.post(`${P}/collections/${name}/members`, READER, { add: ['x'] });
      expect(reader.status).toBe(403);
      expect(reader.body).toEqual(forbidden());
      expect((await getCollection(P, name)).members).toEqual([]);
      const missing = `missing-${uid()}`;
      const res = await t.post(`${P}/collections/${missing}/members`, WRITER, { add: ['x'] });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound(missing));
      const stranger = await t.post(`${P}/collections/${name}/members`, STRANGER, { add: ['x'] });
      expect(stranger.status).toBe(404);
      expect(stranger.body).toEqual(nonMember());
    });
  });

  describe('DELETE …/collections/:name/members', () => {
    it('200 {removed, total}: absent ids ignored, the order of the rest kept; re-added ids go last', async () => {
      const name = `col-${uid()}`;
      await createCollection(P, { name, members: ['a', 'b', 'c', 'd', 'e'] });
      const res = await t.delete(`${P}/collections/${name}/members`, WRITER, { remove: ['d', 'zz', 'b', 'b'] });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ removed: 2, total: 3 });
      const got = await getCollection(P, name);
      expect(got.members).toEqual(['a', 'c', 'e']);
      expect(got.memberCount).toBe(3);

      const none = await t.delete(`${P}/collections/${name}/members`, WRITER, { remove: ['b', 'nope'] });
      expect(none.body).toEqual({ removed: 0, total: 3 });

      const readd = await t.post(`${P}/collections/${name}/members`, WRITER, { add: ['b'] });
      expect(readd.body).toEqual({ added: 1, total: 4 });
      expect((await getCollection(P, name)).members).toEqual(['a', 'c', 'e', 'b']);

      const all = await t.delete(`${P}/collections/${name}/members`, WRITER, { remove: ['a', 'b', 'c', 'e'] });
      expect(all.body).toEqual({ removed: 4, total: 0 });
      expect(await getCollection(P, name)).toMatchObject({ members: [], memberCount: 0 });
    });

    it('400 for bad bodies; 403 for a reader; 404 for an unknown collection', async () => {
      const name = `col-${uid()}`;
      await createCollection(P, { name, members: ['a'] });
      for (const [body, message] of [
        [{ remove: ['a b'] }, ['remove holds invalid node ids: "a b"']],
        [{ remove: ids(100_001) }, ['remove must contain at most 100000 node ids per request']],
        [{ remove: ['a'], add: ['b'] }, ['property add should not exist']],
      ] as const) {
        const res = await t.delete(`${P}/collections/${name}/members`, WRITER, body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, message));
      }
      const reader = await t.delete(`${P}/collections/${name}/members`, READER, { remove: ['a'] });
      expect(reader.status).toBe(403);
      expect(reader.body).toEqual(forbidden());
      expect((await getCollection(P, name)).members).toEqual(['a']);
      const missing = `missing-${uid()}`;
      const res = await t.delete(`${P}/collections/${missing}/members`, WRITER, { remove: ['a'] });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound(missing));
    });

    it('400 (not 500) when `remove` is missing or null', async () => {
      const name = `col-${uid()}`;
      await createCollection(P, { name, members: ['a'] });
      for (const body of [{}, { remove: null }]) {
        const res = await t.delete(`${P}/collections/${name}/members`, WRITER, body);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(Array) });
      }
    });
  });

  describe('GET …/collections/:name/members', () => {
    it('page form: {members:[{nodeId, addedAt}], page, pageSize, total, totalPages}', async () => {
      const name = `col-${uid()}`;
      await createCollection(P, { name, members: ['a', 'b', 'c', 'd', 'e'] });
      const entry = (nodeId: string) => ({ nodeId, addedAt: ISO });
      const first = await t.get(`${P}/collections/${name}/members`, READER);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        members: ['a', 'b', 'c', 'd', 'e'].map(entry),
        page: 1,
        pageSize: 50,
        total: 5,
        totalPages: 1,
      });
      const p2 = await t.get(`${P}/collections/${name}/members`, READER, 'page=2&pageSize=2');
      expect(p2.body).toEqual({ members: [entry('c'), entry('d')], page: 2, pageSize: 2, total: 5, totalPages: 3 });
      const p3 = await t.get(`${P}/collections/${name}/members`, READER, 'page=3&pageSize=2');
      expect(p3.body).toEqual({ members: [entry('e')], page: 3, pageSize: 2, total: 5, totalPages: 3 });
      const past = await t.get(`${P}/collections/${name}/members`, READER, 'page=4&pageSize=2');
      expect(past.status).toBe(200);
      expect(past.body).toEqual({ members: [], page: 4, pageSize: 2, total: 5, totalPages: 3 });
      for (const [query, message] of [
        ['pageSize=201', ['pageSize must not be greater than 200']],
        ['page=0', ['page must not be less than 1']],
      ] as const) {
        const res = await t.get(`${P}/collections/${name}/members`, READER, query);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, message));
      }
    });

    it('cursor form: limit then after=<nextCursor> walks every member in order, ending with null', async () => {
      const name = `col-${uid()}`;
      const members = ['m:1', 'm.2', 'm_3', 'M-4', 'm5'];
      await createCollection(P, { name, members });
      const walked: string[] = [];
      let query = 'limit=2';
      const cursors: (string | null)[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await t.get(`${P}/collections/${name}/members`, READER, query);
        expect(res.status).toBe(200);
        expect(Object.keys(res.body).sort()).toEqual(['members', 'nextCursor']);
        for (const m of res.body.members) expect(m).toEqual({ nodeId: expect.any(String), addedAt: ISO });
        walked.push(...res.body.members.map((m: Json) => m.nodeId));
        cursors.push(res.body.nextCursor);
        if (res.body.nextCursor === null) break;
        query = `after=${encodeURIComponent(res.body.nextCursor)}&limit=2`;
      }
      expect(walked).toEqual(members);
      expect(cursors).toEqual(['m.2', 'M-4', null]);

      // a limit that ends exactly at the last member also ends with null
      const exact = await t.get(`${P}/collections/${name}/members`, READER, 'after=m.2&limit=3');
      expect(exact.body).toEqual({
        members: ['m_3', 'M-4', 'm5'].map((nodeId) => ({ nodeId, addedAt: ISO })),
        nextCursor: null,
      });
      const all = await t.get(`${P}/collections/${name}/members`, READER, 'limit=1000');
      expect(all.body.members.map((m: Json) => m.nodeId)).toEqual(members);
      expect(all.body.nextCursor).toBeNull();
      const fromLast = await t.get(`${P}/collections/${name}/members`, READER, 'after=m5');
      expect(fromLast.body).toEqual({ members: [], nextCursor: null });
    });

    it('cursor form on an empty collection', async () => {
      const name = `col-${uid()}`;
      await createCollection(P, { name });
      const res = await t.get(`${P}/collections/${name}/members`, READER, 'limit=5');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ members: [], nextCursor: null });
    });

    it('400 for limit 1001, limit 0, and for mixing page and after', async () => {
      const name = `col-${uid()}`;
      await createCollection(P, { name, members: ['a', 'b'] });
      for (const [query, message] of [
        ['limit=1001', ['limit must not be greater than 1000']],
        ['limit=0', ['limit must not be less than 1']],
        ['after=a&page=1', ['use page/pageSize or after/limit, not both']],
        ['limit=2&pageSize=2', ['use page/pageSize or after/limit, not both']],
        ['after=a%20b', ['after must be a node id']],
      ] as const) {
        const res = await t.get(`${P}/collections/${name}/members`, READER, query);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, message));
      }
    });

    it('400 for an `after` that is not a member', async () => {
      const name = `col-${uid()}`;
      await createCollection(P, { name, members: ['a', 'b'] });
      // The database decides that `zzz` is not a member, in the route's one statement.
      const res = await t.send('get', `${P}/collections/${name}/members?after=zzz&limit=2`, {
        as: READER,
        statements: DECIDED_BY_DATABASE,
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(error(400, [`after: node id 'zzz' is not a member of collection '${name}'`]));
    });

    it('404 for an unknown collection and a non-member', async () => {
      const missing = `missing-${uid()}`;
      for (const query of [undefined, 'limit=2']) {
        const res = await t.get(`${P}/collections/${missing}/members`, READER, query);
        expect(res.status).toBe(404);
        expect(res.body).toEqual(notFound(missing));
      }
      const name = `col-${uid()}`;
      await createCollection(P, { name, members: ['a'] });
      const stranger = await t.get(`${P}/collections/${name}/members`, STRANGER);
      expect(stranger.status).toBe(404);
      expect(stranger.body).toEqual(nonMember());
    });
  });
});
