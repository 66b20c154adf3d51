import { error, type Json, uid } from '../harness.js';
import { READER, STRANGER, WRITER } from '../factories.js';
import {
  bootAppWithProject,
  createCollection,
  createDataset,
  forbidden,
  freshProject,
  getCollection,
  ns,
  P,
  t,
} from '../suite.js';
import { notFound } from './helpers.js';

/* Datasets (API.md "Datasets"): attach and detach collections, POST and DELETE …/datasets/:name/collections. */

describe('datasets', () => {
  bootAppWithProject();

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
});
