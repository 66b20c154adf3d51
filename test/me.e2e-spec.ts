import { TestApp, tokenFor, uid } from './harness.js';

/* GET /me (API.md, Identity). */

const user = (): string => `u-${uid()}`;
const bySlug = (a: { slug: string }, b: { slug: string }): number => a.slug.localeCompare(b.slug);

describe('GET /me', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  const me = async (token: string) => {
    const { status, body } = await t.send('get', '/me', { token });
    return { status, body };
  };

  it('claims the token lacks are null', async () => {
    const sub = user();
    expect(await me(tokenFor(sub))).toEqual({
      status: 200,
      body: { sub, name: null, email: null, username: null, namespaces: [] },
    });
  });

  it('name, email and username come from the claims', async () => {
    const sub = user();
    const token = tokenFor(sub, { name: 'Alice Liddell', email: 'alice@example.com', username: 'alice' });
    expect(await me(token)).toEqual({
      status: 200,
      body: { sub, name: 'Alice Liddell', email: 'alice@example.com', username: 'alice', namespaces: [] },
    });
  });

  it('preferred_username is used as the username', async () => {
    const sub = user();
    expect(await me(tokenFor(sub, { preferred_username: 'ali' }))).toEqual({
      status: 200,
      body: { sub, name: null, email: null, username: 'ali', namespaces: [] },
    });
  });

  it('only some claims present: the others are null', async () => {
    const sub = user();
    expect(await me(tokenFor(sub, { email: 'only@example.com' }))).toEqual({
      status: 200,
      body: { sub, name: null, email: 'only@example.com', username: null, namespaces: [] },
    });
  });

  it("lists the caller's namespaces with slug and role", async () => {
    const alice = user();
    const bob = user();
    const own = await t.namespace(alice);
    const shared = await t.namespace(bob, { [alice]: 'reader' });
    const writerIn = await t.namespace(bob, { [alice]: 'writer' });
    const adminIn = await t.namespace(bob, { [alice]: 'admin' });
    await t.namespace(bob); // alice is not a member

    const res = await t.get('/me', alice);
    expect(res.status).toBe(200);
    expect(res.body.namespaces).toHaveLength(4);
    expect([...res.body.namespaces].sort(bySlug)).toEqual(
      [
        { slug: own, role: 'owner' },
        { slug: shared, role: 'reader' },
        { slug: writerIn, role: 'writer' },
        { slug: adminIn, role: 'admin' },
      ].sort(bySlug),
    );
  });

  it('deleted namespaces and removed memberships are not listed; renamed ones show the new slug', async () => {
    const alice = user();
    const bob = user();
    const kept = await t.namespace(alice);
    const deleted = await t.namespace(alice);
    const leftBy = await t.namespace(bob, { [alice]: 'writer' });
    const renamed = await t.namespace(alice);
    const newSlug = `ns-${uid()}`;

    expect((await t.delete(`/namespaces/${deleted}`, alice)).status).toBe(200);
    expect((await t.delete(`/namespaces/${leftBy}/members/${alice}`, bob)).status).toBe(200);
    expect((await t.patch(`/namespaces/${renamed}`, alice, { slug: newSlug })).status).toBe(200);

    const res = await t.get('/me', alice);
    expect(res.status).toBe(200);
    expect([...res.body.namespaces].sort(bySlug)).toEqual(
      [
        { slug: kept, role: 'owner' },
        { slug: newSlug, role: 'owner' },
      ].sort(bySlug),
    );
  });

  it('a changed role shows at once', async () => {
    const alice = user();
    const bob = user();
    const slug = await t.namespace(bob, { [alice]: 'reader' });
    expect((await t.put(`/namespaces/${slug}/members/${alice}`, bob, { role: 'admin' })).status).toBe(200);
    const res = await t.get('/me', alice);
    expect(res.body).toEqual({
      sub: alice,
      name: null,
      email: null,
      username: null,
      namespaces: [{ slug, role: 'admin' }],
    });
  });
});
