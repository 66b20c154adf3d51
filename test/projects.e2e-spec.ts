import { ISO, TestApp, UUID, uid } from './harness.js';
import { badRequest, conflict, expectOneProblem, needs, notFound, nsNotFound, sb, user } from './factories.js';

/* Projects (API.md, Projects; Conventions; Roles). */

const needsAdmin = (slug: string, role: string) => needs(slug, role, 'admin');
const projectNotFound = (slug: string, projectSlug: string) =>
  notFound(`Project '${projectSlug}' not found in namespace '${slug}'`);
const slugTaken = (slug: string, projectSlug: string) =>
  conflict(`Project slug '${projectSlug}' is already taken in namespace '${slug}'`);

interface Team {
  slug: string;
  namespaceId: string;
  owner: string;
  admin: string;
  writer: string;
  reader: string;
  base: string;
}

describe('projects', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  /** A fresh namespace with an owner, an admin, a writer and a reader. */
  async function team(): Promise<Team> {
    const [owner, admin, writer, reader] = [user(), user(), user(), user()];
    const slug = await t.namespace(owner, { [admin]: 'admin', [writer]: 'writer', [reader]: 'reader' });
    const namespaceId = (await t.get(`/namespaces/${slug}`, owner)).body.id;
    return { slug, namespaceId, owner, admin, writer, reader, base: `/namespaces/${slug}/projects` };
  }

  const projectObject = (ns: Team, name: string, slug: string, fields: Record<string, unknown> = {}) => ({
    id: UUID,
    namespaceId: ns.namespaceId,
    name,
    slug,
    description: null,
    tags: [],
    metadata: null,
    createdAt: ISO,
    updatedAt: ISO,
    ...fields,
  });

  describe('POST /namespaces/:slug/projects', () => {
    it('201 with the project; the slug is derived from the name', async () => {
      const ns = await team();
      const res = await t.post(ns.base, ns.admin, { name: 'Robotics  Lab #1!' });
      expect(res).toEqual({
        status: 201,
        body: projectObject(ns, 'Robotics  Lab #1!', 'robotics-lab-1'),
        statements: 1,
      });
      expect(res.body.createdAt).toBe(res.body.updatedAt);
      expect(sb(await t.get(`${ns.base}/robotics-lab-1`, ns.reader))).toEqual({
        status: 200,
        body: { ...res.body, datasets: 0, collections: 0 },
      });
    });

    it('201 with an explicit slug, description, tags (deduplicated) and metadata', async () => {
      const ns = await team();
      const fields = { description: 'Lidar runs', metadata: { rig: 7, sensors: ['lidar'] } };
      const res = await t.post(ns.base, ns.owner, {
        name: 'Field Tests',
        slug: 'ft-2026',
        tags: ['lidar', 'outdoor', 'lidar', 'night', 'outdoor'],
        ...fields,
      });
      expect(sb(res)).toEqual({
        status: 201,
        body: projectObject(ns, 'Field Tests', 'ft-2026', { ...fields, tags: ['lidar', 'outdoor', 'night'] }),
      });
    });

    it('201 at the limits: 100-char name, 50 tags of 64 chars', async () => {
      const ns = await team();
      const tags = Array.from({ length: 50 }, (_, i) => `${i}`.padStart(64, 't'));
      const name = 'N'.repeat(100);
      expect(sb(await t.post(ns.base, ns.admin, { name, tags }))).toEqual({
        status: 201,
        body: projectObject(ns, name, 'n'.repeat(64), { tags }),
      });
    });

    it('400 when the name is missing', async () => {
      const ns = await team();
      const res = await t.post(ns.base, ns.admin, { slug: 'no-name' });
      expect({ status: res.status, error: res.body.error, statements: res.statements }).toEqual({
        status: 400,
        error: 'Bad Request',
        statements: 0,
      });
      expect(res.body.message).toContain('name should not be null or undefined');
    });

    it('400 when the name derives no slug', async () => {
      const ns = await team();
      expect(await t.post(ns.base, ns.admin, { name: '!!!' })).toEqual({
        ...badRequest(["slug cannot be derived from name '!!!'; give a slug"]),
        statements: 0,
      });
      // With an explicit slug the same name is fine.
      expect(sb(await t.post(ns.base, ns.admin, { name: '!!!', slug: 'bangs' }))).toEqual({
        status: 201,
        body: projectObject(ns, '!!!', 'bangs'),
      });
    });

    it('400 for other bad input', async () => {
      const ns = await team();
      const bad = async (body: Record<string, unknown>, message: string[]) =>
        expect(await t.post(ns.base, ns.admin, body)).toEqual({ ...badRequest(message), statements: 0 });
      await bad({ name: '  ' }, ['name must not be empty']);
      await bad({ name: 'n'.repeat(101) }, ['name must be shorter than or equal to 100 characters']);
      await bad({ name: 'ok', slug: 'Not_A_Slug' }, [
        'slug must be 1-64 lowercase letters, digits or inner hyphens (^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$)',
      ]);
      await bad({ name: 'ok', description: 'd'.repeat(10_001) }, [
        'description must be shorter than or equal to 10000 characters',
      ]);
      await bad({ name: 'ok', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }, [
        'tags must contain no more than 50 elements',
      ]);
      await bad({ name: 'ok', tags: ['x'.repeat(65)] }, ['each tag must be at most 64 characters']);
      await bad({ name: 'ok', tags: [''] }, ['each tag must not be empty']);
      await bad({ name: 'ok', metadata: 'not an object' }, [
        'metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep',
      ]);
      await bad({ name: 'ok', metadata: { a: 'x'.repeat(64 * 1024) } }, [
        'metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep',
      ]);
      await bad({ name: 'ok', namespaceId: ns.namespaceId }, ['property namespaceId should not exist']);
    });

    it('403 for a writer or a reader', async () => {
      const ns = await team();
      expect(await t.post(ns.base, ns.writer, { name: 'Nope' })).toEqual({
        ...needsAdmin(ns.slug, 'writer'),
        statements: 1,
      });
      expect(sb(await t.post(ns.base, ns.reader, { name: 'Nope' }))).toEqual(needsAdmin(ns.slug, 'reader'));
      expect((await t.get(ns.base, ns.owner)).body.total).toBe(0);
    });

    it('404 for a non-member and for a missing namespace, with the same body', async () => {
      const ns = await team();
      expect(await t.post(ns.base, user(), { name: 'Nope' })).toEqual({ ...nsNotFound(ns.slug), statements: 1 });
      const missing = `ns-${uid()}`;
      expect(sb(await t.post(`/namespaces/${missing}/projects`, ns.owner, { name: 'Nope' }))).toEqual(
        nsNotFound(missing),
      );
    });

    it('409 when the slug is taken in the namespace (explicit or derived)', async () => {
      const ns = await team();
      expect((await t.post(ns.base, ns.admin, { name: 'Robotics Lab' })).status).toBe(201);
      expect(await t.post(ns.base, ns.admin, { name: 'Other', slug: 'robotics-lab' })).toEqual({
        ...slugTaken(ns.slug, 'robotics-lab'),
        statements: 1,
      });
      expect(sb(await t.post(ns.base, ns.admin, { name: 'robotics lab!' }))).toEqual(
        slugTaken(ns.slug, 'robotics-lab'),
      );
      // The same slug in another namespace is fine.
      const other = await team();
      expect((await t.post(other.base, other.admin, { name: 'Robotics Lab' })).status).toBe(201);
    });
  });

  describe('GET /namespaces/:slug/projects', () => {
    it('200 with every live project, newest first, for any member', async () => {
      const ns = await team();
      const p1 = (await t.post(ns.base, ns.admin, { name: 'One', tags: ['a'] })).body;
      const p2 = (await t.post(ns.base, ns.admin, { name: 'Two' })).body;
      const gone = (await t.post(ns.base, ns.admin, { name: 'Gone' })).body;
      const p3 = (await t.post(ns.base, ns.admin, { name: 'Three', description: 'd' })).body;
      expect((await t.delete(`${ns.base}/${gone.slug}`, ns.admin)).status).toBe(200);
      expect(await t.get(ns.base, ns.reader)).toEqual({
        status: 200,
        body: { projects: [p3, p2, p1], page: 1, pageSize: 50, total: 3, totalPages: 1 },
        statements: 1,
      });
    });

    it('paginates; a page past the end is 200 and empty; bad page/pageSize → 400', async () => {
      const ns = await team();
      const slugs: string[] = [];
      for (let i = 0; i < 5; i++) slugs.push((await t.post(ns.base, ns.admin, { name: `P ${i}` })).body.slug);
      const newest = [...slugs].reverse();
      const page = async (query: string) => {
        const res = await t.get(ns.base, ns.writer, query);
        expect(res.status).toBe(200);
        return { ...res.body, projects: res.body.projects.map((p: { slug: string }) => p.slug) };
      };
      expect(await page('pageSize=2')).toEqual({
        projects: newest.slice(0, 2),
        page: 1,
        pageSize: 2,
        total: 5,
        totalPages: 3,
      });
      expect(await page('page=3&pageSize=2')).toEqual({
        projects: newest.slice(4),
        page: 3,
        pageSize: 2,
        total: 5,
        totalPages: 3,
      });
      expect(await page('page=9&pageSize=2')).toEqual({ projects: [], page: 9, pageSize: 2, total: 5, totalPages: 3 });
      expect(await t.get(ns.base, ns.writer, 'pageSize=0')).toEqual({
        ...badRequest(['pageSize must not be less than 1']),
        statements: 0,
      });
      expect(await t.get(ns.base, ns.writer, 'pageSize=201')).toEqual({
        ...badRequest(['pageSize must not be greater than 200']),
        statements: 0,
      });
      expect(await t.get(ns.base, ns.writer, 'page=0')).toEqual({
        ...badRequest(['page must not be less than 1']),
        statements: 0,
      });
    });

    it('sorts by name, -name, createdAt, -createdAt, updatedAt', async () => {
      const ns = await team();
      const bravo = (await t.post(ns.base, ns.admin, { name: 'Bravo' })).body.slug;
      const alpha = (await t.post(ns.base, ns.admin, { name: 'alpha' })).body.slug;
      const charlie = (await t.post(ns.base, ns.admin, { name: 'Charlie' })).body.slug;
      expect((await t.patch(`${ns.base}/${bravo}`, ns.admin, { description: 'touched' })).status).toBe(200);
      const order = async (sort: string) => {
        const res = await t.get(ns.base, ns.reader, `sort=${sort}`);
        expect(res.status).toBe(200);
        return res.body.projects.map((p: { slug: string }) => p.slug);
      };
      expect(await order('name')).toEqual([alpha, bravo, charlie]);
      expect(await order('-name')).toEqual([charlie, bravo, alpha]);
      expect(await order('createdAt')).toEqual([bravo, alpha, charlie]);
      expect(await order('-createdAt')).toEqual([charlie, alpha, bravo]);
      expect(await order('updatedAt')).toEqual([alpha, charlie, bravo]);
      expect(await order('-updatedAt')).toEqual([bravo, charlie, alpha]);
      expect(await t.get(ns.base, ns.reader, 'sort=slug')).toEqual({
        ...badRequest(['sort must be one of: name, -name, createdAt, -createdAt, updatedAt, -updatedAt']),
        statements: 0,
      });
    });

    it('q filters by a case-insensitive substring of the name', async () => {
      const ns = await team();
      const lidar = (await t.post(ns.base, ns.admin, { name: 'Lidar Runs' })).body.slug;
      const night = (await t.post(ns.base, ns.admin, { name: 'night LIDAR', slug: 'nl' })).body.slug;
      await t.post(ns.base, ns.admin, { name: 'Camera' });
      const find = async (q: string) => {
        const res = await t.get(ns.base, ns.reader, `q=${encodeURIComponent(q)}`);
        expect(res.status).toBe(200);
        return { slugs: res.body.projects.map((p: { slug: string }) => p.slug), total: res.body.total };
      };
      expect(await find('lidar')).toEqual({ slugs: [night, lidar], total: 2 });
      expect(await find('T LiD')).toEqual({ slugs: [night], total: 1 });
      expect(await find('_')).toEqual({ slugs: [], total: 0 });
      expect(await find('nothing')).toEqual({ slugs: [], total: 0 });
    });

    it('tag filters; repeated tags must all be carried', async () => {
      const ns = await team();
      const ab = (await t.post(ns.base, ns.admin, { name: 'AB', tags: ['a', 'b'] })).body.slug;
      const a = (await t.post(ns.base, ns.admin, { name: 'A', tags: ['a'] })).body.slug;
      const b = (await t.post(ns.base, ns.admin, { name: 'B', tags: ['b', 'c'] })).body.slug;
      await t.post(ns.base, ns.admin, { name: 'None' });
      const find = async (query: string) => {
        const res = await t.get(ns.base, ns.reader, query);
        expect(res.status).toBe(200);
        return { slugs: res.body.projects.map((p: { slug: string }) => p.slug), total: res.body.total };
      };
      expect(await find('tag=a')).toEqual({ slugs: [a, ab], total: 2 });
      expect(await find('tag=b')).toEqual({ slugs: [b, ab], total: 2 });
      expect(await find('tag=a&tag=b')).toEqual({ slugs: [ab], total: 1 });
      expect(await find('tag=b&tag=c')).toEqual({ slugs: [b], total: 1 });
      expect(await find('tag=a&tag=c')).toEqual({ slugs: [], total: 0 });
      expect(await find('tag=zzz')).toEqual({ slugs: [], total: 0 });
      expect(await find('tag=a&q=ab&sort=name')).toEqual({ slugs: [ab], total: 1 });
    });

    it('404 for a non-member or a missing namespace', async () => {
      const ns = await team();
      await t.post(ns.base, ns.admin, { name: 'Secret' });
      expect(await t.get(ns.base, user())).toEqual({ ...nsNotFound(ns.slug), statements: 1 });
      const missing = `ns-${uid()}`;
      expect(sb(await t.get(`/namespaces/${missing}/projects`, ns.owner))).toEqual(nsNotFound(missing));
    });
  });

  describe('GET /namespaces/:slug/projects/:projectSlug', () => {
    it('200 with dataset and collection counts', async () => {
      const ns = await team();
      const created = (await t.post(ns.base, ns.admin, { name: 'Counted', tags: ['x'] })).body;
      const path = `${ns.base}/${created.slug}`;
      expect(await t.get(path, ns.reader)).toEqual({
        status: 200,
        body: { ...created, datasets: 0, collections: 0 },
        statements: 1,
      });
      expect((await t.post(`${path}/datasets`, ns.writer, { name: 'training-v2' })).status).toBe(201);
      expect((await t.post(`${path}/collections`, ns.writer, { name: 'front-camera' })).status).toBe(201);
      expect(sb(await t.get(path, ns.reader))).toEqual({
        status: 200,
        body: { ...created, datasets: 1, collections: 1 },
      });
      // Counts are of live rows only.
      expect((await t.post(`${path}/datasets`, ns.writer, { name: 'eval' })).status).toBe(201);
      expect((await t.delete(`${path}/datasets/eval`, ns.writer)).status).toBe(200);
      expect((await t.post(`${path}/collections`, ns.writer, { name: 'scratch' })).status).toBe(201);
      expect((await t.post(`${path}/collections`, ns.writer, { name: 'tmp' })).status).toBe(201);
      expect((await t.delete(`${path}/collections/tmp`, ns.writer)).status).toBe(200);
      expect(sb(await t.get(path, ns.reader))).toEqual({
        status: 200,
        body: { ...created, datasets: 1, collections: 2 },
      });
    });

    it('404 for a missing project, a non-member and a missing namespace', async () => {
      const ns = await team();
      const path = await t.project(ns.slug, ns.admin);
      const projectSlug = path.split('/').pop() as string;
      expect(await t.get(`${ns.base}/nope`, ns.owner)).toEqual({
        ...projectNotFound(ns.slug, 'nope'),
        statements: 1,
      });
      expect(sb(await t.get(path, user()))).toEqual(nsNotFound(ns.slug));
      const missing = `ns-${uid()}`;
      expect(sb(await t.get(`/namespaces/${missing}/projects/${projectSlug}`, ns.owner))).toEqual(nsNotFound(missing));
    });
  });

  describe('PATCH /namespaces/:slug/projects/:projectSlug', () => {
    it('200; only the given fields change', async () => {
      const ns = await team();
      const created = (
        await t.post(ns.base, ns.admin, {
          name: 'Before',
          description: 'keep',
          tags: ['t1'],
          metadata: { m: 1 },
        })
      ).body;
      const path = `${ns.base}/${created.slug}`;
      const renamed = await t.patch(path, ns.admin, { name: 'After' });
      expect(renamed).toEqual({
        status: 200,
        body: { ...created, name: 'After', updatedAt: ISO },
        statements: 1,
      });
      expect(renamed.body.updatedAt >= created.updatedAt).toBe(true);

      expect(sb(await t.patch(path, ns.owner, { tags: ['x', 'y', 'x'] }))).toEqual({
        status: 200,
        body: { ...created, name: 'After', tags: ['x', 'y'], updatedAt: ISO },
      });
      expect(sb(await t.patch(path, ns.admin, { description: null, metadata: null, tags: [] }))).toEqual({
        status: 200,
        body: { ...created, name: 'After', description: null, metadata: null, tags: [], updatedAt: ISO },
      });
      expect(sb(await t.patch(path, ns.admin, { metadata: { z: true } }))).toEqual({
        status: 200,
        body: { ...created, name: 'After', description: null, metadata: { z: true }, tags: [], updatedAt: ISO },
      });
      expect((await t.get(path, ns.reader)).body).toEqual({
        ...created,
        name: 'After',
        description: null,
        metadata: { z: true },
        tags: [],
        updatedAt: ISO,
        datasets: 0,
        collections: 0,
      });
    });

    it('200 changing the slug: the old path is 404 and the old slug is free', async () => {
      const ns = await team();
      const created = (await t.post(ns.base, ns.admin, { name: 'Move Me' })).body;
      expect(sb(await t.patch(`${ns.base}/move-me`, ns.admin, { slug: 'moved' }))).toEqual({
        status: 200,
        body: { ...created, slug: 'moved', updatedAt: ISO },
      });
      expect(sb(await t.get(`${ns.base}/move-me`, ns.admin))).toEqual(projectNotFound(ns.slug, 'move-me'));
      expect((await t.get(`${ns.base}/moved`, ns.admin)).body.id).toBe(created.id);
      expect((await t.post(ns.base, ns.admin, { name: 'Move Me' })).status).toBe(201);
    });

    it('400 for null name, unknown field and other bad input', async () => {
      const ns = await team();
      const path = await t.project(ns.slug, ns.admin);
      const bad = async (body: Record<string, unknown>, message: string[]) =>
        expect(await t.patch(path, ns.admin, body)).toEqual({ ...badRequest(message), statements: 0 });
      await bad({ name: null }, ['name must not be null']);
      await bad({ slug: null }, ['slug must not be null']);
      await bad({ tags: null }, ['tags must not be null']);
      await bad({ namespaceId: ns.namespaceId }, ['property namespaceId should not exist']);
      await bad({ name: '' }, ['name must not be empty']);
      await bad({ slug: '-x-' }, [
        'slug must be 1-64 lowercase letters, digits or inner hyphens (^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$)',
      ]);
      await bad({ metadata: [] }, ['metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep']);
      await bad({ description: 'd'.repeat(10_001) }, ['description must be shorter than or equal to 10000 characters']);
    });

    it('403 for a writer or a reader', async () => {
      const ns = await team();
      const path = await t.project(ns.slug, ns.admin);
      expect(await t.patch(path, ns.writer, { name: 'Nope' })).toEqual({
        ...needsAdmin(ns.slug, 'writer'),
        statements: 1,
      });
      expect(sb(await t.patch(path, ns.reader, { name: 'Nope' }))).toEqual(needsAdmin(ns.slug, 'reader'));
      expect((await t.get(path, ns.reader)).body.name).toBe(path.split('/').pop());
    });

    it('404 for a missing project, a non-member and a missing namespace', async () => {
      const ns = await team();
      const path = await t.project(ns.slug, ns.admin);
      expect(await t.patch(`${ns.base}/nope`, ns.admin, { name: 'X' })).toEqual({
        ...projectNotFound(ns.slug, 'nope'),
        statements: 1,
      });
      expect(sb(await t.patch(path, user(), { name: 'X' }))).toEqual(nsNotFound(ns.slug));
      const missing = `ns-${uid()}`;
      expect(sb(await t.patch(`/namespaces/${missing}/projects/x`, ns.admin, { name: 'X' }))).toEqual(
        nsNotFound(missing),
      );
    });

    it('409 when the new slug is taken', async () => {
      const ns = await team();
      await t.post(ns.base, ns.admin, { name: 'Taken' });
      await t.post(ns.base, ns.admin, { name: 'Mine' });
      expect(await t.patch(`${ns.base}/mine`, ns.admin, { slug: 'taken' })).toEqual({
        ...slugTaken(ns.slug, 'taken'),
        statements: 1,
      });
      expect((await t.get(`${ns.base}/mine`, ns.admin)).status).toBe(200);
    });
  });

  describe('DELETE /namespaces/:slug/projects/:projectSlug', () => {
    it('200 for an admin; afterwards GET is 404 and the slug is reusable', async () => {
      const ns = await team();
      const created = (await t.post(ns.base, ns.admin, { name: 'Doomed' })).body;
      const path = `${ns.base}/doomed`;
      expect((await t.post(`${path}/datasets`, ns.writer, { name: 'd1' })).status).toBe(201);
      expect(await t.delete(path, ns.admin)).toEqual({ status: 200, body: { success: true }, statements: 1 });
      expect(sb(await t.get(path, ns.admin))).toEqual(projectNotFound(ns.slug, 'doomed'));
      expect(sb(await t.delete(path, ns.admin))).toEqual(projectNotFound(ns.slug, 'doomed'));
      expect((await t.get(ns.base, ns.admin)).body.total).toBe(0);
      const again = await t.post(ns.base, ns.admin, { name: 'Doomed' });
      expect(sb(again)).toEqual({ status: 201, body: projectObject(ns, 'Doomed', 'doomed') });
      expect(again.body.id).not.toBe(created.id);
      // The new project starts empty.
      expect((await t.get(path, ns.admin)).body).toMatchObject({ datasets: 0, collections: 0 });
    });

    it('403 for a writer or a reader', async () => {
      const ns = await team();
      const path = await t.project(ns.slug, ns.admin);
      expect(await t.delete(path, ns.writer)).toEqual({ ...needsAdmin(ns.slug, 'writer'), statements: 1 });
      expect(sb(await t.delete(path, ns.reader))).toEqual(needsAdmin(ns.slug, 'reader'));
      expect((await t.get(path, ns.reader)).status).toBe(200);
    });

    it('404 for a missing project, a non-member and a missing namespace', async () => {
      const ns = await team();
      const path = await t.project(ns.slug, ns.admin);
      expect(await t.delete(`${ns.base}/nope`, ns.admin)).toEqual({
        ...projectNotFound(ns.slug, 'nope'),
        statements: 1,
      });
      expect(sb(await t.delete(path, user()))).toEqual(nsNotFound(ns.slug));
      const missing = `ns-${uid()}`;
      expect(sb(await t.delete(`/namespaces/${missing}/projects/x`, ns.admin))).toEqual(nsNotFound(missing));
      expect((await t.get(path, ns.reader)).status).toBe(200);
    });
  });

  describe('validation: one message per problem (API.md, Conventions → Errors)', () => {
    it('a missing name', async () => {
      const ns = await team();
      expectOneProblem(await t.post(ns.base, ns.admin, { slug: 'no-name' }), 'name');
    });

    it('tags that are not an array', async () => {
      const ns = await team();
      expectOneProblem(await t.post(ns.base, ns.admin, { name: 'ok', tags: 'lidar' }), 'tags');
    });
  });
});
