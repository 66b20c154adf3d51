import { Database } from '#src/database/database.js';
import { TestApp, uid, type Json } from './harness.js';

/*
 * Idempotency keys (API.md, Safety for clients → Idempotency keys): the first POST with a key
 * runs and its answer is kept for the caller; a retry with the same method, path and body gets it
 * again with `Idempotent-Replayed: true` and changes nothing; the key with another request → 422;
 * while the first still runs → 409. A request with a key claims it in a first statement of its
 * transaction (docs/API.md), so it sends two statements, and a replay one.
 */

const user = (): string => `u-${uid()}`;
const key = (): string => `key-${uid()}`;

describe('Idempotency keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  it('a create retried with its key answers the first 201 again, Location included, and creates nothing more', async () => {
    const alice = user();
    const k = key();
    const slug = `ns-${uid()}`;
    const first = await t.exchange('post', '/namespaces', {
      as: alice,
      body: { slug },
      headers: { 'Idempotency-Key': k },
      statements: 2,
    });
    expect(first.status).toBe(201);
    expect(first.headers.location).toBe(`/namespaces/${slug}`);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const retry = await t.exchange('post', '/namespaces', {
      as: alice,
      body: { slug },
      headers: { 'Idempotency-Key': k },
      statements: 1,
    });
    expect({ status: retry.status, body: retry.body, location: retry.headers.location }).toEqual({
      status: 201,
      body: first.body,
      location: `/namespaces/${slug}`,
    });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    // Without the key the same request is a new one: the slug is taken.
    expect((await t.post('/namespaces', alice, { slug })).status).toBe(409);
    expect((await t.get('/namespaces', alice)).body.total).toBe(1);
  });

  it('a replayed member add answers the first `added`, not 0, and adds nothing', async () => {
    const alice = user();
    const project = await t.project(await t.namespace(alice), alice);
    expect((await t.post(`${project}/collections`, alice, { name: 'c' })).status).toBe(201);
    const k = key();
    const send = (statements: number) =>
      t.exchange('post', `${project}/collections/c/members`, {
        as: alice,
        body: { add: ['a', 'b', 'c'] },
        headers: { 'Idempotency-Key': k },
        statements,
      });
    expect((await send(2)).body).toEqual({ added: 3, total: 3 });
    expect((await t.post(`${project}/collections/c/members`, alice, { add: ['d'] })).body).toEqual({
      added: 1,
      total: 4,
    });
    const again = await send(1);
    expect({ status: again.status, body: again.body, replayed: again.headers['idempotent-replayed'] }).toEqual({
      status: 200,
      body: { added: 3, total: 3 },
      replayed: 'true',
    });
    expect((await t.get(`${project}/collections/c`, alice)).body.members).toEqual(['a', 'b', 'c', 'd']);
  });

  it('the same key with another body, path or route → 422, nothing changed', async () => {
    const alice = user();
    const slug = await t.namespace(alice);
    const k = key();
    const first = await t.exchange('post', `/namespaces/${slug}/projects`, {
      as: alice,
      body: { name: 'Robotics' },
      headers: { 'Idempotency-Key': k },
      statements: 2,
    });
    expect(first.status).toBe(201);
    const refused = {
      status: 422,
      body: {
        statusCode: 422,
        error: 'Unprocessable Entity',
        message: 'This Idempotency-Key was used for a different request (method, path or body); use a new key',
      },
      statements: 1,
    };
    for (const [path, body] of [
      [`/namespaces/${slug}/projects`, { name: 'Other' }],
      [`/namespaces/${slug}/projects?x=1`, { name: 'Robotics' }],
      ['/namespaces', { slug: `ns-${uid()}` }],
    ] as const) {
      expect(await t.send('post', path, { as: alice, body, headers: { 'Idempotency-Key': k } })).toEqual(refused);
    }
    expect((await t.get(`/namespaces/${slug}/projects`, alice)).body.total).toBe(1);
    // Whitespace is not the body: the same JSON written differently is the same request.
    const spaced = await t.exchange('post', `/namespaces/${slug}/projects`, {
      as: alice,
      raw: '{ "name" :   "Robotics" }',
      headers: { 'Idempotency-Key': k },
      statements: 1,
    });
    expect({ status: spaced.status, replayed: spaced.headers['idempotent-replayed'] }).toEqual({
      status: 201,
      replayed: 'true',
    });
  });

  it('keys are per caller: another caller with the same key runs their own request', async () => {
    const k = key();
    const [alice, bob] = [user(), user()];
    const a = await t.exchange('post', '/namespaces', {
      as: alice,
      body: { slug: `ns-${uid()}` },
      headers: { 'Idempotency-Key': k },
      statements: 2,
    });
    const b = await t.exchange('post', '/namespaces', {
      as: bob,
      body: { slug: `ns-${uid()}` },
      headers: { 'Idempotency-Key': k },
      statements: 2,
    });
    expect([a.status, b.status, b.headers['idempotent-replayed']]).toEqual([201, 201, undefined]);
    expect(b.body.slug).not.toBe(a.body.slug);
  });

  it('an answer that is an error is not kept: the retry runs again', async () => {
    const alice = user();
    const slug = await t.namespace(alice);
    const k = key();
    const path = `/namespaces/${slug}/projects/p/datasets`;
    const missing = await t.send('post', path, {
      as: alice,
      body: { name: 'ds' },
      headers: { 'Idempotency-Key': k },
      statements: 2,
    });
    expect(missing.status).toBe(404);
    expect((await t.post(`/namespaces/${slug}/projects`, alice, { name: 'p' })).status).toBe(201);
    const retry = await t.exchange('post', path, {
      as: alice,
      body: { name: 'ds' },
      headers: { 'Idempotency-Key': k },
      statements: 2,
    });
    expect([retry.status, retry.headers['idempotent-replayed']]).toEqual([201, undefined]);
  });

  it('a malformed key → 400 before anything runs', async () => {
    for (const bad of ['x'.repeat(256), 'tab\there', 'é']) {
      const res = await t.send('post', '/namespaces', {
        as: user(),
        body: { slug: `ns-${uid()}` },
        headers: { 'Idempotency-Key': bad },
      });
      expect(res).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: ['Idempotency-Key must be 1-255 printable ASCII characters'],
        },
        statements: 0,
      });
    }
  });

  it('a kept answer lasts 24 hours: after that the key runs a new request', async () => {
    const alice = user();
    const project = await t.project(await t.namespace(alice), alice);
    expect((await t.post(`${project}/collections`, alice, { name: 'c' })).status).toBe(201);
    const k = key();
    const send = (statements: number) =>
      t.exchange('post', `${project}/collections/c/members`, {
        as: alice,
        body: { add: ['a'] },
        headers: { 'Idempotency-Key': k },
        statements,
      });
    expect((await send(2)).body).toEqual({ added: 1, total: 1 });
    await t.app
      .get(Database)
      .maintenance(`UPDATE idempotency_key SET created_at = now() - interval '25 hours' WHERE key = $1`, [k]);
    const later = await send(2);
    expect([later.body, later.headers['idempotent-replayed']]).toEqual([{ added: 0, total: 1 }, undefined]);
  });

  it('8 requests with one key at once: exactly one effect; the others replay it or are told it is in progress', async () => {
    const alice = user();
    const project = await t.project(await t.namespace(alice), alice);
    expect((await t.post(`${project}/collections`, alice, { name: 'c' })).status).toBe(201);
    const k = key();
    const ids = Array.from({ length: 500 }, (_, i) => `n-${i}`);
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        t.exchange('post', `${project}/collections/c/members`, {
          as: alice,
          body: { add: ids },
          headers: { 'Idempotency-Key': k },
          statements: null,
        }),
      ),
    );
    const outcomes = results.map((r) =>
      r.status === 200
        ? { status: 200, body: r.body as Json, replayed: r.headers['idempotent-replayed'] === 'true' }
        : { status: r.status, message: (r.body as Json).message },
    );
    const ran = outcomes.filter((o) => o.status === 200 && !o.replayed);
    expect(ran).toEqual([{ status: 200, body: { added: 500, total: 500 }, replayed: false }]);
    for (const outcome of outcomes) {
      expect([
        { status: 200, body: { added: 500, total: 500 }, replayed: false },
        { status: 200, body: { added: 500, total: 500 }, replayed: true },
        { status: 409, message: 'A request with this Idempotency-Key is still in progress; retry it shortly' },
      ]).toContainEqual(outcome);
    }
    expect((await t.get(`${project}/collections/c`, alice, 'members=false')).body.memberCount).toBe(500);
  });
});
