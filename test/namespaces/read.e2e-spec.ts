import { badRequest, nsNotFound, sb, user } from '../factories.js';
import { bootApp, t } from '../suite.js';
import { newSlug } from './helpers.js';

/* Namespaces (API.md, Namespaces): GET /namespaces and /namespaces/:slug. */

describe('namespaces', () => {
  bootApp();

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
});
