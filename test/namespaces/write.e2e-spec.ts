import { answer, ISO, uid } from '../harness.js';
import { badRequest, conflict, expectOneProblem, needs, nsNotFound, sb, user } from '../factories.js';
import { bootApp, t } from '../suite.js';
import { namespaceObject, newSlug, SLUG_MESSAGE } from './helpers.js';

/* Namespaces (API.md, Namespaces; Conventions; Roles): POST, PATCH and DELETE, one message per problem. */

describe('namespaces', () => {
  bootApp();

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
