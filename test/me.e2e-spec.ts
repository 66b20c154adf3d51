import { TestApp, tokenFor, uid, type Json } from './harness.js';

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
      body: {
        sub,
        name: null,
        email: null,
        username: null,
        namespaces: [],
        namespaceCount: 0,
        namespacesTruncated: false,
      },
    });
  });

  it('name, email and username come from the claims', async () => {
    const sub = user();
    const token = tokenFor(sub, { name: 'Alice Liddell', email: 'alice@example.com', username: 'alice' });
    expect(await me(token)).toEqual({
      status: 200,
      body: {
        sub,
        name: 'Alice Liddell',
        email: 'alice@example.com',
        username: 'alice',
        namespaces: [],
        namespaceCount: 0,
        namespacesTruncated: false,
      },
    });
  });

  it('preferred_username is used as the username', async () => {
    const sub = user();
    expect(await me(tokenFor(sub, { preferred_username: 'ali' }))).toEqual({
      status: 200,
      body: {
        sub,
        name: null,
        email: null,
        username: 'ali',
        namespaces: [],
        namespaceCount: 0,
        namespacesTruncated: false,
      },
    });
  });

  it('only some claims present: the others are null', async () => {
    const sub = user();
    expect(await me(tokenFor(sub, { email: 'only@example.com' }))).toEqual({
      status: 200,
      body: {
        sub,
        name: null,
        email: 'only@example.com',
        username: null,
        namespaces: [],
        namespaceCount: 0,
        namespacesTruncated: false,
      },
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
      namespaceCount: 1,
      namespacesTruncated: false,
    });
  });
});

describe('GET /me at scale and GET /auth/me', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists the newest memberships first, at most 100, with the exact namespaceCount', async () => {
    const alice = user();
    const slugs: string[] = [];
    for (let i = 0; i < 101; i++) slugs.push(await t.namespace(alice));
    const res = await t.get('/me', alice);
    expect(res.status).toBe(200);
    expect(res.body.namespaceCount).toBe(101);
    expect(res.body.namespacesTruncated).toBe(true);
    expect(res.body.namespaces).toHaveLength(100);
    expect(res.body.namespaces.map((n: Json) => n.slug)).toEqual(slugs.slice(1).reverse());
    // GET /namespaces pages all of them, with the same total.
    const all = await t.get('/namespaces', alice, 'pageSize=200');
    expect({ total: all.body.total, totalPages: all.body.totalPages, items: all.body.namespaces.length }).toEqual({
      total: 101,
      totalPages: 1,
      items: 101,
    });
    // Deleting one leaves 100: nothing truncated any more.
    expect((await t.delete(`/namespaces/${slugs[50]}`, alice)).status).toBe(200);
    const after = await t.get('/me', alice);
    expect({ count: after.body.namespaceCount, truncated: after.body.namespacesTruncated }).toEqual({
      count: 100,
      truncated: false,
    });
    expect(after.body.namespaces).toHaveLength(100);
    expect((await t.get('/namespaces', alice)).body.total).toBe(100);
  });

  it('GET /auth/me names the namespace whose slug is the username when the caller is a member of it', async () => {
    const alice = user();
    const own = await t.namespace(alice);
    const named = `ns-${uid()}`;
    const bob = user();
    const created = await t.send('post', '/namespaces', { as: bob, body: { slug: named, name: 'Named Team' } });
    expect(created.status).toBe(201);
    expect((await t.put(`/namespaces/${named}/members/${alice}`, bob, { role: 'reader' })).status).toBe(200);
    const res = await t.send('get', '/auth/me', { token: tokenFor(alice, { username: named }) });
    expect(res).toEqual({
      status: 200,
      body: {
        sub: alice,
        name: null,
        email: null,
        username: named,
        namespaces: [
          { slug: named, role: 'reader' },
          { slug: own, role: 'owner' },
        ],
        namespaceCount: 2,
        namespacesTruncated: false,
        // The CLI's `profile` command reads `id` (docs/CONTRACT.md, Identity).
        namespace: { id: created.body.id, slug: named, name: 'Named Team' },
      },
      statements: 1,
    });
    // preferred_username counts as the username.
    const preferred = await t.send('get', '/auth/me', { token: tokenFor(alice, { preferred_username: named }) });
    expect(preferred.body.namespace).toEqual({ id: created.body.id, slug: named, name: 'Named Team' });
  });

  it('GET /auth/me falls back to the oldest owned namespace, then null', async () => {
    const alice = user();
    const bob = user();
    expect((await t.send('get', '/auth/me', { as: alice })).body.namespace).toBeNull();
    // A namespace named like the user but without them is not theirs.
    expect((await t.send('post', '/namespaces', { as: bob, body: { slug: alice } })).status).toBe(201);
    const readerOnly = await t.namespace(bob, { [alice]: 'reader' });
    expect((await t.send('get', '/auth/me', { as: alice })).body.namespace).toBeNull();
    const first = await t.namespace(alice);
    await t.namespace(alice);
    const oldest = (await t.send('get', `/namespaces/${first}`, { as: alice })).body as { id: string; name: string };
    expect((await t.send('get', '/auth/me', { as: alice })).body.namespace).toEqual({
      id: oldest.id,
      slug: first,
      name: oldest.name,
    });
    void readerOnly;
  });
});
