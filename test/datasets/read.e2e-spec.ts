import { error, type Json, uid } from '../harness.js';
import { OWNER, READER, STRANGER, WRITER } from '../factories.js';
import { bootAppWithProject, createCollection, createDataset, freshProject, ns, P, projectSlug, t } from '../suite.js';
import { byName } from './helpers.js';

/* Datasets (API.md "Datasets"): GET …/datasets and …/datasets/:name, a deleted project. */

describe('datasets', () => {
  bootAppWithProject();

  it('needs a token (401)', async () => {
    const res = await t.get(`${P}/datasets`, null);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
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
