import { Database } from '#src/database/database.js';
import { TrashService } from '#src/trash/trash.service.js';
import { ISO, TestApp, answer, uid, type Json } from './harness.js';

/*
 * Trash and restore (API.md, Safety for clients → Trash and restore): deleted datasets and
 * collections are listed (reader) and restored (writer) until purged (admin, or past
 * TRASH_RETENTION_DAYS).
 */

const user = (): string => `u-${uid()}`;

describe('Trash', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  async function setup() {
    const [owner, writer, reader] = [user(), user(), user()];
    const slug = await t.namespace(owner, { [writer]: 'writer', [reader]: 'reader' });
    const project = await t.project(slug, owner);
    return { owner, writer, reader, slug, project, projectSlug: project.split('/')[4] };
  }

  it('lists deleted datasets and collections, newest deletion first, with memberCount for collections', async () => {
    const { owner, reader, project } = await setup();
    const ds = (await t.post(`${project}/datasets`, owner, { name: 'ds' })).body as Json;
    const c = (await t.post(`${project}/collections`, owner, { name: 'c', members: ['a', 'b'] })).body as Json;
    expect((await t.get(`${project}/trash`, reader)).body).toEqual({
      items: [],
      page: 1,
      pageSize: 50,
      total: 0,
      totalPages: 0,
    });
    expect((await t.delete(`${project}/datasets/ds`, owner)).status).toBe(200);
    expect((await t.delete(`${project}/collections/c`, owner)).status).toBe(200);
    const listed = await t.get(`${project}/trash`, reader);
    expect(listed).toEqual({
      status: 200,
      body: {
        items: [
          { type: 'collection', id: c.id, name: 'c', deletedAt: ISO, memberCount: 2 },
          { type: 'dataset', id: ds.id, name: 'ds', deletedAt: ISO },
        ],
        page: 1,
        pageSize: 50,
        total: 2,
        totalPages: 1,
      },
      statements: 1,
    });
    expect((await t.get(`${project}/trash`, reader, 'type=dataset')).body).toMatchObject({
      items: [{ type: 'dataset', id: ds.id }],
      total: 1,
    });
    expect((await t.get(`${project}/trash`, reader, 'type=collection&pageSize=1&page=2')).body).toEqual({
      items: [],
      page: 2,
      pageSize: 1,
      total: 1,
      totalPages: 1,
    });
    expect((await t.get(`${project}/trash`, reader, 'type=folder')).status).toBe(400);
  });

  it('restores a collection with all its members under its old name, or a new one when that is taken (409 says so)', async () => {
    const { owner, writer, project, slug, projectSlug } = await setup();
    const c = (await t.post(`${project}/collections`, owner, { name: 'c', members: ['a', 'b', 'c'] })).body as Json;
    expect((await t.delete(`${project}/collections/c`, owner)).status).toBe(200);
    expect((await t.post(`${project}/collections`, owner, { name: 'c' })).status).toBe(201);
    expect(await t.post(`${project}/trash/${c.id}/restore`, writer)).toEqual({
      ...answer(
        409,
        `Collection 'c' already exists in project '${slug}/${projectSlug}'; restore it under another name with {"name": "…"}`,
      ),
      statements: 1,
    });
    const restored = await t.post(`${project}/trash/${c.id}/restore`, writer, { name: 'c-old' });
    expect(restored).toEqual({
      status: 200,
      body: {
        id: c.id,
        name: 'c-old',
        description: null,
        tags: [],
        metadata: null,
        projectId: c.projectId,
        datasetId: null,
        members: ['a', 'b', 'c'],
        memberCount: 3,
        createdAt: c.createdAt,
        updatedAt: ISO,
      },
      statements: 1,
    });
    expect((await t.get(`${project}/collections/c-old/members`, owner)).body.total).toBe(3);
    expect((await t.get(`${project}/trash`, owner)).body.total).toBe(0);
    // Restored once: it is no longer in the trash.
    expect((await t.post(`${project}/trash/${c.id}/restore`, writer)).status).toBe(404);
  });

  it('a restored dataset re-attaches the collections its deletion detached that are still standalone', async () => {
    const { owner, project } = await setup();
    const ds = (await t.post(`${project}/datasets`, owner, { name: 'ds' })).body as Json;
    for (const name of ['x', 'y', 'z'])
      expect((await t.post(`${project}/collections`, owner, { name })).status).toBe(201);
    expect((await t.post(`${project}/datasets/ds/collections`, owner, { add: ['x', 'y', 'z'] })).status).toBe(200);
    expect((await t.delete(`${project}/datasets/ds`, owner)).status).toBe(200);
    // Meanwhile: y goes into another dataset, z is deleted.
    expect((await t.post(`${project}/datasets`, owner, { name: 'other' })).status).toBe(201);
    expect((await t.post(`${project}/datasets/other/collections`, owner, { add: ['y'] })).status).toBe(200);
    expect((await t.delete(`${project}/collections/z`, owner)).status).toBe(200);
    const restored = await t.post(`${project}/trash/${ds.id}/restore`, owner);
    expect(restored).toEqual({
      status: 200,
      body: {
        id: ds.id,
        name: 'ds',
        description: null,
        tags: [],
        projectId: ds.projectId,
        metadata: null,
        createdAt: ds.createdAt,
        updatedAt: ISO,
      },
      statements: 1,
    });
    const got = (await t.get(`${project}/datasets/ds`, owner)).body as Json;
    expect(got.collections.map((c: Json) => c.name)).toEqual(['x']);
    expect((await t.get(`${project}/collections/y`, owner)).body.datasetId).not.toBe(ds.id);
    // z, restored later, comes back standalone: its dataset detached it before z was deleted.
    const z = ((await t.get(`${project}/trash`, owner, 'type=collection')).body as Json).items[0];
    expect((await t.post(`${project}/trash/${z.id}/restore`, owner)).body.datasetId).toBeNull();
  });

  it('a deleted collection comes back into its dataset when that is live, standalone when it is not', async () => {
    const { owner, project } = await setup();
    const ds = (await t.post(`${project}/datasets`, owner, { name: 'ds' })).body as Json;
    const a = (await t.post(`${project}/collections`, owner, { name: 'a', datasetId: ds.id })).body as Json;
    const b = (await t.post(`${project}/collections`, owner, { name: 'b', datasetId: ds.id })).body as Json;
    expect((await t.delete(`${project}/collections/a`, owner)).status).toBe(200);
    expect((await t.post(`${project}/trash/${a.id}/restore`, owner)).body.datasetId).toBe(ds.id);
    expect((await t.delete(`${project}/collections/b`, owner)).status).toBe(200);
    expect((await t.delete(`${project}/datasets/ds`, owner)).status).toBe(200);
    expect((await t.post(`${project}/trash/${b.id}/restore`, owner)).body.datasetId).toBeNull();
  });

  it('purge: admin only; the item and its members are gone for good', async () => {
    const { owner, writer, reader, project, slug } = await setup();
    const c = (await t.post(`${project}/collections`, owner, { name: 'c', members: ['m1', 'm2'] })).body as Json;
    expect((await t.delete(`${project}/collections/c`, owner)).status).toBe(200);
    expect(await t.delete(`${project}/trash/${c.id}`, writer)).toEqual({
      ...answer(403, `Your role in namespace '${slug}' is 'writer'; this needs 'admin' or above`),
      statements: 1,
    });
    expect(await t.post(`${project}/trash/${c.id}/restore`, reader)).toEqual({
      ...answer(403, `Your role in namespace '${slug}' is 'reader'; this needs 'writer' or above`),
      statements: 1,
    });
    expect(await t.delete(`${project}/trash/${c.id}`, owner)).toEqual({
      status: 200,
      body: { success: true },
      statements: 1,
    });
    expect((await t.get(`${project}/trash`, owner)).body.total).toBe(0);
    const left = await t.app
      .get(Database)
      .maintenance<{ n: number }>(`SELECT count(*)::int AS n FROM collection_member WHERE collection_id = $1`, [c.id]);
    expect(left[0].n).toBe(0);
    expect((await t.post(`${project}/trash/${c.id}/restore`, owner)).status).toBe(404);
  });

  it('404 for unknown, live or malformed ids, and for non-members', async () => {
    const { owner, project, slug, projectSlug } = await setup();
    const live = (await t.post(`${project}/collections`, owner, { name: 'live' })).body as Json;
    for (const id of [live.id, '5d1c8f0e-3b7a-4f2e-9c61-8a4d2b7e0f13', 'not-a-uuid']) {
      expect(await t.post(`${project}/trash/${id}/restore`, owner)).toEqual({
        ...answer(404, `Nothing with id '${id}' in the trash of project '${slug}/${projectSlug}'`),
        statements: 1,
      });
      expect((await t.delete(`${project}/trash/${id}`, owner)).status).toBe(404);
    }
    const hidden = answer(404, `Namespace '${slug}' not found`);
    expect(await t.get(`${project}/trash`, user())).toEqual({ ...hidden, statements: 1 });
    expect(await t.post(`${project}/trash/${live.id}/restore`, user())).toEqual({ ...hidden, statements: 1 });
  });

  it('anything deleted longer ago than TRASH_RETENTION_DAYS is purged by the periodic job', async () => {
    const { owner, project } = await setup();
    const old = (await t.post(`${project}/collections`, owner, { name: 'old', members: ['x'] })).body as Json;
    const recent = (await t.post(`${project}/datasets`, owner, { name: 'recent' })).body as Json;
    const ancient = (await t.post(`${project}/datasets`, owner, { name: 'ancient' })).body as Json;
    for (const path of ['collections/old', 'datasets/recent', 'datasets/ancient']) {
      expect((await t.delete(`${project}/${path}`, owner)).status).toBe(200);
    }
    await t.app
      .get(Database)
      .maintenance(`UPDATE collection SET deleted_at = now() - interval '31 days' WHERE id = $1;`, [old.id]);
    await t.app
      .get(Database)
      .maintenance(`UPDATE dataset SET deleted_at = now() - interval '31 days' WHERE id = $1`, [ancient.id]);
    expect(await t.app.get(TrashService).purgeExpired()).toBeGreaterThanOrEqual(2);
    const items = ((await t.get(`${project}/trash`, owner)).body as Json).items as Json[];
    expect(items.map((i) => i.id)).toEqual([recent.id]);
    expect(items[0]).toEqual({ type: 'dataset', id: recent.id, name: 'recent', deletedAt: ISO });
  });
});
