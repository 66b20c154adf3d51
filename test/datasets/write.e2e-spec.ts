import { error, ISO, type Json, NAME_RULE, uid, UUID } from '../harness.js';
import { OWNER, READER, STRANGER, WRITER } from '../factories.js';
import {
  bootAppWithProject,
  createCollection,
  createDataset,
  forbidden,
  freshProject,
  getCollection,
  ns,
  P,
  projectId,
  projectSlug,
  t,
} from '../suite.js';
import { notFound } from './helpers.js';

/* Datasets (API.md "Datasets", seed/dreamlake-datasets-api.txt): POST, PATCH and DELETE …/datasets[/:name]. */

describe('datasets', () => {
  bootAppWithProject();

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
});
