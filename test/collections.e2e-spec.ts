import { ISO, TestApp, UUID, uid, DECIDED_BY_DATABASE, error, NAME_RULE, type Json } from './harness.js';

/*
 * Collections (API.md "Collections"): every route and status code, member changes and listings.
 * Users: `alice` owns every namespace made here, `writer` and `reader` are members with those
 * roles, `mallory` is no member at all.
 */

const OWNER = 'alice';
const WRITER = 'writer';
const READER = 'reader';
const STRANGER = 'mallory';

const ids = (n: number, prefix = 'n'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);

describe('collections', () => {
  let t: TestApp;
  let ns: string;
  let P: string; // the shared project's path
  let projectSlug: string;
  let projectId: string;

  beforeAll(async () => {
    t = await TestApp.start();
    ns = await t.namespace(OWNER, { [READER]: 'reader', [WRITER]: 'writer' });
    P = await t.project(ns, OWNER);
    projectSlug = P.split('/').at(-1)!;
    projectId = (await t.get(P, OWNER)).body.id;
  });
  afterAll(async () => {
    await t.close();
  });

  async function freshProject(): Promise<{ path: string; id: string; slug: string }> {
    const path = await t.project(ns, OWNER);
    const res = await t.get(path, OWNER);
    expect(res.status).toBe(200);
    return { path, id: res.body.id, slug: path.split('/').at(-1)! };
  }

  async function createDataset(path: string, name: string): Promise<Json> {
    const res = await t.post(`${path}/datasets`, WRITER, { name });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function createCollection(path: string, body: Json): Promise<Json> {
    const res = await t.post(`${path}/collections`, WRITER, body);
    expect(res.status).toBe(201);
    return res.body;
  }

  async function getCollection(path: string, name: string, query?: string): Promise<Json> {
    const res = await t.get(`${path}/collections/${name}`, READER, query);
    expect(res.status).toBe(200);
    return res.body;
  }

  const notFound = (name: string, path = P) => {
    const [, , slug, , project] = path.split('/');
    return error(404, `Collection '${name}' not found in project '${slug}/${project}'`);
  };
  const datasetNotFound = (id: string, path = P) => {
    const [, , slug, , project] = path.split('/');
    return error(404, `Dataset with id '${id}' not found in project '${slug}/${project}'`);
  };
  const forbidden = () => error(403, `Your role in namespace '${ns}' is 'reader'; this needs 'writer' or above`);
  const nonMember = () => error(404, `Namespace '${ns}' not found`);

  it('needs a token (401)', async () => {
    const res = await t.get(`${P}/collections`, null);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  describe('POST …/collections', () => {
    it('201 with exactly the collection object', async () => {
      const name = `col-${uid()}`;
      const res = await t.post(`${P}/collections`, WRITER, { name });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: UUID,
        name,
        description: null,
        tags: [],
        metadata: null,
        projectId,
        datasetId: null,
        members: [],
        memberCount: 0,
        createdAt: ISO,
        updatedAt: ISO,
      });
      const got = await getCollection(P, name);
      expect(got).toEqual(res.body);
    });

    it('201 with members: duplicates dropped, order kept; all fields given', async () => {
      const name = `col-${uid()}`;
      const body = {
        name,
        description: 'front camera',
        tags: ['cam', 'front'],
        metadata: { rig: 7 },
        members: ['z:1', 'a.2', 'z:1', 'm_3', 'a.2', 'B-4'],
      };
      const res = await t.post(`${P}/collections`, WRITER, body);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: UUID,
        ...body,
        members: ['z:1', 'a.2', 'm_3', 'B-4'],
        memberCount: 4,
        projectId,
        datasetId: null,
        createdAt: ISO,
        updatedAt: ISO,
      });
      expect((await getCollection(P, name)).members).toEqual(['z:1', 'a.2', 'm_3', 'B-4']);
      // new members after the initial ones append after them
      const add = await t.post(`${P}/collections/${name}/members`, WRITER, { add: ['late', 'a.2'] });
      expect(add.body).toEqual({ added: 1, total: 5 });
      expect((await getCollection(P, name)).members).toEqual(['z:1', 'a.2', 'm_3', 'B-4', 'late']);
    });

    it('201 with datasetId: the collection lands in the dataset', async () => {
      const p = await freshProject();
      const ds = await createDataset(p.path, 'ds');
      const res = await t.post(`${p.path}/collections`, WRITER, { name: 'in-ds', datasetId: ds.id, members: ['a'] });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: UUID,
        name: 'in-ds',
        description: null,
        tags: [],
        metadata: null,
        projectId: p.id,
        datasetId: ds.id,
        members: ['a'],
        memberCount: 1,
        createdAt: ISO,
        updatedAt: ISO,
      });
      const got = await t.get(`${p.path}/datasets/ds`, READER);
      expect(got.body.collections).toEqual([res.body]);
      const listed = await t.get(`${p.path}/datasets`, READER);
      expect(listed.body.datasets[0].collections).toEqual([{ id: res.body.id, name: 'in-ds' }]);
      // datasetId null is the same as leaving it out
      const explicitNull = await t.post(`${p.path}/collections`, WRITER, { name: 'loose', datasetId: null });
      expect(explicitNull.status).toBe(201);
      expect(explicitNull.body.datasetId).toBeNull();
    });

    it('404 for an unknown datasetId, a deleted dataset or one of another project; nothing is created', async () => {
      const p = await freshProject();
      const q = await freshProject();
      const foreign = await createDataset(q.path, 'foreign');
      const deleted = await createDataset(p.path, 'deleted');
      expect((await t.delete(`${p.path}/datasets/deleted`, WRITER)).status).toBe(200);
      const unknown = '00000000-0000-4000-8000-000000000000';
      for (const id of [unknown, deleted.id, foreign.id]) {
        const res = await t.post(`${p.path}/collections`, WRITER, { name: 'c', datasetId: id, members: ['x'] });
        expect(res.status).toBe(404);
        expect(res.body).toEqual(datasetNotFound(id, p.path));
      }
      expect((await t.get(`${p.path}/collections/c`, READER)).status).toBe(404);
      expect((await t.get(`${p.path}/collections`, READER)).body.total).toBe(0);
    });

    it('400 for a datasetId that is not a UUID', async () => {
      const res = await t.post(`${P}/collections`, WRITER, { name: `col-${uid()}`, datasetId: 'training-v2' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(error(400, ['datasetId must be a UUID']));
    });

    it('409 when the name is taken in the project', async () => {
      const name = `col-${uid()}`;
      await createCollection(P, { name });
      const res = await t.post(`${P}/collections`, WRITER, { name, members: ['a'] });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(error(409, `Collection '${name}' already exists in project '${ns}/${projectSlug}'`));
      expect((await getCollection(P, name)).members).toEqual([]);
      const other = await freshProject();
      expect((await t.post(`${other.path}/collections`, WRITER, { name })).status).toBe(201);
    });

    it('names of datasets and collections are independent', async () => {
      const name = `shared-${uid()}`;
      const ds = await createDataset(P, name);
      const res = await t.post(`${P}/collections`, WRITER, { name, datasetId: ds.id });
      expect(res.status).toBe(201);
      expect(res.body.name).toBe(name);
      const reverse = `rev-${uid()}`;
      await createCollection(P, { name: reverse });
      expect((await t.post(`${P}/datasets`, WRITER, { name: reverse })).status).toBe(201);
    });

    it('accepts exactly 10,000 members', async () => {
      const name = `col-${uid()}`;
      const members = ids(10_000);
      const res = await t.post(`${P}/collections`, WRITER, { name, members });
      expect(res.status).toBe(201);
      expect(res.body.memberCount).toBe(10_000);
      expect(res.body.members).toEqual(members);
    });

    it('400 for 100,001 members, bad node ids, bad names, bad fields, unknown fields', async () => {
      const name = `col-${uid()}`;
      const cases: [unknown, unknown][] = [
        [{ name, members: ids(100_001) }, ['members must contain at most 100000 node ids per request']],
        [
          { name, members: ['ok', 'a b', 'x'.repeat(129), 'ok:2'] },
          [`members holds invalid node ids: "a b", "${'x'.repeat(129)}"`],
        ],
        [{ name, members: [''] }, ['members holds invalid node ids: ""']],
        [{ name, members: ['a/b'] }, ['members holds invalid node ids: "a/b"']],
        [{ name, members: [1] }, expect.arrayContaining(['each value in members must be a string'])],
        [{}, ['name should not be null or undefined']],
        [{ name: 'a b' }, [`name ${NAME_RULE}`]],
        [{ name: 'n'.repeat(101) }, [`name ${NAME_RULE}`]],
        [{ name, tags: ids(51) }, ['tags must contain no more than 50 elements']],
        [{ name, tags: ['t'.repeat(65)] }, ['each tag must be at most 64 characters']],
        [{ name, metadata: [] }, ['metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep']],
        [
          { name, metadata: { x: 'a'.repeat(64 * 1024) } },
          ['metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep'],
        ],
        [{ name, description: 'd'.repeat(10_001) }, ['description must be shorter than or equal to 10000 characters']],
        [{ name, memberCount: 3 }, ['property memberCount should not exist']],
        [{ name, projectId }, ['property projectId should not exist']],
      ];
      for (const [body, message] of cases) {
        const res = await t.post(`${P}/collections`, WRITER, body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, message));
      }
      expect((await t.get(`${P}/collections/${name}`, READER)).status).toBe(404);
      // a node id of exactly 128 characters is fine
      const longest = await t.post(`${P}/collections`, WRITER, { name, members: ['y'.repeat(128)] });
      expect(longest.status).toBe(201);
    });

    it('400 (not 500) when members is a string', async () => {
      for (const members of ['abc', 'a b']) {
        const res = await t.post(`${P}/collections`, WRITER, { name: `col-${uid()}`, members });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(Array) });
      }
    });

    it('403 for a reader; nothing is created', async () => {
      const name = `col-${uid()}`;
      const res = await t.post(`${P}/collections`, READER, { name });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(forbidden());
      expect((await t.get(`${P}/collections/${name}`, OWNER)).status).toBe(404);
    });

    it('404 for a missing namespace, a missing project, a non-member', async () => {
      const missingNs = `ns-missing-${uid()}`;
      const a = await t.post(`/namespaces/${missingNs}/projects/${projectSlug}/collections`, WRITER, { name: 'c' });
      expect(a.status).toBe(404);
      expect(a.body).toEqual(error(404, `Namespace '${missingNs}' not found`));
      const missingProject = `p-missing-${uid()}`;
      const b = await t.post(`/namespaces/${ns}/projects/${missingProject}/collections`, WRITER, { name: 'c' });
      expect(b.status).toBe(404);
      expect(b.body).toEqual(error(404, `Project '${missingProject}' not found in namespace '${ns}'`));
      const c = await t.post(`${P}/collections`, STRANGER, { name: 'c' });
      expect(c.status).toBe(404);
      expect(c.body).toEqual(nonMember());
    });
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
      const d1 = await createDataset(p.path, 'd1');
      const d2 = await createDataset(p.path, 'd2');
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

  describe('PATCH …/collections/:name', () => {
    it('changes only the given fields', async () => {
      const name = `col-${uid()}`;
      const created = await createCollection(P, {
        name,
        description: 'before',
        tags: ['a'],
        metadata: { k: 1 },
        members: ['m1', 'm2'],
      });
      const res = await t.patch(`${P}/collections/${name}`, WRITER, { description: 'after' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...created, description: 'after', updatedAt: ISO });
      const tags = await t.patch(`${P}/collections/${name}`, WRITER, { tags: ['x', 'y'], metadata: null });
      expect(tags.body).toEqual({
        ...created,
        description: 'after',
        tags: ['x', 'y'],
        metadata: null,
        updatedAt: ISO,
      });
      const cleared = await t.patch(`${P}/collections/${name}`, WRITER, { description: null });
      expect(cleared.body).toEqual({ ...tags.body, description: null, updatedAt: ISO });
      expect(await getCollection(P, name)).toEqual(cleared.body);
    });

    it('datasetId moves the collection between datasets; null detaches it', async () => {
      const p = await freshProject();
      const d1 = await createDataset(p.path, 'd1');
      const d2 = await createDataset(p.path, 'd2');
      const c = await createCollection(p.path, { name: 'mover', datasetId: d1.id, members: ['a'] });
      const inDataset = async (ds: string) =>
        (await t.get(`${p.path}/datasets/${ds}`, READER)).body.collections.map((x: Json) => x.name);

      const moved = await t.patch(`${p.path}/collections/mover`, WRITER, { datasetId: d2.id });
      expect(moved.status).toBe(200);
      expect(moved.body).toEqual({ ...c, datasetId: d2.id, updatedAt: ISO });
      expect(await inDataset('d1')).toEqual([]);
      expect(await inDataset('d2')).toEqual(['mover']);

      const renamedOnly = await t.patch(`${p.path}/collections/mover`, WRITER, { description: 'stays' });
      expect(renamedOnly.body.datasetId).toBe(d2.id);

      const detached = await t.patch(`${p.path}/collections/mover`, WRITER, { datasetId: null });
      expect(detached.status).toBe(200);
      expect(detached.body).toEqual({ ...c, description: 'stays', datasetId: null, updatedAt: ISO });
      expect(await inDataset('d2')).toEqual([]);
      const standalone = await t.get(`${p.path}/collections`, READER, 'standalone=true');
      expect(standalone.body.collections.map((x: Json) => x.name)).toEqual(['mover']);

      const back = await t.patch(`${p.path}/collections/mover`, WRITER, { datasetId: d1.id });
      expect(back.body.datasetId).toBe(d1.id);
      expect(await inDataset('d1')).toEqual(['mover']);
    });

    it('404 for an unknown datasetId (also deleted or of another project); nothing changes', async () => {
      const p = await freshProject();
      const q = await freshProject();
      const d1 = await createDataset(p.path, 'd1');
      const gone = await createDataset(p.path, 'gone');
      expect((await t.delete(`${p.path}/datasets/gone`, WRITER)).status).toBe(200);
      const foreign = await createDataset(q.path, 'foreign');
      const c = await createCollection(p.path, { name: 'c', datasetId: d1.id });
      for (const id of ['00000000-0000-4000-8000-000000000000', gone.id, foreign.id]) {
        const res = await t.patch(`${p.path}/collections/c`, WRITER, { datasetId: id, description: 'no' });
        expect(res.status).toBe(404);
        expect(res.body).toEqual(datasetNotFound(id, p.path));
      }
      expect(await getCollection(p.path, 'c')).toEqual(c);
    });

    it('rename; 409 when the new name is taken', async () => {
      const a = `col-a-${uid()}`;
      const b = `col-b-${uid()}`;
      await createCollection(P, { name: a });
      const bBody = await createCollection(P, { name: b, members: ['x'] });
      const conflict = await t.patch(`${P}/collections/${b}`, WRITER, { name: a });
      expect(conflict.status).toBe(409);
      expect(conflict.body).toEqual(error(409, `Collection '${a}' already exists in project '${ns}/${projectSlug}'`));
      expect(await getCollection(P, b)).toEqual(bBody);

      const c = `col-c-${uid()}`;
      const renamed = await t.patch(`${P}/collections/${b}`, WRITER, { name: c });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toEqual({ ...bBody, name: c, updatedAt: ISO });
      expect((await t.get(`${P}/collections/${b}`, READER)).status).toBe(404);
      expect((await getCollection(P, c)).members).toEqual(['x']);
    });

    it('400 for null name/tags, invalid values and unknown fields (members included)', async () => {
      const name = `col-${uid()}`;
      const created = await createCollection(P, { name, members: ['keep'] });
      const cases: [unknown, string[]][] = [
        [{ name: null }, ['name must not be null']],
        [{ tags: null }, ['tags must not be null']],
        [{ name: 'a b' }, [`name ${NAME_RULE}`]],
        [{ datasetId: 'nope' }, ['datasetId must be a UUID']],
        [{ metadata: 'str' }, ['metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep']],
        [{ members: ['a'] }, ['property members should not exist']],
        [{ memberCount: 0 }, ['property memberCount should not exist']],
      ];
      for (const [body, message] of cases) {
        const res = await t.patch(`${P}/collections/${name}`, WRITER, body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, message));
      }
      expect(await getCollection(P, name)).toEqual(created);
    });

    it('403 for a reader; 404 for a missing collection and a non-member', async () => {
      const name = `col-${uid()}`;
      const created = await createCollection(P, { name });
      const reader = await t.patch(`${P}/collections/${name}`, READER, { description: 'r' });
      expect(reader.status).toBe(403);
      expect(reader.body).toEqual(forbidden());
      expect(await getCollection(P, name)).toEqual(created);
      const missing = `missing-${uid()}`;
      const res = await t.patch(`${P}/collections/${missing}`, WRITER, { description: 'x' });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound(missing));
      const stranger = await t.patch(`${P}/collections/${name}`, STRANGER, { description: 'x' });
      expect(stranger.status).toBe(404);
      expect(stranger.body).toEqual(nonMember());
    });
  });

  describe('DELETE …/collections/:name', () => {
    it('200 {success:true}; gone from GET and list; the name is reusable at once', async () => {
      const p = await freshProject();
      const ds = await createDataset(p.path, 'ds');
      const c = await createCollection(p.path, { name: 'doomed', datasetId: ds.id, members: ['a', 'b'] });
      await createCollection(p.path, { name: 'other' });
      const res = await t.delete(`${p.path}/collections/doomed`, WRITER);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true });

      const gone = await t.get(`${p.path}/collections/doomed`, READER);
      expect(gone.status).toBe(404);
      expect(gone.body).toEqual(notFound('doomed', p.path));
      const members = await t.get(`${p.path}/collections/doomed/members`, READER);
      expect(members.status).toBe(404);
      expect(members.body).toEqual(notFound('doomed', p.path));
      const list = await t.get(`${p.path}/collections`, READER);
      expect(list.body.collections.map((x: Json) => x.name)).toEqual(['other']);
      expect(list.body.total).toBe(1);
      expect((await t.get(`${p.path}/datasets/ds`, READER)).body.collections).toEqual([]);

      const again = await t.post(`${p.path}/collections`, WRITER, { name: 'doomed' });
      expect(again.status).toBe(201);
      expect(again.body.id).not.toBe(c.id);
      expect(again.body.members).toEqual([]);
      expect(again.body.memberCount).toBe(0);
      expect(again.body.datasetId).toBeNull();

      expect((await t.delete(`${p.path}/collections/doomed`, WRITER)).status).toBe(200);
      const twice = await t.delete(`${p.path}/collections/doomed`, WRITER);
      expect(twice.status).toBe(404);
      expect(twice.body).toEqual(notFound('doomed', p.path));
    });

    it('403 for a reader; 404 for a missing collection and a non-member', async () => {
      const name = `col-${uid()}`;
      await createCollection(P, { name });
      const reader = await t.delete(`${P}/collections/${name}`, READER);
      expect(reader.status).toBe(403);
      expect(reader.body).toEqual(forbidden());
      const stranger = await t.delete(`${P}/collections/${name}`, STRANGER);
      expect(stranger.status).toBe(404);
      expect(stranger.body).toEqual(nonMember());
      expect((await t.get(`${P}/collections/${name}`, READER)).status).toBe(200);
      const missing = `missing-${uid()}`;
      const res = await t.delete(`${P}/collections/${missing}`, WRITER);
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound(missing));
    });
  });

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

  it('a soft-deleted project hides everything under it (404)', async () => {
    const p = await freshProject();
    const ds = await createDataset(p.path, 'ds');
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
