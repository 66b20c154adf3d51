import { ISO } from '../harness.js';
import { badRequest, conflict, forbidden, needs, notFound, nsNotFound, sb, user } from '../factories.js';
import { bootApp, t } from '../suite.js';
import { newSlug, OWNER_ONLY } from './helpers.js';

/* Namespaces (API.md, Namespaces; Roles): a namespace's members. */

describe('namespaces', () => {
  bootApp();

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
});
