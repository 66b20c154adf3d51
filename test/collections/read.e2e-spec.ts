import { error, type Json, uid } from '../harness.js';
import { OWNER, READER, STRANGER, WRITER } from '../factories.js';
import {
  bootAppWithProject,
  createCollection,
  createDataset,
  freshProject,
  getCollection,
  ns,
  P,
  projectSlug,
  t,
} from '../suite.js';
import { ids, nonMember, notFound } from './helpers.js';

/* Collections (API.md "Collections"): GET …/collections and …/collections/:name, a big collection, a deleted project. */

describe('collections', () => {
  bootAppWithProject();

  it('needs a token (401)', async () => {
    const res = await t.get(`${P}/collections`, null);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  describe('GET …/collections', () => {
    it('items embed at most the first 100 members, with exact memberCount and membersTruncated', async () => {
      const p = await freshProject();
      const many = ids(150, 'ep');
      const big = await createCollection(p.path, { name: 'big', members: many, tags: ['b'] });
      const exact = await createCollection(p.path, { name: 'exact', members: ids(100, 'x') });
      const small = await createCollection(p.path, { name: 'small', members: ['s1', 's2'] });

      const res = await t.get(`${p.path}/collections`, READER);
      expect(res.status).toBe(200);
      const item = (c: Json, members: string[], truncated: boolean) => ({
        id: c.id,
        name: c.name,
        description: null,
        tags: c.tags,
        metadata: null,
        projectId: p.id,
        datasetId: null,
        members,
        memberCount: c.memberCount,
        membersTruncated: truncated,
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
      });
      expect(res.body).toEqual({
        collections: [
          item(small, ['s1', 's2'], false),
          item(exact, ids(100, 'x'), false),
          item(big, many.slice(0, 100), true),
        ],
        page: 1,
        pageSize: 50,
        total: 3,
        totalPages: 1,
      });
      const bigItem = res.body.collections[2];
      expect(bigItem.members).toHaveLength(100);
      expect(bigItem.memberCount).toBe(150);
      expect(bigItem.membersTruncated).toBe(true);

      // after removing some of the first 100, the embedded list is still the first 100 in order
      const removed = await t.delete(`${p.path}/collections/big/members`, WRITER, { remove: many.slice(0, 10) });
      expect(removed.body).toEqual({ removed: 10, total: 140 });
      const again = await t.get(`${p.path}/collections`, READER, 'q=big');
      expect(again.body.collections[0].members).toEqual(many.slice(10, 110));
      expect(again.body.collections[0].memberCount).toBe(140);
      expect(again.body.collections[0].membersTruncated).toBe(true);
    });

    it('filters by datasetId and standalone=true/false', async () => {
      const p = await freshProject();
      const d1 = await createDataset(p.path, { name: 'd1' });
      const d2 = await createDataset(p.path, { name: 'd2' });
      await createCollection(p.path, { name: 'in-d1-a', datasetId: d1.id });
      await createCollection(p.path, { name: 'in-d1-b', datasetId: d1.id });
      await createCollection(p.path, { name: 'in-d2', datasetId: d2.id });
      await createCollection(p.path, { name: 'alone-1' });
      await createCollection(p.path, { name: 'alone-2' });
      const list = async (query?: string) => {
        const res = await t.get(`${p.path}/collections`, READER, query);
        expect(res.status).toBe(200);
        expect(res.body.total).toBe(res.body.collections.length);
        return res.body.collections.map((c: Json) => c.name).sort();
      };
      expect(await list()).toEqual(['alone-1', 'alone-2', 'in-d1-a', 'in-d1-b', 'in-d2']);
      expect(await list(`datasetId=${d1.id}`)).toEqual(['in-d1-a', 'in-d1-b']);
      expect(await list(`datasetId=${d2.id}`)).toEqual(['in-d2']);
      expect(await list('datasetId=00000000-0000-4000-8000-000000000000')).toEqual([]);
      expect(await list('standalone=true')).toEqual(['alone-1', 'alone-2']);
      expect(await list('standalone=false')).toEqual(['in-d1-a', 'in-d1-b', 'in-d2']);
      expect(await list(`standalone=false&datasetId=${d2.id}`)).toEqual(['in-d2']);
      expect(await list('standalone=true&q=2')).toEqual(['alone-2']);

      for (const [query, message] of [
        ['datasetId=nope', ['datasetId must be a UUID']],
        ['standalone=yes', ['standalone must be true or false']],
      ] as const) {
        const res = await t.get(`${p.path}/collections`, READER, query);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, message));
      }
    });

    it('sort, q (case-insensitive) and tag (repeatable, all required)', async () => {
      const p = await freshProject();
      await createCollection(p.path, { name: 'bravo', tags: ['lidar', 'day'] });
      await createCollection(p.path, { name: 'Alpha-Cam', tags: ['lidar'] });
      await createCollection(p.path, { name: 'charlie-cam', tags: ['day'] });
      const list = async (query?: string) => {
        const res = await t.get(`${p.path}/collections`, READER, query);
        expect(res.status).toBe(200);
        return res.body.collections.map((c: Json) => c.name);
      };
      expect(await list()).toEqual(['charlie-cam', 'Alpha-Cam', 'bravo']);
      expect(await list('sort=createdAt')).toEqual(['bravo', 'Alpha-Cam', 'charlie-cam']);
      expect(await list('sort=-createdAt')).toEqual(['charlie-cam', 'Alpha-Cam', 'bravo']);
      expect(await list('sort=name')).toEqual(['Alpha-Cam', 'bravo', 'charlie-cam']);
      expect(await list('sort=-name')).toEqual(['charlie-cam', 'bravo', 'Alpha-Cam']);
      expect((await t.post(`${p.path}/collections/Alpha-Cam/members`, WRITER, { add: ['x'] })).status).toBe(200);
      expect((await t.patch(`${p.path}/collections/bravo`, WRITER, { description: 'later' })).status).toBe(200);
      expect(await list('sort=-updatedAt')).toEqual(['bravo', 'Alpha-Cam', 'charlie-cam']);
      expect(await list('sort=updatedAt')).toEqual(['charlie-cam', 'Alpha-Cam', 'bravo']);
      expect((await list('q=CAM')).sort()).toEqual(['Alpha-Cam', 'charlie-cam']);
      expect(await list('q=ALPHA')).toEqual(['Alpha-Cam']);
      expect(await list('q=_')).toEqual([]);
      expect((await list('tag=lidar')).sort()).toEqual(['Alpha-Cam', 'bravo']);
      expect(await list('tag=lidar&tag=day')).toEqual(['bravo']);
      expect(await list('tag=lidar&tag=night')).toEqual([]);
      expect(await list('tag=day&q=cam')).toEqual(['charlie-cam']);
      const bad = await t.get(`${p.path}/collections`, READER, 'sort=size');
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual(
        error(400, ['sort must be one of: name, -name, createdAt, -createdAt, updatedAt, -updatedAt']),
      );
    });

    it('paginates; past the end is 200 empty; pageSize 201 and page 0 are 400', async () => {
      const p = await freshProject();
      for (const name of ['c1', 'c2', 'c3', 'c4', 'c5']) await createCollection(p.path, { name });
      const seen: string[] = [];
      for (const page of [1, 2, 3]) {
        const res = await t.get(`${p.path}/collections`, READER, `page=${page}&pageSize=2&sort=name`);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ page, pageSize: 2, total: 5, totalPages: 3 });
        seen.push(...res.body.collections.map((c: Json) => c.name));
      }
      expect(seen).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
      const past = await t.get(`${p.path}/collections`, READER, 'page=9&pageSize=2');
      expect(past.status).toBe(200);
      expect(past.body).toEqual({ collections: [], page: 9, pageSize: 2, total: 5, totalPages: 3 });
      for (const [query, message] of [
        ['pageSize=201', ['pageSize must not be greater than 200']],
        ['page=0', ['page must not be less than 1']],
        ['pageSize=0', ['pageSize must not be less than 1']],
      ] as const) {
        const res = await t.get(`${p.path}/collections`, READER, query);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, message));
      }
    });

    it('404 for a missing namespace, a missing project and a non-member', async () => {
      const missingNs = `ns-missing-${uid()}`;
      const a = await t.get(`/namespaces/${missingNs}/projects/${projectSlug}/collections`, READER);
      expect(a.status).toBe(404);
      expect(a.body).toEqual(error(404, `Namespace '${missingNs}' not found`));
      const b = await t.get(`/namespaces/${ns}/projects/none-${projectSlug}/collections`, READER);
      expect(b.status).toBe(404);
      expect(b.body).toEqual(error(404, `Project 'none-${projectSlug}' not found in namespace '${ns}'`));
      const c = await t.get(`${P}/collections`, STRANGER);
      expect(c.status).toBe(404);
      expect(c.body).toEqual(nonMember());
    });
  });

  describe('GET …/collections/:name', () => {
    it('all members in order; members=false omits the key but keeps memberCount', async () => {
      const name = `col-${uid()}`;
      const members = ids(250, 'm').reverse();
      const created = await createCollection(P, { name, members });
      const full = await getCollection(P, name);
      expect(full).toEqual(created);
      expect(full.members).toEqual(members);
      expect(full.memberCount).toBe(250);
      expect(full).not.toHaveProperty('membersTruncated');

      const bare = await getCollection(P, name, 'members=false');
      const rest = { ...created };
      delete rest.members;
      expect(bare).toEqual(rest);
      expect(bare).not.toHaveProperty('members');
      expect(bare.memberCount).toBe(250);

      expect(await getCollection(P, name, 'members=true')).toEqual(created);
      const bad = await t.get(`${P}/collections/${name}`, READER, 'members=no');
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual(error(400, ['members must be true or false']));
    });

    it('404 for a missing collection and for a non-member', async () => {
      const missing = `missing-${uid()}`;
      const res = await t.get(`${P}/collections/${missing}`, READER);
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound(missing));
      const name = `col-${uid()}`;
      await createCollection(P, { name });
      const stranger = await t.get(`${P}/collections/${name}`, STRANGER);
      expect(stranger.status).toBe(404);
      expect(stranger.body).toEqual(nonMember());
    });
  });

  it('a soft-deleted project hides everything under it (404)', async () => {
    const p = await freshProject();
    const ds = await createDataset(p.path, { name: 'ds' });
    await createCollection(p.path, { name: 'c', datasetId: ds.id, members: ['a'] });
    expect((await t.delete(p.path, OWNER)).status).toBe(200);
    const hidden = error(404, `Project '${p.slug}' not found in namespace '${ns}'`);
    for (const res of [
      await t.get(`${p.path}/collections`, READER),
      await t.get(`${p.path}/collections/c`, READER),
      await t.get(`${p.path}/collections/c/members`, READER),
      await t.get(`${p.path}/collections/c/members`, READER, 'limit=1'),
      await t.post(`${p.path}/collections`, WRITER, { name: 'c2' }),
      await t.patch(`${p.path}/collections/c`, WRITER, { description: 'x' }),
      await t.delete(`${p.path}/collections/c`, WRITER),
      await t.post(`${p.path}/collections/c/members`, WRITER, { add: ['b'] }),
      await t.delete(`${p.path}/collections/c/members`, WRITER, { remove: ['a'] }),
      await t.get(`${p.path}/datasets/ds`, READER),
      await t.get(`${p.path}/datasets`, READER),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual(hidden);
    }
    expect((await t.get(p.path, OWNER)).status).toBe(404);
  });

  it('a big collection (40,000 members) comes back whole and in order from GET, and by dataset', async () => {
    const name = `big-${uid()}`;
    const ds = `big-ds-${uid()}`;
    const dataset = await t.post(`${P}/datasets`, WRITER, { name: ds });
    await createCollection(P, { name, datasetId: dataset.body.id });
    const ids = Array.from({ length: 40_000 }, (_, i) => `episode-${String(i).padStart(6, '0')}`);
    for (let start = 0; start < ids.length; start += 10_000) {
      const res = await t.post(`${P}/collections/${name}/members`, WRITER, { add: ids.slice(start, start + 10_000) });
      expect(res.body).toEqual({ added: 10_000, total: start + 10_000 });
    }
    const got = await t.get(`${P}/collections/${name}`, READER);
    expect(got.status).toBe(200);
    expect(got.body.memberCount).toBe(40_000);
    expect(got.body.members).toEqual(ids);
    const byDataset = await t.get(`${P}/datasets/${ds}`, READER);
    expect(byDataset.status).toBe(200);
    expect(byDataset.body.collections).toHaveLength(1);
    expect(byDataset.body.collections[0].members).toEqual(ids);
  });
});
