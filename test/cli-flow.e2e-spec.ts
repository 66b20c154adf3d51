import { ISO, TestApp, UUID, type Json } from './harness.js';

/*
 * The DreamLake CLI's flow, end to end, with exactly the request shapes it sends (API.md: `add` /
 * `remove` bodies, `page`/`pageSize` loops until `page >= totalPages`, 404 = not there, 409 =
 * already exists).
 */

const USER = 'cli-user';

describe('DreamLake CLI flow', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  }, 150_000);
  afterAll(async () => {
    await t.close();
  }, 150_000);

  it('dataset, collections, links, members, paging, delete', async () => {
    const ns = await t.namespace(USER);
    const P = await t.project(ns, USER);
    const projectSlug = P.split('/').at(-1)!;
    const projectId = (await t.get(P, USER)).body.id;

    // dlake dataset create training-v2 --description "Q1 training data"
    const created = await t.post(`${P}/datasets`, USER, { name: 'training-v2', description: 'Q1 training data' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: UUID,
      name: 'training-v2',
      description: 'Q1 training data',
      tags: [],
      projectId,
      metadata: null,
      createdAt: ISO,
      updatedAt: ISO,
    });
    const datasetId = created.body.id;
    // the CLI treats 409 as "already exists"
    const again = await t.post(`${P}/datasets`, USER, { name: 'training-v2' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: `Dataset 'training-v2' already exists in project '${ns}/${projectSlug}'`,
    });

    // dlake collection create … --members …  (five collections, standalone)
    const members: Record<string, string[]> = {
      'front-camera-clips': ['clip:0001', 'clip:0002', 'clip:0003'],
      'good-detections': ['det-17'],
      'edge-cases': [],
      'night-drives': ['ep.1', 'ep.2'],
      scratch: ['tmp_1'],
    };
    for (const [name, ids] of Object.entries(members)) {
      const res = await t.post(`${P}/collections`, USER, { name, members: ids });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: UUID,
        name,
        description: null,
        tags: [],
        metadata: null,
        projectId,
        datasetId: null,
        members: ids,
        memberCount: ids.length,
        createdAt: ISO,
        updatedAt: ISO,
      });
    }

    // dlake dataset link training-v2 front-camera-clips good-detections night-drives
    const linked = await t.post(`${P}/datasets/training-v2/collections`, USER, {
      add: ['front-camera-clips', 'good-detections', 'night-drives'],
    });
    expect(linked.status).toBe(200);
    expect(linked.body).toEqual({ added: 3, total: 3 });
    // a typo: 404 naming it, and nothing changes
    const typo = await t.post(`${P}/datasets/training-v2/collections`, USER, { add: ['edge-cases', 'edge-case'] });
    expect(typo.status).toBe(404);
    expect(typo.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: `Collections not found in project '${ns}/${projectSlug}': 'edge-case'; nothing was changed`,
    });
    // dlake dataset unlink training-v2 night-drives
    const unlinked = await t.delete(`${P}/datasets/training-v2/collections`, USER, { remove: ['night-drives'] });
    expect(unlinked.status).toBe(200);
    expect(unlinked.body).toEqual({ removed: 1, total: 2 });

    // dlake collection add / remove members
    const added = await t.post(`${P}/collections/front-camera-clips/members`, USER, {
      add: ['clip:0004', 'clip:0001', 'clip:0005'],
    });
    expect(added.status).toBe(200);
    expect(added.body).toEqual({ added: 2, total: 5 });
    const removed = await t.delete(`${P}/collections/front-camera-clips/members`, USER, {
      remove: ['clip:0002', 'clip:9999'],
    });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ removed: 1, total: 4 });
    const front = ['clip:0001', 'clip:0003', 'clip:0004', 'clip:0005'];

    // dlake collection list: page loop until page >= totalPages, pageSize 2 over 5 collections
    const names: string[] = [];
    let page = 1;
    let pages = 0;
    for (;;) {
      const res = await t.get(`${P}/collections`, USER, `page=${page}&pageSize=2`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ page, pageSize: 2, total: 5, totalPages: 3 });
      names.push(...res.body.collections.map((c: Json) => c.name));
      pages++;
      if (page >= res.body.totalPages) break;
      page++;
    }
    expect(pages).toBe(3);
    expect(names).toHaveLength(5);
    expect(new Set(names).size).toBe(5);
    expect([...names].sort()).toEqual(Object.keys(members).sort());

    // dlake dataset get training-v2
    const got = await t.get(`${P}/datasets/training-v2`, USER);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({
      id: datasetId,
      name: 'training-v2',
      description: 'Q1 training data',
      tags: [],
      projectId,
      metadata: null,
      collections: expect.any(Array),
      createdAt: created.body.createdAt,
      updatedAt: created.body.updatedAt,
    });
    const inDataset = Object.fromEntries(got.body.collections.map((c: Json) => [c.name, c]));
    expect(Object.keys(inDataset).sort()).toEqual(['front-camera-clips', 'good-detections']);
    expect(inDataset['front-camera-clips']).toMatchObject({ datasetId, members: front, memberCount: 4 });
    expect(inDataset['good-detections']).toMatchObject({ datasetId, members: ['det-17'], memberCount: 1 });

    // dlake dataset list
    const listed = await t.get(`${P}/datasets`, USER);
    expect(listed.body.datasets).toHaveLength(1);
    expect(
      listed.body.datasets[0].collections.map((c: Json) => c.name).sort((a: string, b: string) => a.localeCompare(b)),
    ).toEqual(['front-camera-clips', 'good-detections']);

    // dlake dataset delete training-v2: its collections are standalone afterwards
    const deleted = await t.delete(`${P}/datasets/training-v2`, USER);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ success: true });
    const gone = await t.get(`${P}/datasets/training-v2`, USER);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: `Dataset 'training-v2' not found in project '${ns}/${projectSlug}'`,
    });
    const standalone: string[] = [];
    for (page = 1; ; page++) {
      const res = await t.get(`${P}/collections`, USER, `standalone=true&page=${page}&pageSize=2`);
      expect(res.status).toBe(200);
      for (const c of res.body.collections) {
        expect(c.datasetId).toBeNull();
        standalone.push(c.name);
      }
      if (page >= res.body.totalPages) break;
    }
    expect(standalone.sort()).toEqual(Object.keys(members).sort());
    const frontAfter = await t.get(`${P}/collections/front-camera-clips`, USER);
    expect(frontAfter.body).toMatchObject({ datasetId: null, members: front, memberCount: 4 });
    expect((await t.get(`${P}/datasets`, USER)).body).toEqual({
      datasets: [],
      page: 1,
      pageSize: 50,
      total: 0,
      totalPages: 0,
    });
  }, 150_000);
});
