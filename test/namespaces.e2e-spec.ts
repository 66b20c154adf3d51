import { ISO, TestApp, UUID, uid, type Reply, answer } from './harness.js';

/* Namespaces and their members (API.md, Namespaces; Conventions; Roles). */

const user = (): string => `u-${uid()}`;
const newSlug = (): string => `ns-${uid()}`;

const SLUG_MESSAGE = (property = 'slug') =>
  `${property} must be 1-64 lowercase letters, digits or inner hyphens (^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$)`;
const OWNER_ONLY = (slug: string) => `Only an owner of namespace '${slug}' may grant, change or revoke the owner role`;

const badRequest = (message: string[]) => answer(400, message);
const forbidden = (message: string) => answer(403, message);
const notFound = (message: string) => answer(404, message);
const conflict = (message: string) => answer(409, message);
const needs = (slug: string, role: string, min: string) =>
  forbidden(`Your role in namespace '${slug}' is '${role}'; this needs '${min}' or above`);
const nsNotFound = (slug: string) => notFound(`Namespace '${slug}' not found`);

/** A 400 whose message names one problem with `field` in one string (API.md: "one per problem"). */
function expectOneProblem(res: Reply, field: string): void {
  expect(res).toEqual({
    status: 400,
    body: { statusCode: 400, error: 'Bad Request', message: [expect.stringMatching(new RegExp(`^${field} `))] },
    statements: 0,
  });
}

/** Status and body only (the harness has already checked the statement count). */
const sb = ({ status, body }: { status: number; body: unknown }) => ({ status, body });

const namespaceObject = (slug: string, fields: Record<string, unknown> = {}) => ({
  id: UUID,
  slug,
  name: slug,
  description: null,
  metadata: null,
  createdAt: ISO,
  updatedAt: ISO,
  ...fields,
});

