import { ISO, TestApp, UUID, uid, error, NAME_RULE, type Json } from './harness.js';

/*
 * Datasets (API.md "Datasets", seed/dreamlake-datasets-api.txt): every route and status code.
 * Users: `alice` owns every namespace made here, `writer` and `reader` are members with those
 * roles, `mallory` is no member at all.
 */

const OWNER = 'alice';
const WRITER = 'writer';
const READER = 'reader';
const STRANGER = 'mallory';

const byName = <T extends { name: string }>(items: T[]): T[] => [...items].sort((a, b) => a.name.localeCompare(b.name));

describe('datasets', () => {
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

  /** A fresh project in the shared namespace, for tests that look at whole lists. */
  async function freshProject(): Promise<{ path: string; id: string }> {
    const path = await t.project(ns, OWNER);
    const res = await t.get(path, OWNER);
    expect(res.status).toBe(200);
    return { path, id: res.body.id };
  }

  async function createDataset(path: string, body: Json, as = WRITER): Promise<Json> {
    const res = await t.post(`${path}/datasets`, as, body);
    expect(res.status).toBe(201);
    return res.body;
  }

  async function createCollection(path: string, body: Json, as = WRITER): Promise<Json> {
    const res = await t.post(`${path}/collections`, as, body);
    expect(res.status).toBe(201);
    return res.body;
  }

  async function getCollection(path: string, name: string): Promise<Json> {
    const res = await t.get(`${path}/collections/${name}`, READER);
    expect(res.status).toBe(200);
    return res.body;
  }

  const notFound = (path: string, name: string) => {
    const [, , slug, , project] = path.split('/');
    return error(404, `Dataset '${name}' not found in project '${slug}/${project}'`);
  };
  const forbidden = () => error(403, `Your role in namespace '${ns}' is 'reader'; this needs 'writer' or above`);

  it('needs a token (401)', async () => {
    const res = await t.get(`${P}/datasets`, null);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  describe('POST …/datasets', () => {
    it('201 with the dataset object; unset description/metadata are null, tags []', async () => {
      const name = `ds-${uid()}`;
      const res = await t.post(`${P}/datasets`, WRITER, { name });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: UUID,
        name,
        description: null,
        tags: [],
        projectId,
        metadata: null,
        createdAt: ISO,
        updatedAt: ISO,
      });
      expect(Object.keys(res.body).sort()).toEqual(
        ['createdAt', 'description', 'id', 'metadata', 'name', 'projectId', 'tags', 'updatedAt'].sort(),
      );
    });

    it('201 with every field given, and the dataset reads back the same', async () => {
      const name = `Training.v2_${uid()}`;
      const body = {
        name,
        description: 'Q1 training data',
        tags: ['lidar', 'front'],
        metadata: { source: 'rig-7', nested: { n: 1, list: [1, 'a', null] } },
      };
      const res = await t.post(`${P}/datasets`, WRITER, body);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: UUID, ...body, projectId, createdAt: ISO, updatedAt: ISO });
      const got = await t.get(`${P}/datasets/${name}`, READER);
      expect(got.status).toBe(200);
      expect(got.body).toEqual({ ...res.body, collections: [] });
    });

    it('accepts a 100-character name and metadata of exactly 64 KiB', async () => {
      const name = `a${uid()}`.padEnd(100, 'x');
      const metadata = { x: 'a'.repeat(64 * 1024 - '{"x":""}'.length) };
      expect(Buffer.byteLength(JSON.stringify(metadata))).toBe(64 * 1024);
      const res = await t.post(`${P}/datasets`, WRITER, {
        name,
        metadata,
        tags: Array.from({ length: 50 }, (_, i) => `t${i}`),
      });
      expect(res.status).toBe(201);
      expect(res.body.name).toBe(name);
      expect(res.body.metadata).toEqual(metadata);
      expect(res.body.tags).toHaveLength(50);
    });

    it('400 when name is missing', async () => {
      const res = await t.post(`${P}/datasets`, WRITER, { description: 'no name' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(error(400, ['name should not be null or undefined']));
    });

    it('400 for a name that breaks the pattern', async () => {
      for (const name of ['', '-leading-dash', 'has space', 'slash/inside', 'ümlaut', '.dot']) {
        const res = await t.post(`${P}/datasets`, WRITER, { name });
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, [`name ${NAME_RULE}`]));
      }
      const notString = await t.post(`${P}/datasets`, WRITER, { name: 42 });
      expect(notString.status).toBe(400);
      expect(notString.body).toEqual(error(400, ['name must be a string']));
    });

    it('400 for a name longer than 100 characters', async () => {
      const res = await t.post(`${P}/datasets`, WRITER, { name: 'a'.repeat(101) });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(error(400, [`name ${NAME_RULE}`]));
    });

    it('400 for more than 50 tags', async () => {
      const tags = Array.from({ length: 51 }, (_, i) => `tag-${i}`);
      const res = await t.post(`${P}/datasets`, WRITER, { name: `ds-${uid()}`, tags });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(error(400, ['tags must contain no more than 50 elements']));
    });

    it('400 for a tag longer than 64 characters', async () => {
      const res = await t.post(`${P}/datasets`, WRITER, { name: `ds-${uid()}`, tags: ['ok', 'x'.repeat(65)] });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(error(400, ['each tag must be at most 64 characters']));
    });

    it('400 for a description longer than 10,000 characters', async () => {
      const res = await t.post(`${P}/datasets`, WRITER, { name: `ds-${uid()}`, description: 'd'.repeat(10_001) });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(error(400, ['description must be shorter than or equal to 10000 characters']));
    });

    it('400 for metadata above 64 KiB serialized', async () => {
      const metadata = { x: 'a'.repeat(64 * 1024 - '{"x":""}'.length + 1) };
      const res = await t.post(`${P}/datasets`, WRITER, { name: `ds-${uid()}`, metadata });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        error(400, ['metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep']),
      );
    });

    it('400 for metadata that is an array or not an object', async () => {
      for (const metadata of [[1, 2], 'text', 7]) {
        const res = await t.post(`${P}/datasets`, WRITER, { name: `ds-${uid()}`, metadata });
        expect(res.status).toBe(400);
        expect(res.body).toEqual(
          error(400, ['metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep']),
        );
      }
    });

    it('400 for an unknown field', async () => {
      const res = await t.post(`${P}/datasets`, WRITER, { name: `ds-${uid()}`, owner: 'me' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(error(400, ['property owner should not exist']));
    });

    it('400 (not 500) for a body that is not JSON', async () => {
      const res = await t.send('post', `${P}/datasets`, { as: WRITER, raw: '{"name": ' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(error(400, expect.anything()));
    });

    it('400 for a JSON body that is not an object', async () => {
      for (const raw of ['[]', 'null', '"name"']) {
        const res = await t.send('post', `${P}/datasets`, { as: WRITER, raw });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      }
    });

    it('403 for a reader, and nothing is created', async () => {
      const name = `ds-${uid()}`;
      const res = await t.post(`${P}/datasets`, READER, { name });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(forbidden());
      expect((await t.get(`${P}/datasets/${name}`, OWNER)).status).toBe(404);
    });

    it('404 for a missing namespace', async () => {
      const missing = `ns-missing-${uid()}`;
      const res = await t.post(`/namespaces/${missing}/projects/${projectSlug}/datasets`, WRITER, {
        name: `ds-${uid()}`,
      });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(error(404, `Namespace '${missing}' not found`));
    });

    it('404 for a missing project', async () => {
      const missing = `p-missing-${uid()}`;
      const res = await t.post(`/namespaces/${ns}/projects/${missing}/datasets`, WRITER, { name: `ds-${uid()}` });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(error(404, `Project '${missing}' not found in namespace '${ns}'`));
    });

    it('404 for a non-member, with the same body as a missing namespace', async () => {
      const res = await t.post(`${P}/datasets`, STRANGER, { name: `ds-${uid()}` });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(error(404, `Namespace '${ns}' not found`));
    });

    it('409 when the name exists in the project; fine in another project', async () => {
      const name = `ds-${uid()}`;
      await createDataset(P, { name });
      const res = await t.post(`${P}/datasets`, WRITER, { name, description: 'again' });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(error(409, `Dataset '${name}' already exists in project '${ns}/${projectSlug}'`));
      const other = await freshProject();
      const elsewhere = await t.post(`${other.path}/datasets`, WRITER, { name });
      expect(elsewhere.status).toBe(201);
      expect(elsewhere.body.projectId).toBe(other.id);
    });

    it('names are case-sensitive: "Abc" and "abc" are different datasets', async () => {
      const base = `cs${uid()}`;
      await createDataset(P, { name: `A${base}` });
      const res = await t.post(`${P}/datasets`, WRITER, { name: `a${base}` });
      expect(res.status).toBe(201);
    });
  });

  describe('GET …/datasets', () => {
    it('items have exactly {id, name, description, tags, collections:[{id,name}], createdAt, updatedAt}', async () => {
      const p = await freshProject();
      const ds = await createDataset(p.path, {
        name: 'alpha',
        description: 'first',
        tags: ['x'],
        metadata: { a: 1 },
      });
      const c1 = await createCollection(p.path, { name: 'c-one', datasetId: ds.id, members: ['n1'] });
      const c2 = await createCollection(p.path, { name: 'c-two', datasetId: ds.id });
      await createCollection(p.path, { name: 'c-standalone' });
      const empty = await createDataset(p.path, { name: 'beta' });

      const res = await t.get(`${p.path}/datasets`, READER);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        datasets: [
          {
            id: empty.id,
            name: 'beta',
            description: null,
            tags: [],
            collections: [],
            createdAt: empty.createdAt,
            updatedAt: empty.updatedAt,
          },
          {
            id: ds.id,
            name: 'alpha',
            description: 'first',
            tags: ['x'],
            collections: expect.any(Array),
            createdAt: ds.createdAt,
            updatedAt: ds.updatedAt,
          },
        ],
        page: 1,
        pageSize: 50,
        total: 2,
        totalPages: 1,
      });
      expect(byName(res.body.datasets[1].collections)).toEqual([
        { id: c1.id, name: 'c-one' },
        { id: c2.id, name: 'c-two' },
      ]);
    });

    it('an empty project lists nothing', async () => {
      const p = await freshProject();
      const res = await t.get(`${p.path}/datasets`, READER);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ datasets: [], page: 1, pageSize: 50, total: 0, totalPages: 0 });
    });

    it('paginates with page/pageSize/total/totalPages; past the end is 200 and empty', async () => {
      const p = await freshProject();
      const names = ['d1', 'd2', 'd3', 'd4', 'd5'];
      for (const name of names) await createDataset(p.path, { name });
      const seen: string[] = [];
      for (const page of [1, 2, 3]) {
        const res = await t.get(`${p.path}/datasets`, READER, `page=${page}&pageSize=2`);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ page, pageSize: 2, total: 5, totalPages: 3 });
        expect(res.body.datasets).toHaveLength(page < 3 ? 2 : 1);
        seen.push(...res.body.datasets.map((d: Json) => d.name));
      }
      expect(seen).toEqual(['d5', 'd4', 'd3', 'd2', 'd1']);
      const past = await t.get(`${p.path}/datasets`, READER, 'page=4&pageSize=2');
      expect(past.status).toBe(200);
      expect(past.body).toEqual({ datasets: [], page: 4, pageSize: 2, total: 5, totalPages: 3 });
      const big = await t.get(`${p.path}/datasets`, READER, 'pageSize=200');
      expect(big.status).toBe(200);
      expect(big.body).toMatchObject({ page: 1, pageSize: 200, total: 5, totalPages: 1 });
    });

    it('400 for pageSize 201, pageSize 0, page 0 and non-integers', async () => {
      const cases: [string, string[]][] = [
        ['pageSize=201', ['pageSize must not be greater than 200']],
        ['pageSize=0', ['pageSize must not be less than 1']],
        ['page=0', ['page must not be less than 1']],
        ['page=-1', ['page must not be less than 1']],
      ];
      for (const [query, message] of cases) {
        const res = await t.get(`${P}/datasets`, READER, query);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, message));
      }
      for (const query of ['page=abc', 'pageSize=1.5', 'page=1e', 'sort=size', 'sort=']) {
        const res = await t.get(`${P}/datasets`, READER, query);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(Array) });
      }
    });

    it('orders newest first by default; sort=name, -name, createdAt, -createdAt, updatedAt, -updatedAt', async () => {
      const p = await freshProject();
      for (const name of ['bravo', 'Alpha', 'charlie']) await createDataset(p.path, { name });
      const list = async (query?: string) => {
        const res = await t.get(`${p.path}/datasets`, READER, query);
        expect(res.status).toBe(200);
        return res.body.datasets.map((d: Json) => d.name);
      };
      expect(await list()).toEqual(['charlie', 'Alpha', 'bravo']);
      expect(await list('sort=-createdAt')).toEqual(['charlie', 'Alpha', 'bravo']);
      expect(await list('sort=createdAt')).toEqual(['bravo', 'Alpha', 'charlie']);
      expect(await list('sort=name')).toEqual(['Alpha', 'bravo', 'charlie']);
      expect(await list('sort=-name')).toEqual(['charlie', 'bravo', 'Alpha']);
      // touching bravo makes it the most recently updated
      expect((await t.patch(`${p.path}/datasets/bravo`, WRITER, { description: 'touched' })).status).toBe(200);
      expect(await list('sort=-updatedAt')).toEqual(['bravo', 'charlie', 'Alpha']);
      expect(await list('sort=updatedAt')).toEqual(['Alpha', 'charlie', 'bravo']);
    });

    it('q is a case-insensitive substring of the name; LIKE wildcards are literal', async () => {
      const p = await freshProject();
      for (const name of ['Front-Camera', 'rear-camera', 'lidar_scans', 'lidarXscans']) {
        await createDataset(p.path, { name });
      }
      const list = async (query: string) => {
        const res = await t.get(`${p.path}/datasets`, READER, query);
        expect(res.status).toBe(200);
        return res.body.datasets.map((d: Json) => d.name).sort();
      };
      expect(await list('q=CAMERA')).toEqual(['Front-Camera', 'rear-camera']);
      expect(await list('q=front')).toEqual(['Front-Camera']);
      expect(await list('q=r_s')).toEqual(['lidar_scans']);
      expect(await list('q=%25')).toEqual([]);
      expect(await list('q=nothing-like-this')).toEqual([]);
      const counted = await t.get(`${p.path}/datasets`, READER, 'q=camera&pageSize=1');
      expect(counted.body).toMatchObject({ total: 2, totalPages: 2 });
    });

    it('tag is repeatable and every given tag is required', async () => {
      const p = await freshProject();
      await createDataset(p.path, { name: 'both', tags: ['lidar', 'camera'] });
      await createDataset(p.path, { name: 'lidar-only', tags: ['lidar'] });
      await createDataset(p.path, { name: 'none' });
      const list = async (query: string) => {
        const res = await t.get(`${p.path}/datasets`, READER, query);
        expect(res.status).toBe(200);
        return res.body.datasets.map((d: Json) => d.name).sort();
      };
      expect(await list('tag=lidar')).toEqual(['both', 'lidar-only']);
      expect(await list('tag=lidar&tag=camera')).toEqual(['both']);
      expect(await list('tag=camera&tag=radar')).toEqual([]);
      expect(await list('tag=lidar&q=only')).toEqual(['lidar-only']);
    });

    it('404 for a missing namespace, a missing project and a non-member', async () => {
      const missingNs = await t.get(`/namespaces/nope-${uid()}/projects/${projectSlug}/datasets`, READER);
      expect(missingNs.status).toBe(404);
      expect(missingNs.body).toEqual(error(404, expect.stringMatching(/^Namespace 'nope-[0-9a-f]+' not found$/)));
      const missingProject = await t.get(`/namespaces/${ns}/projects/nope/datasets`, READER);
      expect(missingProject.status).toBe(404);
      expect(missingProject.body).toEqual(error(404, `Project 'nope' not found in namespace '${ns}'`));
      const stranger = await t.get(`${P}/datasets`, STRANGER);
      expect(stranger.status).toBe(404);
      expect(stranger.body).toEqual(error(404, `Namespace '${ns}' not found`));
    });
  });

  describe('GET …/datasets/:name', () => {
    it('the dataset with its collections, each a full collection object with all members in order', async () => {
      const p = await freshProject();
      const ds = await createDataset(p.path, { name: 'train', description: 'd', tags: ['t'], metadata: { k: 'v' } });
      const many = Array.from({ length: 150 }, (_, i) => `node-${String(149 - i).padStart(3, '0')}`);
      const big = await createCollection(p.path, { name: 'big', datasetId: ds.id, members: many });
      const small = await createCollection(p.path, {
        name: 'small',
        datasetId: ds.id,
        members: ['z', 'a', 'm'],
        tags: ['s'],
        metadata: { m: true },
        description: 'small one',
      });
      const empty = await createCollection(p.path, { name: 'empty', datasetId: ds.id });
      await createCollection(p.path, { name: 'outside', members: ['q'] });

      const res = await t.get(`${p.path}/datasets/train`, READER);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: ds.id,
        name: 'train',
        description: 'd',
        tags: ['t'],
        projectId: p.id,
        metadata: { k: 'v' },
        collections: expect.any(Array),
        createdAt: ds.createdAt,
        updatedAt: ds.updatedAt,
      });
      const full = (c: Json) => ({
        id: c.id,
        name: c.name,
        description: c.description,
        tags: c.tags,
        metadata: c.metadata,
        projectId: p.id,
        datasetId: ds.id,
        members: c.members,
        memberCount: c.members.length,
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
      });
      expect(byName(res.body.collections)).toEqual([full(big), full(empty), full(small)]);
      const bigInDataset = res.body.collections.find((c: Json) => c.name === 'big');
      expect(bigInDataset.members).toEqual(many);
      expect(bigInDataset.memberCount).toBe(150);
      expect(res.body.collections.find((c: Json) => c.name === 'small').members).toEqual(['z', 'a', 'm']);
    });

    it('does not show deleted collections', async () => {
      const p = await freshProject();
      const ds = await createDataset(p.path, { name: 'ds' });
      await createCollection(p.path, { name: 'keep', datasetId: ds.id });
      await createCollection(p.path, { name: 'gone', datasetId: ds.id });
      expect((await t.delete(`${p.path}/collections/gone`, WRITER)).status).toBe(200);
      const res = await t.get(`${p.path}/datasets/ds`, READER);
      expect(res.body.collections.map((c: Json) => c.name)).toEqual(['keep']);
      const list = await t.get(`${p.path}/datasets`, READER);
      expect(list.body.datasets[0].collections.map((c: Json) => c.name)).toEqual(['keep']);
    });

    it('404 for a missing dataset, namespace, project and for a non-member', async () => {
      const missingName = `no-such-${uid()}`;
      const missing = await t.get(`${P}/datasets/${missingName}`, READER);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(error(404, `Dataset '${missingName}' not found in project '${ns}/${projectSlug}'`));
      const name = `ds-${uid()}`;
      await createDataset(P, { name });
      const stranger = await t.get(`${P}/datasets/${name}`, STRANGER);
      expect(stranger.status).toBe(404);
      expect(stranger.body).toEqual(error(404, `Namespace '${ns}' not found`));
      const noProject = await t.get(`/namespaces/${ns}/projects/nope-${uid()}/datasets/${name}`, READER);
      expect(noProject.status).toBe(404);
      expect(noProject.body.message).toMatch(/^Project 'nope-[0-9a-f]+' not found in namespace /);
    });

    it('path segments are URL-decoded', async () => {
      const name = `dot.name_${uid()}`;
      await createDataset(P, { name });
      const res = await t.get(`${P}/datasets/${encodeURIComponent(name).replace('.', '%2E')}`, READER);
      expect(res.status).toBe(200);
      expect(res.body.name).toBe(name);
    });
  });

  describe('PATCH …/datasets/:name', () => {
    it('changes only the given fields', async () => {
      const name = `ds-${uid()}`;
      const created = await createDataset(P, {
        name,
        description: 'before',
        tags: ['a', 'b'],
        metadata: { keep: true },
      });
      const described = await t.patch(`${P}/datasets/${name}`, WRITER, { description: 'after' });
      expect(described.status).toBe(200);
      expect(described.body).toEqual({ ...created, description: 'after', updatedAt: ISO });
      expect(described.body.updatedAt >= created.updatedAt).toBe(true);

      const tagged = await t.patch(`${P}/datasets/${name}`, WRITER, { tags: ['c'] });
      expect(tagged.body).toEqual({ ...created, description: 'after', tags: ['c'], updatedAt: ISO });

      const cleared = await t.patch(`${P}/datasets/${name}`, WRITER, { description: null, metadata: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body).toEqual({ ...created, description: null, metadata: null, tags: ['c'], updatedAt: ISO });

      const withMeta = await t.patch(`${P}/datasets/${name}`, WRITER, { metadata: { v: 2 }, tags: [] });
      expect(withMeta.body).toEqual({ ...created, description: null, metadata: { v: 2 }, tags: [], updatedAt: ISO });

      const empty = await t.patch(`${P}/datasets/${name}`, WRITER, {});
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({ ...withMeta.body, updatedAt: ISO });

      const got = await t.get(`${P}/datasets/${name}`, READER);
      expect(got.body).toEqual({ ...empty.body, collections: [] });
    });

    it('renames: the old name is gone, the new one answers, collections stay attached', async () => {
      const p = await freshProject();
      const ds = await createDataset(p.path, { name: 'old-name' });
      await createCollection(p.path, { name: 'member-col', datasetId: ds.id });
      const res = await t.patch(`${p.path}/datasets/old-name`, WRITER, { name: 'new-name' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...ds, name: 'new-name', updatedAt: ISO });
      expect((await t.get(`${p.path}/datasets/old-name`, READER)).status).toBe(404);
      const renamed = await t.get(`${p.path}/datasets/new-name`, READER);
      expect(renamed.body.collections.map((c: Json) => c.name)).toEqual(['member-col']);
      // the old name is free again
      expect((await t.post(`${p.path}/datasets`, WRITER, { name: 'old-name' })).status).toBe(201);
    });

    it('409 when the new name is taken; nothing changes', async () => {
      const a = `ds-a-${uid()}`;
      const b = `ds-b-${uid()}`;
      await createDataset(P, { name: a });
      const bBody = await createDataset(P, { name: b, description: 'b' });
      const res = await t.patch(`${P}/datasets/${b}`, WRITER, { name: a, description: 'changed' });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(error(409, `Dataset '${a}' already exists in project '${ns}/${projectSlug}'`));
      const still = await t.get(`${P}/datasets/${b}`, READER);
      expect(still.body).toEqual({ ...bBody, collections: [] });
      // renaming to its own name is no conflict
      expect((await t.patch(`${P}/datasets/${b}`, WRITER, { name: b })).status).toBe(200);
    });

    it('400 for {"name": null}, {"tags": null}, an invalid name, bad fields and unknown fields', async () => {
      const name = `ds-${uid()}`;
      const created = await createDataset(P, { name });
      const cases: [unknown, string[]][] = [
        [{ name: null }, ['name must not be null']],
        [{ tags: null }, ['tags must not be null']],
        [{ name: 'bad name' }, [`name ${NAME_RULE}`]],
        [{ name: 'x'.repeat(101) }, [`name ${NAME_RULE}`]],
        [{ tags: ['y'.repeat(65)] }, ['each tag must be at most 64 characters']],
        [{ metadata: [1] }, ['metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep']],
        [{ projectId: created.projectId }, ['property projectId should not exist']],
        [{ colour: 'red' }, ['property colour should not exist']],
      ];
      for (const [body, message] of cases) {
        const res = await t.patch(`${P}/datasets/${name}`, WRITER, body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, message));
      }
      const still = await t.get(`${P}/datasets/${name}`, READER);
      expect(still.body).toEqual({ ...created, collections: [] });
    });

    it('403 for a reader; nothing changes', async () => {
      const name = `ds-${uid()}`;
      const created = await createDataset(P, { name });
      const res = await t.patch(`${P}/datasets/${name}`, READER, { description: 'reader was here' });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(forbidden());
      expect((await t.get(`${P}/datasets/${name}`, READER)).body).toEqual({ ...created, collections: [] });
    });

    it('404 for a missing dataset and for a non-member', async () => {
      const missing = `missing-${uid()}`;
      const res = await t.patch(`${P}/datasets/${missing}`, WRITER, { description: 'x' });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound(P, missing));
      const name = `ds-${uid()}`;
      await createDataset(P, { name });
      const stranger = await t.patch(`${P}/datasets/${name}`, STRANGER, { description: 'x' });
      expect(stranger.status).toBe(404);
      expect(stranger.body).toEqual(error(404, `Namespace '${ns}' not found`));
    });
  });

  describe('DELETE …/datasets/:name', () => {
    it('200 {success:true}; its collections become standalone; the name is free at once', async () => {
      const p = await freshProject();
      const ds = await createDataset(p.path, { name: 'doomed' });
      const c1 = await createCollection(p.path, { name: 'c1', datasetId: ds.id, members: ['a', 'b'] });
      const c2 = await createCollection(p.path, { name: 'c2', datasetId: ds.id });
      const other = await createDataset(p.path, { name: 'other' });
      await createCollection(p.path, { name: 'c3', datasetId: other.id });

      const res = await t.delete(`${p.path}/datasets/doomed`, WRITER);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true });

      // gone from GET and from the list
      const gone = await t.get(`${p.path}/datasets/doomed`, READER);
      expect(gone.status).toBe(404);
      expect(gone.body).toEqual(notFound(p.path, 'doomed'));
      const list = await t.get(`${p.path}/datasets`, READER);
      expect(list.body.datasets.map((d: Json) => d.name)).toEqual(['other']);
      expect(list.body.total).toBe(1);

      // the collections survive, standalone, with their members
      const got1 = await getCollection(p.path, 'c1');
      expect(got1).toEqual({ ...c1, datasetId: null, updatedAt: ISO });
      expect(got1.members).toEqual(['a', 'b']);
      expect((await getCollection(p.path, 'c2')).datasetId).toBeNull();
      expect((await getCollection(p.path, 'c3')).datasetId).toBe(other.id);
      const standalone = await t.get(`${p.path}/collections`, READER, 'standalone=true');
      expect(standalone.status).toBe(200);
      expect(standalone.body.collections.map((c: Json) => c.name).sort()).toEqual(['c1', 'c2']);
      const inDs = await t.get(`${p.path}/collections`, READER, `datasetId=${ds.id}`);
      expect(inDs.body.collections).toEqual([]);
      expect(c2.datasetId).toBe(ds.id);

      // the name is reusable immediately, and the new dataset starts empty
      const again = await t.post(`${p.path}/datasets`, WRITER, { name: 'doomed' });
      expect(again.status).toBe(201);
      expect(again.body.id).not.toBe(ds.id);
      const fresh = await t.get(`${p.path}/datasets/doomed`, READER);
      expect(fresh.body.collections).toEqual([]);

      // deleting twice: 404
      expect((await t.delete(`${p.path}/datasets/doomed`, WRITER)).status).toBe(200);
      const twice = await t.delete(`${p.path}/datasets/doomed`, WRITER);
      expect(twice.status).toBe(404);
      expect(twice.body).toEqual(notFound(p.path, 'doomed'));
    });

    it('403 for a reader; the dataset stays', async () => {
      const name = `ds-${uid()}`;
      await createDataset(P, { name });
      const res = await t.delete(`${P}/datasets/${name}`, READER);
      expect(res.status).toBe(403);
      expect(res.body).toEqual(forbidden());
      expect((await t.get(`${P}/datasets/${name}`, READER)).status).toBe(200);
    });

    it('404 for a missing dataset and for a non-member', async () => {
      const missing = `missing-${uid()}`;
      const res = await t.delete(`${P}/datasets/${missing}`, WRITER);
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound(P, missing));
      const name = `ds-${uid()}`;
      await createDataset(P, { name });
      const stranger = await t.delete(`${P}/datasets/${name}`, STRANGER);
      expect(stranger.status).toBe(404);
      expect(stranger.body).toEqual(error(404, `Namespace '${ns}' not found`));
      expect((await t.get(`${P}/datasets/${name}`, READER)).status).toBe(200);
    });
  });

  describe('POST …/datasets/:name/collections (link)', () => {
    it('200 {added, total}: added counts only newly attached collections', async () => {
      const p = await freshProject();
      const ds = await createDataset(p.path, { name: 'ds' });
      for (const name of ['a', 'b', 'c']) await createCollection(p.path, { name });

      const first = await t.post(`${p.path}/datasets/ds/collections`, WRITER, { add: ['a', 'b'] });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ added: 2, total: 2 });

      const again = await t.post(`${p.path}/datasets/ds/collections`, WRITER, { add: ['a', 'b'] });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ added: 0, total: 2 });

      const mixed = await t.post(`${p.path}/datasets/ds/collections`, WRITER, { add: ['b', 'c', 'c'] });
      expect(mixed.status).toBe(200);
      expect(mixed.body).toEqual({ added: 1, total: 3 });

      const empty = await t.post(`${p.path}/datasets/ds/collections`, WRITER, { add: [] });
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({ added: 0, total: 3 });

      for (const name of ['a', 'b', 'c']) expect((await getCollection(p.path, name)).datasetId).toBe(ds.id);
      const got = await t.get(`${p.path}/datasets/ds`, READER);
      expect(got.body.collections.map((c: Json) => c.name).sort()).toEqual(['a', 'b', 'c']);
    });

    it('404 when the dataset is missing', async () => {
      const p = await freshProject();
      await createCollection(p.path, { name: 'a' });
      const res = await t.post(`${p.path}/datasets/nope/collections`, WRITER, { add: ['a'] });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound(p.path, 'nope'));
      expect((await getCollection(p.path, 'a')).datasetId).toBeNull();
    });

    it('404 when any named collection is missing: nothing changes, the message lists the missing names', async () => {
      const p = await freshProject();
      const [, , slug, , project] = p.path.split('/');
      await createDataset(p.path, { name: 'ds' });
      await createCollection(p.path, { name: 'present-1' });
      await createCollection(p.path, { name: 'present-2' });
      await createCollection(p.path, { name: 'deleted-one' });
      expect((await t.delete(`${p.path}/collections/deleted-one`, WRITER)).status).toBe(200);

      const res = await t.post(`${p.path}/datasets/ds/collections`, WRITER, {
        add: ['present-1', 'ghost-b', 'present-2', 'ghost-a', 'deleted-one'],
      });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(
        error(
          404,
          `Collections not found in project '${slug}/${project}': 'deleted-one', 'ghost-a', 'ghost-b'; nothing was changed`,
        ),
      );
      expect((await getCollection(p.path, 'present-1')).datasetId).toBeNull();
      expect((await getCollection(p.path, 'present-2')).datasetId).toBeNull();
      expect((await t.get(`${p.path}/datasets/ds`, READER)).body.collections).toEqual([]);
    });

    it('404 for a collection of another project', async () => {
      const p = await freshProject();
      const q = await freshProject();
      await createDataset(p.path, { name: 'ds' });
      await createCollection(q.path, { name: 'elsewhere' });
      const res = await t.post(`${p.path}/datasets/ds/collections`, WRITER, { add: ['elsewhere'] });
      expect(res.status).toBe(404);
      expect(res.body.message).toContain("'elsewhere'");
      expect((await getCollection(q.path, 'elsewhere')).datasetId).toBeNull();
    });

    it('409 when a named collection belongs to another dataset: nothing changes, the message lists them', async () => {
      const p = await freshProject();
      const ds = await createDataset(p.path, { name: 'ds' });
      const other = await createDataset(p.path, { name: 'other' });
      await createCollection(p.path, { name: 'free' });
      await createCollection(p.path, { name: 'mine', datasetId: ds.id });
      await createCollection(p.path, { name: 'taken-2', datasetId: other.id });
      await createCollection(p.path, { name: 'taken-1', datasetId: other.id });

      const res = await t.post(`${p.path}/datasets/ds/collections`, WRITER, {
        add: ['free', 'taken-2', 'mine', 'taken-1'],
      });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(
        error(409, `Collections already belong to another dataset: 'taken-1', 'taken-2'; nothing was changed`),
      );
      expect((await getCollection(p.path, 'free')).datasetId).toBeNull();
      expect((await getCollection(p.path, 'mine')).datasetId).toBe(ds.id);
      expect((await getCollection(p.path, 'taken-1')).datasetId).toBe(other.id);
      expect((await getCollection(p.path, 'taken-2')).datasetId).toBe(other.id);
    });

    it('400 for more than 100,000 names, invalid names, a missing or malformed `add`, unknown fields', async () => {
      const p = await freshProject();
      await createDataset(p.path, { name: 'ds' });
      await createCollection(p.path, { name: 'ok' });
      const tooMany = Array.from({ length: 100_001 }, (_, i) => `c${i}`);
      const cases: [unknown, string[]][] = [
        [{ add: tooMany }, ['add must contain at most 100000 collection names per request']],
        [{ add: ['ok', 'bad name', '-x'] }, ['add holds invalid collection names: "bad name", "-x"']],
        [{ add: ['x'.repeat(101)] }, [`add holds invalid collection names: "${'x'.repeat(101)}"`]],
        [{ add: ['ok', 7] }, expect.arrayContaining(['each value in add must be a string'])],
        [{ add: 'ok' }, expect.arrayContaining(['add must be an array'])],
        [{ add: ['ok'], extra: 1 }, ['property extra should not exist']],
      ];
      for (const [body, message] of cases) {
        const res = await t.post(`${p.path}/datasets/ds/collections`, WRITER, body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, message));
      }
      expect((await getCollection(p.path, 'ok')).datasetId).toBeNull();
    });

    it('400 (not 500) when `add` is missing, null or a non-array string', async () => {
      const p = await freshProject();
      await createDataset(p.path, { name: 'ds' });
      const cases: [unknown, string][] = [
        [{}, 'add should not be null or undefined'],
        [{ remove: ['ok'] }, 'add should not be null or undefined'],
        [{ add: null }, 'add should not be null or undefined'],
        [{ add: 'bad name' }, 'add must be an array'],
      ];
      for (const [body, message] of cases) {
        const res = await t.post(`${p.path}/datasets/ds/collections`, WRITER, body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, expect.arrayContaining([message])));
      }
      const noBody = await t.post(`${p.path}/datasets/ds/collections`, WRITER);
      expect(noBody.status).toBe(400);
      expect(noBody.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });

    it('accepts exactly 10,000 names (404 listing the missing ones; nothing changed)', async () => {
      const p = await freshProject();
      await createDataset(p.path, { name: 'ds' });
      await createCollection(p.path, { name: 'c0' });
      const names = Array.from({ length: 10_000 }, (_, i) => `c${i}`);
      const res = await t.post(`${p.path}/datasets/ds/collections`, WRITER, { add: names });
      expect(res.status).toBe(404);
      expect(res.body.message).toContain("'c9999'");
      expect(res.body.message).not.toContain("'c0',");
      expect((await getCollection(p.path, 'c0')).datasetId).toBeNull();
    });

    it('403 for a reader; nothing changes', async () => {
      const p = await freshProject();
      await createDataset(p.path, { name: 'ds' });
      await createCollection(p.path, { name: 'a' });
      const res = await t.post(`${p.path}/datasets/ds/collections`, READER, { add: ['a'] });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(forbidden());
      expect((await getCollection(p.path, 'a')).datasetId).toBeNull();
    });

    it('404 for a non-member', async () => {
      const res = await t.post(`${P}/datasets/whatever/collections`, STRANGER, { add: ['a'] });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(error(404, `Namespace '${ns}' not found`));
    });
  });

  describe('DELETE …/datasets/:name/collections (unlink)', () => {
    it('200 {removed, total}; removed collections are standalone; unknown names are ignored', async () => {
      const p = await freshProject();
      const ds = await createDataset(p.path, { name: 'ds' });
      const other = await createDataset(p.path, { name: 'other' });
      for (const name of ['a', 'b', 'c']) await createCollection(p.path, { name, datasetId: ds.id });
      await createCollection(p.path, { name: 'elsewhere', datasetId: other.id });
      await createCollection(p.path, { name: 'loose' });

      const res = await t.delete(`${p.path}/datasets/ds/collections`, WRITER, {
        remove: ['a', 'ghost', 'elsewhere', 'loose', 'c'],
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ removed: 2, total: 1 });
      expect((await getCollection(p.path, 'a')).datasetId).toBeNull();
      expect((await getCollection(p.path, 'c')).datasetId).toBeNull();
      expect((await getCollection(p.path, 'b')).datasetId).toBe(ds.id);
      expect((await getCollection(p.path, 'elsewhere')).datasetId).toBe(other.id);
      expect((await getCollection(p.path, 'loose')).datasetId).toBeNull();
      const standalone = await t.get(`${p.path}/collections`, READER, 'standalone=true');
      expect(standalone.body.collections.map((c: Json) => c.name).sort()).toEqual(['a', 'c', 'loose']);

      const again = await t.delete(`${p.path}/datasets/ds/collections`, WRITER, { remove: ['a', 'c'] });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ removed: 0, total: 1 });

      const last = await t.delete(`${p.path}/datasets/ds/collections`, WRITER, { remove: ['b'] });
      expect(last.body).toEqual({ removed: 1, total: 0 });
      expect((await t.get(`${p.path}/datasets/ds`, READER)).body.collections).toEqual([]);
    });

    it('404 when the dataset is missing', async () => {
      const missing = `missing-${uid()}`;
      const res = await t.delete(`${P}/datasets/${missing}/collections`, WRITER, { remove: ['a'] });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound(P, missing));
    });

    it('403 for a reader; nothing changes', async () => {
      const p = await freshProject();
      const ds = await createDataset(p.path, { name: 'ds' });
      await createCollection(p.path, { name: 'a', datasetId: ds.id });
      const res = await t.delete(`${p.path}/datasets/ds/collections`, READER, { remove: ['a'] });
      expect(res.status).toBe(403);
      expect(res.body).toEqual(forbidden());
      expect((await getCollection(p.path, 'a')).datasetId).toBe(ds.id);
    });

    it('400 for a bad body', async () => {
      const p = await freshProject();
      const ds = await createDataset(p.path, { name: 'ds' });
      await createCollection(p.path, { name: 'a', datasetId: ds.id });
      const cases: [unknown, unknown][] = [
        [{ remove: 'a' }, expect.arrayContaining(['remove must be an array'])],
        [{ remove: ['a b'] }, ['remove holds invalid collection names: "a b"']],
        [{ remove: ['a'], add: ['a'] }, ['property add should not exist']],
        [
          { remove: Array.from({ length: 100_001 }, (_, i) => `c${i}`) },
          ['remove must contain at most 100000 collection names per request'],
        ],
      ];
      for (const [body, message] of cases) {
        const res = await t.delete(`${p.path}/datasets/ds/collections`, WRITER, body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, message));
      }
      expect((await getCollection(p.path, 'a')).datasetId).toBe(ds.id);
    });

    it('400 (not 500) when `remove` is missing or null', async () => {
      const p = await freshProject();
      const ds = await createDataset(p.path, { name: 'ds' });
      await createCollection(p.path, { name: 'a', datasetId: ds.id });
      for (const body of [{}, { remove: null }, { add: ['a'] }]) {
        const res = await t.delete(`${p.path}/datasets/ds/collections`, WRITER, body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(error(400, expect.arrayContaining(['remove should not be null or undefined'])));
      }
      const noBody = await t.delete(`${p.path}/datasets/ds/collections`, WRITER);
      expect(noBody.status).toBe(400);
      expect(noBody.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect((await getCollection(p.path, 'a')).datasetId).toBe(ds.id);
    });
  });

  it('a soft-deleted project hides its datasets (404)', async () => {
    const p = await freshProject();
    const [, , slug, , project] = p.path.split('/');
    await createDataset(p.path, { name: 'ds' });
    expect((await t.delete(p.path, OWNER)).status).toBe(200);
    const hidden = error(404, `Project '${project}' not found in namespace '${slug}'`);
    for (const res of [
      await t.get(`${p.path}/datasets`, READER),
      await t.get(`${p.path}/datasets/ds`, READER),
      await t.patch(`${p.path}/datasets/ds`, WRITER, { description: 'x' }),
      await t.delete(`${p.path}/datasets/ds`, WRITER),
      await t.post(`${p.path}/datasets`, WRITER, { name: 'ds2' }),
      await t.post(`${p.path}/datasets/ds/collections`, WRITER, { add: [] }),
      await t.delete(`${p.path}/datasets/ds/collections`, WRITER, { remove: [] }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual(hidden);
    }
  });
});
