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
import { datasetNotFound, ids, nonMember, notFound } from './helpers.js';

/* Collections (API.md "Collections"): create, change and delete, POST, PATCH and DELETE …/collections[/:name]. */

describe('collections', () => {
  bootAppWithProject();

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
      const ds = await createDataset(p.path, { name: 'ds' });
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
      const foreign = await createDataset(q.path, { name: 'foreign' });
      const deleted = await createDataset(p.path, { name: 'deleted' });
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
      const ds = await createDataset(P, { name });
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
      const d1 = await createDataset(p.path, { name: 'd1' });
      const d2 = await createDataset(p.path, { name: 'd2' });
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
      const d1 = await createDataset(p.path, { name: 'd1' });
      const gone = await createDataset(p.path, { name: 'gone' });
      expect((await t.delete(`${p.path}/datasets/gone`, WRITER)).status).toBe(200);
      const foreign = await createDataset(q.path, { name: 'foreign' });
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
      const ds = await createDataset(p.path, { name: 'ds' });
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
});