describe('namespaces', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('POST /namespaces', () => {
    it('201 with the namespace; name defaults to the slug; the caller is owner', async () => {
      const alice = user();
      const slug = newSlug();
      const res = await t.post('/namespaces', alice, { slug });
      expect(res).toEqual({ status: 201, body: namespaceObject(slug), statements: 1 });
      expect(res.body.createdAt).toBe(res.body.updatedAt);
      expect(sb(await t.get(`/namespaces/${slug}`, alice))).toEqual({
        status: 200,
        body: { ...res.body, role: 'owner', projects: 0 },
      });
    });

    it('201 with name, description and metadata', async () => {
      const slug = newSlug();
      const fields = { name: 'Acme Robotics', description: 'The robots team', metadata: { region: 'eu', n: [1, 2] } };
      expect(sb(await t.post('/namespaces', user(), { slug, ...fields }))).toEqual({
        status: 201,
        body: namespaceObject(slug, fields),
      });
    });

    it('201 at the limits: 64-char slug, 100-char name, 10,000-char description, 64 KiB metadata', async () => {
      const slug = `${uid()}${'a'.repeat(56)}`;
      expect(slug).toHaveLength(64);
      const metadata = { a: 'x'.repeat(64 * 1024 - 8) };
      expect(Buffer.byteLength(JSON.stringify(metadata))).toBe(64 * 1024);
      const fields = { name: 'n'.repeat(100), description: 'd'.repeat(10_000), metadata };
      expect(sb(await t.post('/namespaces', user(), { slug, ...fields }))).toEqual({
        status: 201,
        body: namespaceObject(slug, fields),
      });
    });

    it('400 for a bad slug', async () => {
      const alice = user();
      for (const slug of ['Upper', '-lead', 'trail-', 'under_score', 'dot.ted', 'sp ace', '', 'a'.repeat(65)]) {
        expect(await t.post('/namespaces', alice, { slug })).toEqual({
          ...badRequest([SLUG_MESSAGE()]),
          statements: 0,
        });
      }
    });

    it('400 for an unknown field', async () => {
      expect(await t.post('/namespaces', user(), { slug: newSlug(), owner: 'bob' })).toEqual({
        ...badRequest(['property owner should not exist']),
        statements: 0,
      });
    });

    it('400 when metadata is not an object', async () => {
      for (const metadata of ['text', 42, true, [1, 2]]) {
        expect(await t.post('/namespaces', user(), { slug: newSlug(), metadata })).toEqual({
          ...badRequest(['metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep']),
          statements: 0,
        });
      }
    });

    it('400 when metadata is over 64 KiB serialized', async () => {
      const metadata = { a: 'x'.repeat(64 * 1024 - 7) };
      expect(await t.post('/namespaces', user(), { slug: newSlug(), metadata })).toEqual({
        ...badRequest(['metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep']),
        statements: 0,
      });
    });

    it('400 when the description is over 10,000 characters', async () => {
      expect(await t.post('/namespaces', user(), { slug: newSlug(), description: 'd'.repeat(10_001) })).toEqual({
        ...badRequest(['description must be shorter than or equal to 10000 characters']),
        statements: 0,
      });
    });

    it('400 when the name is over 100 characters or blank', async () => {
      expect(await t.post('/namespaces', user(), { slug: newSlug(), name: 'n'.repeat(101) })).toEqual({
        ...badRequest(['name must be shorter than or equal to 100 characters']),
        statements: 0,
      });
      expect(await t.post('/namespaces', user(), { slug: newSlug(), name: '   ' })).toEqual({
        ...badRequest(['name must not be empty']),
        statements: 0,
      });
    });

    it('400 lists every problem', async () => {
      const res = await t.post('/namespaces', user(), { slug: 'BAD', description: 'd'.repeat(10_001), x: 1 });
      expect(res.status).toBe(400);
      expect([...res.body.message].sort()).toEqual(
        [
          'property x should not exist',
          SLUG_MESSAGE(),
          'description must be shorter than or equal to 10000 characters',
        ].sort(),
      );
    });

    it('409 when the slug is taken (by anyone), with the exact message', async () => {
      const slug = await t.namespace(user());
      const expected = { ...conflict(`Namespace slug '${slug}' is already taken`), statements: 1 };
      expect(await t.post('/namespaces', user(), { slug })).toEqual(expected);
    });

    it('the slug is reusable at once after delete', async () => {
      const alice = user();
      const bob = user();
      const slug = await t.namespace(alice);
      expect(sb(await t.delete(`/namespaces/${slug}`, alice))).toEqual({ status: 200, body: { success: true } });
      const res = await t.post('/namespaces', bob, { slug, name: 'Second life' });
      expect(sb(res)).toEqual({ status: 201, body: namespaceObject(slug, { name: 'Second life' }) });
      // The new namespace is bob's alone.
      expect(sb(await t.get(`/namespaces/${slug}`, alice))).toEqual(nsNotFound(slug));
      expect((await t.get(`/namespaces/${slug}`, bob)).body).toEqual({ ...res.body, role: 'owner', projects: 0 });
    });
  });

  describe('GET /namespaces', () => {
    it("lists only the caller's namespaces, newest first, with the caller's role", async () => {
      const alice = user();
      const bob = user();
      const a1 = (await t.post('/namespaces', alice, { slug: newSlug() })).body;
      const b1 = (await t.post('/namespaces', bob, { slug: newSlug() })).body;
      expect((await t.put(`/namespaces/${b1.slug}/members/${alice}`, bob, { role: 'reader' })).status).toBe(200);
      const a2 = (await t.post('/namespaces', alice, { slug: newSlug(), name: 'Second' })).body;
      await t.namespace(bob); // not alice's

      expect(await t.get('/namespaces', alice)).toEqual({
        status: 200,
        body: {
          namespaces: [
            { ...a2, role: 'owner' },
            { ...b1, role: 'reader' },
            { ...a1, role: 'owner' },
          ],
          page: 1,
          pageSize: 50,
          total: 3,
          totalPages: 1,
        },
        statements: 1,
      });
    });

    it('an empty list for a caller with no namespace', async () => {
      expect(sb(await t.get('/namespaces', user()))).toEqual({
        status: 200,
        body: { namespaces: [], page: 1, pageSize: 50, total: 0, totalPages: 0 },
      });
    });

    it('deleted namespaces are not listed', async () => {
      const alice = user();
      const kept = await t.namespace(alice);
      const gone = await t.namespace(alice);
      expect((await t.delete(`/namespaces/${gone}`, alice)).status).toBe(200);
      const res = await t.get('/namespaces', alice);
      expect(res.body.namespaces.map((n: { slug: string }) => n.slug)).toEqual([kept]);
      expect(res.body.total).toBe(1);
    });

    it('paginates: page, pageSize, total, totalPages; a page past the end is 200 and empty', async () => {
      const alice = user();
      const slugs: string[] = [];
      for (let i = 0; i < 5; i++) slugs.push(await t.namespace(alice));
      const newest = [...slugs].reverse();
      const page = async (query: string) => {
        const res = await t.get('/namespaces', alice, query);
        expect(res.status).toBe(200);
        return { ...res.body, namespaces: res.body.namespaces.map((n: { slug: string }) => n.slug) };
      };
      expect(await page('pageSize=2')).toEqual({
        namespaces: newest.slice(0, 2),
        page: 1,
        pageSize: 2,
        total: 5,
        totalPages: 3,
      });
      expect(await page('page=2&pageSize=2')).toEqual({
        namespaces: newest.slice(2, 4),
        page: 2,
        pageSize: 2,
        total: 5,
        totalPages: 3,
      });
      expect(await page('page=3&pageSize=2')).toEqual({
        namespaces: newest.slice(4),
        page: 3,
        pageSize: 2,
        total: 5,
        totalPages: 3,
      });
      expect(await page('page=4&pageSize=2')).toEqual({
        namespaces: [],
        page: 4,
        pageSize: 2,
        total: 5,
        totalPages: 3,
      });
      expect(await page('pageSize=200')).toEqual({
        namespaces: newest,
        page: 1,
        pageSize: 200,
        total: 5,
        totalPages: 1,
      });
      expect(await page('pageSize=1&page=5')).toEqual({
        namespaces: newest.slice(4),
        page: 5,
        pageSize: 1,
        total: 5,
        totalPages: 5,
      });
    });

    it('400 for a bad page or pageSize', async () => {
      const alice = user();
      const bad = async (query: string, expected: string) => {
        const res = await t.get('/namespaces', alice, query);
        expect({ status: res.status, error: res.body.error, statements: res.statements }).toEqual({
          status: 400,
          error: 'Bad Request',
          statements: 0,
        });
        expect(res.body.message).toContain(expected);
      };
      await bad('pageSize=0', 'pageSize must not be less than 1');
      await bad('pageSize=201', 'pageSize must not be greater than 200');
      await bad('pageSize=abc', 'pageSize must be an integer');
      await bad('pageSize=1.5', 'pageSize must be an integer');
      await bad('pageSize=-1', 'pageSize must not be less than 1');
      await bad('page=0', 'page must not be less than 1');
      await bad('page=abc', 'page must be an integer');
      await bad('page=2.5', 'page must be an integer');
      expect(await t.get('/namespaces', alice, 'pageSize=0')).toEqual({
        ...badRequest(['pageSize must not be less than 1']),
        statements: 0,
      });
      expect(await t.get('/namespaces', alice, 'pageSize=201')).toEqual({
        ...badRequest(['pageSize must not be greater than 200']),
        statements: 0,
      });
    });

    it('sorts by name, createdAt and updatedAt, either way', async () => {
      const alice = user();
      const bravo = (await t.post('/namespaces', alice, { slug: newSlug(), name: 'Bravo' })).body.slug;
      const alpha = (await t.post('/namespaces', alice, { slug: newSlug(), name: 'alpha' })).body.slug;
      const charlie = (await t.post('/namespaces', alice, { slug: newSlug(), name: 'Charlie' })).body.slug;
      // Touch bravo last so updatedAt order differs from createdAt order.
      expect((await t.patch(`/namespaces/${bravo}`, alice, { description: 'touched' })).status).toBe(200);
      const order = async (sort: string) => {
        const res = await t.get('/namespaces', alice, `sort=${sort}`);
        expect(res.status).toBe(200);
        return res.body.namespaces.map((n: { slug: string }) => n.slug);
      };
      expect(await order('name')).toEqual([alpha, bravo, charlie]);
      expect(await order('-name')).toEqual([charlie, bravo, alpha]);
      expect(await order('createdAt')).toEqual([bravo, alpha, charlie]);
      expect(await order('-createdAt')).toEqual([charlie, alpha, bravo]);
      expect(await order('updatedAt')).toEqual([alpha, charlie, bravo]);
      expect(await order('-updatedAt')).toEqual([bravo, charlie, alpha]);
      expect(await t.get('/namespaces', alice, 'sort=size')).toEqual({
        ...badRequest(['sort must be one of: name, -name, createdAt, -createdAt, updatedAt, -updatedAt']),
        statements: 0,
      });
    });

    it('q filters by a case-insensitive substring of the name; total counts the matches', async () => {
      const alice = user();
      const team = (await t.post('/namespaces', alice, { slug: newSlug(), name: 'Alpha Team' })).body.slug;
      const other = (await t.post('/namespaces', alice, { slug: newSlug(), name: 'alphabet soup' })).body.slug;
      const pct = (await t.post('/namespaces', alice, { slug: newSlug(), name: '100% real' })).body.slug;
      await t.post('/namespaces', alice, { slug: newSlug(), name: 'Omega' });
      const find = async (q: string) => {
        const res = await t.get('/namespaces', alice, `q=${encodeURIComponent(q)}`);
        expect(res.status).toBe(200);
        return { slugs: res.body.namespaces.map((n: { slug: string }) => n.slug), total: res.body.total };
      };
      expect(await find('ALPHA')).toEqual({ slugs: [other, team], total: 2 });
      expect(await find('pha t')).toEqual({ slugs: [team], total: 1 });
      expect(await find('%')).toEqual({ slugs: [pct], total: 1 });
      expect(await find('zzz')).toEqual({ slugs: [], total: 0 });
      const paged = await t.get('/namespaces', alice, 'q=alpha&pageSize=1&sort=name');
      expect(paged.body).toMatchObject({ page: 1, pageSize: 1, total: 2, totalPages: 2 });
      expect(paged.body.namespaces.map((n: { slug: string }) => n.slug)).toEqual([team]);
    });
  });

  describe('GET /namespaces/:slug', () => {
    it("200 with the caller's role and the live project count", async () => {
      const alice = user();
      const rita = user();
      const created = (await t.post('/namespaces', alice, { slug: newSlug(), description: 'x' })).body;
      const slug = created.slug;
      expect((await t.put(`/namespaces/${slug}/members/${rita}`, alice, { role: 'reader' })).status).toBe(200);
      await t.project(slug, alice);
      const doomed = await t.project(slug, alice);
      await t.project(slug, alice);
      expect((await t.delete(doomed, alice)).status).toBe(200);

      expect(await t.get(`/namespaces/${slug}`, alice)).toEqual({
        status: 200,
        body: { ...created, role: 'owner', projects: 2 },
        statements: 1,
      });
      expect(sb(await t.get(`/namespaces/${slug}`, rita))).toEqual({
        status: 200,
        body: { ...created, role: 'reader', projects: 2 },
      });
    });

    it('404 for a non-member, with exactly the body of a missing namespace', async () => {
      const slug = await t.namespace(user());
      const missing = newSlug();
      const stranger = await t.get(`/namespaces/${slug}`, user());
      const absent = await t.get(`/namespaces/${missing}`, user());
      expect(stranger).toEqual({ ...nsNotFound(slug), statements: 1 });
      expect(absent).toEqual({ ...nsNotFound(missing), statements: 1 });
      expect(JSON.stringify(stranger.body).replace(slug, 'X')).toBe(JSON.stringify(absent.body).replace(missing, 'X'));
    });

    it('404 for a deleted namespace', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      expect((await t.delete(`/namespaces/${slug}`, alice)).status).toBe(200);
      expect(sb(await t.get(`/namespaces/${slug}`, alice))).toEqual(nsNotFound(slug));
    });
  });

  describe('PATCH /namespaces/:slug', () => {
    it('200 for an admin; only the given fields change', async () => {
      const alice = user();
      const adam = user();
      const created = (
        await t.post('/namespaces', alice, {
          slug: newSlug(),
          name: 'Before',
          description: 'keep me',
          metadata: { k: 1 },
        })
      ).body;
      const slug = created.slug;
      expect((await t.put(`/namespaces/${slug}/members/${adam}`, alice, { role: 'admin' })).status).toBe(200);

      const res = await t.patch(`/namespaces/${slug}`, adam, { name: 'After' });
      expect(res).toEqual({
        status: 200,
        body: { ...created, name: 'After', updatedAt: ISO },
        statements: 1,
      });
      expect(res.body.updatedAt >= created.updatedAt).toBe(true);

      expect(sb(await t.patch(`/namespaces/${slug}`, alice, { metadata: { k: 2, j: [true] } }))).toEqual({
        status: 200,
        body: { ...created, name: 'After', metadata: { k: 2, j: [true] }, updatedAt: ISO },
      });
      // null clears description and metadata.
      expect(sb(await t.patch(`/namespaces/${slug}`, alice, { description: null, metadata: null }))).toEqual({
        status: 200,
        body: { ...created, name: 'After', description: null, metadata: null, updatedAt: ISO },
      });
      // An empty body changes nothing but is accepted.
      expect(sb(await t.patch(`/namespaces/${slug}`, alice, {}))).toEqual({
        status: 200,
        body: { ...created, name: 'After', description: null, metadata: null, updatedAt: ISO },
      });
      expect((await t.get(`/namespaces/${slug}`, alice)).body).toEqual({
        ...created,
        name: 'After',
        description: null,
        metadata: null,
        updatedAt: ISO,
        role: 'owner',
        projects: 0,
      });
    });

    it('200 changing the slug: the old slug is gone and free, the namespace keeps its id', async () => {
      const alice = user();
      const created = (await t.post('/namespaces', alice, { slug: newSlug() })).body;
      const renamed = newSlug();
      expect(sb(await t.patch(`/namespaces/${created.slug}`, alice, { slug: renamed }))).toEqual({
        status: 200,
        body: { ...created, slug: renamed, updatedAt: ISO },
      });
      expect(sb(await t.get(`/namespaces/${created.slug}`, alice))).toEqual(nsNotFound(created.slug));
      expect((await t.get(`/namespaces/${renamed}`, alice)).body.id).toBe(created.id);
      expect((await t.post('/namespaces', user(), { slug: created.slug })).status).toBe(201);
    });

    it('400 for bad input', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      const path = `/namespaces/${slug}`;
      expect(await t.patch(path, alice, { slug: 'No_Good' })).toEqual({
        ...badRequest([SLUG_MESSAGE()]),
        statements: 0,
      });
      expect(await t.patch(path, alice, { slug: null })).toEqual({
        ...badRequest(['slug must not be null']),
        statements: 0,
      });
      expect(await t.patch(path, alice, { name: null })).toEqual({
        ...badRequest(['name must not be null']),
        statements: 0,
      });
      expect(await t.patch(path, alice, { name: 'n'.repeat(101) })).toEqual({
        ...badRequest(['name must be shorter than or equal to 100 characters']),
        statements: 0,
      });
      expect(await t.patch(path, alice, { description: 'd'.repeat(10_001) })).toEqual({
        ...badRequest(['description must be shorter than or equal to 10000 characters']),
        statements: 0,
      });
      expect(await t.patch(path, alice, { metadata: [1] })).toEqual({
        ...badRequest(['metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep']),
        statements: 0,
      });
      expect(await t.patch(path, alice, { id: '00000000-0000-0000-0000-000000000000' })).toEqual({
        ...badRequest(['property id should not exist']),
        statements: 0,
      });
    });

    it('403 below admin', async () => {
      const alice = user();
      const wendy = user();
      const rita = user();
      const slug = await t.namespace(alice, { [wendy]: 'writer', [rita]: 'reader' });
      expect(await t.patch(`/namespaces/${slug}`, wendy, { name: 'Nope' })).toEqual({
        ...needs(slug, 'writer', 'admin'),
        statements: 1,
      });
      expect(sb(await t.patch(`/namespaces/${slug}`, rita, { name: 'Nope' }))).toEqual(needs(slug, 'reader', 'admin'));
      expect((await t.get(`/namespaces/${slug}`, alice)).body.name).toBe(slug);
    });

    it('404 for a non-member or a missing namespace', async () => {
      const slug = await t.namespace(user());
      expect(await t.patch(`/namespaces/${slug}`, user(), { name: 'Nope' })).toEqual({
        ...nsNotFound(slug),
        statements: 1,
      });
      const missing = newSlug();
      expect(sb(await t.patch(`/namespaces/${missing}`, user(), { name: 'Nope' }))).toEqual(nsNotFound(missing));
    });

    it('409 when the new slug is taken', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      const taken = await t.namespace(user());
      expect(await t.patch(`/namespaces/${slug}`, alice, { slug: taken })).toEqual({
        ...conflict(`Namespace slug '${taken}' is already taken`),
        statements: 1,
      });
      // Keeping its own slug is no conflict.
      expect((await t.patch(`/namespaces/${slug}`, alice, { slug })).status).toBe(200);
    });
  });

  describe('DELETE /namespaces/:slug', () => {
    it('200 for the owner; then it is gone', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      expect(await t.delete(`/namespaces/${slug}`, alice)).toEqual({
        status: 200,
        body: { success: true },
        statements: 1,
      });
      expect(sb(await t.get(`/namespaces/${slug}`, alice))).toEqual(nsNotFound(slug));
      expect(sb(await t.delete(`/namespaces/${slug}`, alice))).toEqual(nsNotFound(slug));
      expect(sb(await t.get(`/namespaces/${slug}/members`, alice))).toEqual(nsNotFound(slug));
    });

    it('403 below owner (admin, writer, reader)', async () => {
      const alice = user();
      const adam = user();
      const wendy = user();
      const rita = user();
      const slug = await t.namespace(alice, { [adam]: 'admin', [wendy]: 'writer', [rita]: 'reader' });
      expect(await t.delete(`/namespaces/${slug}`, adam)).toEqual({
        ...needs(slug, 'admin', 'owner'),
        statements: 1,
      });
      expect(sb(await t.delete(`/namespaces/${slug}`, wendy))).toEqual(needs(slug, 'writer', 'owner'));
      expect(sb(await t.delete(`/namespaces/${slug}`, rita))).toEqual(needs(slug, 'reader', 'owner'));
      expect((await t.get(`/namespaces/${slug}`, alice)).status).toBe(200);
    });

    it('404 for a non-member or a missing namespace', async () => {
      const slug = await t.namespace(user());
      expect(await t.delete(`/namespaces/${slug}`, user())).toEqual({ ...nsNotFound(slug), statements: 1 });
      const missing = newSlug();
      expect(sb(await t.delete(`/namespaces/${missing}`, user()))).toEqual(nsNotFound(missing));
    });

    it('409 while it has live projects; 200 once they are deleted', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      const p1 = await t.project(slug, alice);
      const p2 = await t.project(slug, alice);
      const expected = conflict(`Namespace '${slug}' still has projects; delete them first`);
      expect(await t.delete(`/namespaces/${slug}`, alice)).toEqual({ ...expected, statements: 1 });
      expect((await t.delete(p1, alice)).status).toBe(200);
      expect(sb(await t.delete(`/namespaces/${slug}`, alice))).toEqual(expected);
      expect((await t.delete(p2, alice)).status).toBe(200);
      expect(sb(await t.delete(`/namespaces/${slug}`, alice))).toEqual({ status: 200, body: { success: true } });
    });

    it('If-Match with a stale tag: 412 and nothing changed (even while it has projects); the current tag: 200', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      const stale = (await t.exchange('get', `/namespaces/${slug}`, { as: alice })).headers.etag;
      expect(stale).toMatch(/^"[0-9a-f]{32}"$/);
      const path = await t.project(slug, alice);
      const staleAnswer = answer(
        412,
        `Namespace '${slug}' has changed since the If-Match tag was read; nothing was changed`,
      );
      const refused = await t.send('delete', `/namespaces/${slug}`, { as: alice, headers: { 'If-Match': stale } });
      expect(refused).toEqual({ ...staleAnswer, statements: 1 });

      expect((await t.delete(path, alice)).status).toBe(200);
      const before = await t.exchange('get', `/namespaces/${slug}`, { as: alice });
      expect(before.status).toBe(200);
      const other = '"00000000000000000000000000000000"';
      expect(sb(await t.send('delete', `/namespaces/${slug}`, { as: alice, headers: { 'If-Match': other } }))).toEqual(
        staleAnswer,
      );
      const after = await t.exchange('get', `/namespaces/${slug}`, { as: alice });
      expect({ status: after.status, etag: after.headers.etag, body: after.body }).toEqual({
        status: 200,
        etag: before.headers.etag,
        body: before.body,
      });

      const current = await t.send('delete', `/namespaces/${slug}`, {
        as: alice,
        headers: { 'If-Match': `${other}, ${before.headers.etag}` },
      });
      expect(current).toEqual({ status: 200, body: { success: true }, statements: 1 });
      expect(sb(await t.get(`/namespaces/${slug}`, alice))).toEqual(nsNotFound(slug));
      expect(sb(await t.send('delete', `/namespaces/${slug}`, { as: alice, headers: { 'If-Match': '*' } }))).toEqual(
        nsNotFound(slug),
      );
    });

    it('If-Match is checked after the role: 403 below owner, whatever the tag', async () => {
      const alice = user();
      const adam = user();
      const slug = await t.namespace(alice, { [adam]: 'admin' });
      const tag = (await t.exchange('get', `/namespaces/${slug}`, { as: adam })).headers.etag;
      expect(sb(await t.send('delete', `/namespaces/${slug}`, { as: adam, headers: { 'If-Match': tag } }))).toEqual(
        needs(slug, 'admin', 'owner'),
      );
      expect((await t.get(`/namespaces/${slug}`, alice)).status).toBe(200);
    });
  });

  describe('members', () => {
    it('GET lists members with userId, role, createdAt, newest first, paginated', async () => {
      const alice = user();
      const adam = user();
      const wendy = user();
      const rita = user();
      const slug = await t.namespace(alice, { [adam]: 'admin', [wendy]: 'writer', [rita]: 'reader' });
      const members = [
        { userId: rita, role: 'reader', createdAt: ISO },
        { userId: wendy, role: 'writer', createdAt: ISO },
        { userId: adam, role: 'admin', createdAt: ISO },
        { userId: alice, role: 'owner', createdAt: ISO },
      ];
      expect(await t.get(`/namespaces/${slug}/members`, rita)).toEqual({
        status: 200,
        body: { members, page: 1, pageSize: 50, total: 4, totalPages: 1 },
        statements: 1,
      });
      expect(sb(await t.get(`/namespaces/${slug}/members`, alice, 'page=2&pageSize=3'))).toEqual({
        status: 200,
        body: { members: members.slice(3), page: 2, pageSize: 3, total: 4, totalPages: 2 },
      });
      expect(sb(await t.get(`/namespaces/${slug}/members`, alice, 'page=3&pageSize=3'))).toEqual({
        status: 200,
        body: { members: [], page: 3, pageSize: 3, total: 4, totalPages: 2 },
      });
      expect(await t.get(`/namespaces/${slug}/members`, alice, 'pageSize=0')).toEqual({
        ...badRequest(['pageSize must not be less than 1']),
        statements: 0,
      });
    });

    it('GET 404 for a non-member or a missing namespace', async () => {
      const slug = await t.namespace(user());
      expect(await t.get(`/namespaces/${slug}/members`, user())).toEqual({ ...nsNotFound(slug), statements: 1 });
      const missing = newSlug();
      expect(sb(await t.get(`/namespaces/${missing}/members`, user()))).toEqual(nsNotFound(missing));
    });

    it('PUT creates a member, then changes their role (200 both times)', async () => {
      const alice = user();
      const bob = user();
      const slug = await t.namespace(alice);
      const created = await t.put(`/namespaces/${slug}/members/${bob}`, alice, { role: 'reader' });
      expect(created).toEqual({ status: 200, body: { userId: bob, role: 'reader', createdAt: ISO }, statements: 1 });
      expect((await t.get(`/namespaces/${slug}`, bob)).body.role).toBe('reader');

      const changed = await t.put(`/namespaces/${slug}/members/${bob}`, alice, { role: 'writer' });
      expect(sb(changed)).toEqual({
        status: 200,
        body: { userId: bob, role: 'writer', createdAt: created.body.createdAt },
      });
      // The same role again is fine too.
      expect(sb(await t.put(`/namespaces/${slug}/members/${bob}`, alice, { role: 'writer' }))).toEqual(sb(changed));
      expect((await t.get(`/namespaces/${slug}`, bob)).body.role).toBe('writer');
    });

    it('PUT 400 for a bad or missing role, or an unknown field', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      const path = `/namespaces/${slug}/members/${user()}`;
      const ROLE_MESSAGE = 'role must be one of: reader, writer, admin, owner';
      for (const role of ['superuser', 'Owner', '', 3]) {
        const res = await t.put(path, alice, { role });
        expect({ status: res.status, statements: res.statements }).toEqual({ status: 400, statements: 0 });
        expect(res.body.message).toContain(ROLE_MESSAGE);
      }
      expect(await t.put(path, alice, { role: 'superuser' })).toEqual({ ...badRequest([ROLE_MESSAGE]), statements: 0 });
      expect(await t.put(path, alice, { role: 'reader', expires: 'never' })).toEqual({
        ...badRequest(['property expires should not exist']),
        statements: 0,
      });
    });

    it('PUT 400 for a userId longer than a token sub may be (255)', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      expect(await t.put(`/namespaces/${slug}/members/${'x'.repeat(256)}`, alice, { role: 'reader' })).toEqual({
        ...badRequest([
          'userId must be 1-255 characters of well-formed Unicode without control, zero-width or bidi-override characters',
        ]),
        statements: 0,
      });
      expect((await t.put(`/namespaces/${slug}/members/${'x'.repeat(255)}`, alice, { role: 'reader' })).status).toBe(
        200,
      );
    });

    it('PUT 403 for a writer or reader', async () => {
      const alice = user();
      const wendy = user();
      const rita = user();
      const slug = await t.namespace(alice, { [wendy]: 'writer', [rita]: 'reader' });
      expect(await t.put(`/namespaces/${slug}/members/${user()}`, wendy, { role: 'reader' })).toEqual({
        ...needs(slug, 'writer', 'admin'),
        statements: 1,
      });
      expect(sb(await t.put(`/namespaces/${slug}/members/${rita}`, wendy, { role: 'writer' }))).toEqual(
        needs(slug, 'writer', 'admin'),
      );
      expect(sb(await t.put(`/namespaces/${slug}/members/${rita}`, rita, { role: 'admin' }))).toEqual(
        needs(slug, 'reader', 'admin'),
      );
      expect((await t.get(`/namespaces/${slug}`, rita)).body.role).toBe('reader');
    });

    it('PUT 404 for a non-member or a missing namespace', async () => {
      const slug = await t.namespace(user());
      expect(await t.put(`/namespaces/${slug}/members/${user()}`, user(), { role: 'reader' })).toEqual({
        ...nsNotFound(slug),
        statements: 1,
      });
      const missing = newSlug();
      expect(sb(await t.put(`/namespaces/${missing}/members/${user()}`, user(), { role: 'reader' }))).toEqual(
        nsNotFound(missing),
      );
    });

    it('an admin manages members below owner', async () => {
      const alice = user();
      const adam = user();
      const bob = user();
      const slug = await t.namespace(alice, { [adam]: 'admin' });
      expect(sb(await t.put(`/namespaces/${slug}/members/${bob}`, adam, { role: 'writer' }))).toEqual({
        status: 200,
        body: { userId: bob, role: 'writer', createdAt: ISO },
      });
      expect((await t.put(`/namespaces/${slug}/members/${bob}`, adam, { role: 'admin' })).status).toBe(200);
      expect((await t.put(`/namespaces/${slug}/members/${bob}`, adam, { role: 'reader' })).status).toBe(200);
      expect(sb(await t.delete(`/namespaces/${slug}/members/${bob}`, adam))).toEqual({
        status: 200,
        body: { success: true },
      });
    });

    it('an admin cannot grant owner, nor change or remove an owner (403)', async () => {
      const alice = user();
      const adam = user();
      const bob = user();
      const slug = await t.namespace(alice, { [adam]: 'admin', [bob]: 'reader' });
      expect(await t.put(`/namespaces/${slug}/members/${bob}`, adam, { role: 'owner' })).toEqual({
        ...forbidden(OWNER_ONLY(slug)),
        statements: 1,
      });
      expect(sb(await t.put(`/namespaces/${slug}/members/${user()}`, adam, { role: 'owner' }))).toEqual(
        forbidden(OWNER_ONLY(slug)),
      );
      expect(sb(await t.put(`/namespaces/${slug}/members/${adam}`, adam, { role: 'owner' }))).toEqual(
        forbidden(OWNER_ONLY(slug)),
      );
      expect(sb(await t.put(`/namespaces/${slug}/members/${alice}`, adam, { role: 'reader' }))).toEqual(
        forbidden(OWNER_ONLY(slug)),
      );
      expect(await t.delete(`/namespaces/${slug}/members/${alice}`, adam)).toEqual({
        ...forbidden(OWNER_ONLY(slug)),
        statements: 1,
      });
      // Nothing changed.
      const members = (await t.get(`/namespaces/${slug}/members`, alice)).body.members;
      expect(members.map((m: { userId: string; role: string }) => [m.userId, m.role]).sort()).toEqual(
        [
          [alice, 'owner'],
          [adam, 'admin'],
          [bob, 'reader'],
        ].sort(),
      );
    });

    it('an owner grants, changes and revokes owner', async () => {
      const alice = user();
      const bob = user();
      const carol = user();
      const slug = await t.namespace(alice, { [bob]: 'admin' });
      expect(sb(await t.put(`/namespaces/${slug}/members/${bob}`, alice, { role: 'owner' }))).toEqual({
        status: 200,
        body: { userId: bob, role: 'owner', createdAt: ISO },
      });
      expect(sb(await t.put(`/namespaces/${slug}/members/${carol}`, bob, { role: 'owner' }))).toEqual({
        status: 200,
        body: { userId: carol, role: 'owner', createdAt: ISO },
      });
      // Bob (owner) demotes alice (owner), then removes carol (owner).
      expect(sb(await t.put(`/namespaces/${slug}/members/${alice}`, bob, { role: 'writer' }))).toEqual({
        status: 200,
        body: { userId: alice, role: 'writer', createdAt: ISO },
      });
      expect(sb(await t.delete(`/namespaces/${slug}/members/${carol}`, bob))).toEqual({
        status: 200,
        body: { success: true },
      });
      expect((await t.get(`/namespaces/${slug}`, alice)).body.role).toBe('writer');
      expect(sb(await t.get(`/namespaces/${slug}`, carol))).toEqual(nsNotFound(slug));
    });

    it('the last owner cannot be demoted or removed (409); a second owner unblocks it', async () => {
      const alice = user();
      const bob = user();
      const slug = await t.namespace(alice, { [bob]: 'admin' });
      const lastOwner = conflict(`Namespace '${slug}' must keep at least one owner`);
      expect(await t.put(`/namespaces/${slug}/members/${alice}`, alice, { role: 'admin' })).toEqual({
        ...lastOwner,
        statements: 1,
      });
      expect(await t.delete(`/namespaces/${slug}/members/${alice}`, alice)).toEqual({
        ...lastOwner,
        statements: 1,
      });
      expect((await t.get(`/namespaces/${slug}`, alice)).body.role).toBe('owner');

      expect((await t.put(`/namespaces/${slug}/members/${bob}`, alice, { role: 'owner' })).status).toBe(200);
      expect(sb(await t.delete(`/namespaces/${slug}/members/${alice}`, alice))).toEqual({
        status: 200,
        body: { success: true },
      });
      // Now bob is the last owner.
      expect(sb(await t.put(`/namespaces/${slug}/members/${bob}`, bob, { role: 'reader' }))).toEqual(lastOwner);
      expect(sb(await t.delete(`/namespaces/${slug}/members/${bob}`, bob))).toEqual(lastOwner);
    });

    it('DELETE 200 removes the member: they lose access at once', async () => {
      const alice = user();
      const rita = user();
      const slug = await t.namespace(alice, { [rita]: 'reader' });
      expect(await t.delete(`/namespaces/${slug}/members/${rita}`, alice)).toEqual({
        status: 200,
        body: { success: true },
        statements: 1,
      });
      expect(sb(await t.get(`/namespaces/${slug}`, rita))).toEqual(nsNotFound(slug));
      expect((await t.get(`/namespaces/${slug}/members`, alice)).body.total).toBe(1);
    });

    it('DELETE 403 for a writer or reader', async () => {
      const alice = user();
      const wendy = user();
      const rita = user();
      const slug = await t.namespace(alice, { [wendy]: 'writer', [rita]: 'reader' });
      expect(await t.delete(`/namespaces/${slug}/members/${rita}`, wendy)).toEqual({
        ...needs(slug, 'writer', 'admin'),
        statements: 1,
      });
      expect(sb(await t.delete(`/namespaces/${slug}/members/${wendy}`, rita))).toEqual(needs(slug, 'reader', 'admin'));
      expect((await t.get(`/namespaces/${slug}/members`, alice)).body.total).toBe(3);
    });

    it('DELETE 404 for an unknown member, a non-member caller, or a missing namespace', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      const ghost = user();
      expect(await t.delete(`/namespaces/${slug}/members/${ghost}`, alice)).toEqual({
        ...notFound(`Member '${ghost}' not found in namespace '${slug}'`),
        statements: 1,
      });
      expect(sb(await t.delete(`/namespaces/${slug}/members/${alice}`, user()))).toEqual(nsNotFound(slug));
      const missing = newSlug();
      expect(sb(await t.delete(`/namespaces/${missing}/members/${alice}`, alice))).toEqual(nsNotFound(missing));
    });
  });

  describe('validation: one message per problem (API.md, Conventions → Errors)', () => {
    it('a missing slug', async () => {
      expectOneProblem(await t.post('/namespaces', user(), { name: 'No slug' }), 'slug');
    });

    it('a slug that is not a string', async () => {
      expectOneProblem(await t.post('/namespaces', user(), { slug: 42 }), 'slug');
    });

    it('a name that is not a string', async () => {
      expectOneProblem(await t.post('/namespaces', user(), { slug: newSlug(), name: 7 }), 'name');
    });

    it('a pageSize or page that is not a number', async () => {
      expectOneProblem(await t.get('/namespaces', user(), 'pageSize=abc'), 'pageSize');
      expectOneProblem(await t.get('/namespaces', user(), 'page=abc'), 'page');
    });

    it('a missing or null role', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      expectOneProblem(await t.put(`/namespaces/${slug}/members/${user()}`, alice, {}), 'role');
      expectOneProblem(await t.put(`/namespaces/${slug}/members/${user()}`, alice, { role: null }), 'role');
    });
  });
});
