import request from 'supertest';
import { TestApp, answer, checkRequestId, testConfig, tokenFor, uid } from './harness.js';

/*
 * Issue 21 (hardening, round 3), the rows decided by one service: page numbers up to the
 * documented maximum on every list (row 10); conditional headers as RFC 9110 lists and oversized
 * header lines (row 11a); idempotency fingerprints on the decoded path, one key header (row 11e).
 */

const user = (): string => `u-${uid()}`;

describe('Issue 21', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  it('row 10: every list answers page 1e9 (the documented maximum) with an empty page, not 400', async () => {
    const owner = user();
    const slug = await t.namespace(owner);
    const project = await t.project(slug, owner);
    expect((await t.post(`${project}/datasets`, owner, { name: 'ds' })).status).toBe(201);
    expect((await t.post(`${project}/collections`, owner, { name: 'c', members: ['a'] })).status).toBe(201);
    const lists: [string, string][] = [
      ['/namespaces', 'namespaces'],
      [`/namespaces/${slug}/members`, 'members'],
      [`/namespaces/${slug}/projects`, 'projects'],
      [`/namespaces/${slug}/webhooks`, 'webhooks'],
      [`${project}/datasets`, 'datasets'],
      [`${project}/collections`, 'collections'],
      [`${project}/collections/c/members`, 'members'],
      [`${project}/trash`, 'items'],
      [`${project}/datasets/ds/versions`, 'versions'],
    ];
    for (const [path, key] of lists) {
      for (const page of ['1e9', '1000000000', '10737419']) {
        const got = await t.get(path, owner, `page=${page}&pageSize=200`);
        expect({ path, status: got.status, items: got.body[key], page: got.body.page }).toEqual({
          path,
          status: 200,
          items: [],
          page: Number(page),
        });
      }
    }
    expect(await t.get(`${project}/trash`, owner, 'page=1000000001')).toMatchObject({ status: 400 });
  });

  it('row 11a: a quoted entity tag may hold commas: "a,b" is one (stale) tag, 412 not 400; an unquoted list is 400', async () => {
    const owner = user();
    const slug = await t.namespace(owner);
    const got = await t.exchange('get', `/namespaces/${slug}`, { as: owner });
    const current = got.headers.etag;
    const patch = (ifMatch: string) =>
      t.send('patch', `/namespaces/${slug}`, {
        as: owner,
        body: { description: 'x' },
        headers: { 'If-Match': ifMatch },
      });
    const stale = await patch('"a,b"');
    expect({ status: stale.status, body: stale.body }).toEqual(
      answer(412, `Namespace '${slug}' has changed since the If-Match tag was read; nothing was changed`),
    );
    expect((await patch(`"a,b", ${current}`)).status).toBe(200);
    const bad = await patch('a,b');
    expect({ status: bad.status, body: bad.body }).toEqual(
      answer(400, ['If-Match must hold entity tags such as "…" (from an ETag header), or *']),
    );
  });

  it('row 11a: a header line over 8 KiB (a 12 KB token, 5,000 entity tags) → 431 before anything reads it', async () => {
    const owner = user();
    const big = await t.send('get', '/me', { token: tokenFor(owner, { pad: 'x'.repeat(12_000) }), statements: 0 });
    expect({ status: big.status, body: big.body }).toEqual({
      status: 431,
      body: {
        statusCode: 431,
        error: 'Request Header Fields Too Large',
        message: 'The Authorization header is larger than 8 KiB',
      },
    });
    const tags = Array.from({ length: 5000 }, (_, i) => `"${i}"`).join(',');
    const many = await t.send('get', '/me', {
      as: owner,
      headers: { 'If-None-Match': tags.slice(0, 9000) },
      statements: 0,
    });
    expect([many.status, many.body.message]).toEqual([431, 'The If-None-Match header is larger than 8 KiB']);
  });

  it('row 11e: the fingerprint is of the decoded path (%70 is p: a replay, not 422)', async () => {
    const owner = user();
    const slug = await t.namespace(owner);
    const key = `k-${uid()}`;
    const body = { name: 'percent' };
    const first = await t.exchange('post', `/namespaces/${slug}/projects`, {
      as: owner,
      body,
      headers: { 'Idempotency-Key': key },
      statements: 2,
    });
    expect(first.status).toBe(201);
    const encoded = `/namespaces/${slug.replace('n', '%6E')}/%70rojects`;
    const again = await t.exchange('post', encoded, {
      as: owner,
      body,
      headers: { 'Idempotency-Key': key },
    });
    expect([again.status, again.headers['idempotent-replayed'], again.body]).toEqual([201, 'true', first.body]);
  });

  it('row 11e: two Idempotency-Key headers → 400 (Node would join them into one key)', async () => {
    const owner = user();
    const slug = await t.namespace(owner);
    const res = await request(t.app.getHttpServer())
      .post(`/namespaces/${slug}/projects`)
      .set('Authorization', `Bearer ${tokenFor(owner)}`)
      .set('Idempotency-Key', ['a', 'b'] as unknown as string)
      .send({ name: 'twice' });
    checkRequestId(res);
    expect({ status: res.status, body: res.body as unknown }).toEqual(
      answer(400, ['Send one Idempotency-Key header, not several']),
    );
    expect((await t.get(`/namespaces/${slug}/projects`, owner)).body.total).toBe(0);
  });
});

describe('Issue 21 row 9: what idempotency keys keep (IDEMPOTENCY_KEYS_PER_CALLER=3)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(testConfig({ IDEMPOTENCY_KEYS_PER_CALLER: '3' }));
  });
  afterAll(async () => {
    await t.close();
  });

  const keyed = (as: string, path: string, body: unknown, key: string, statements?: number) =>
    t.exchange('post', path, { as, body, headers: { 'Idempotency-Key': key }, statements });

  it('a caller keeps at most 3 live keys: a 4th new key → 429; replays and other callers still work', async () => {
    const alice = user();
    const slugs = [0, 1, 2, 3].map(() => `ns-${uid()}`);
    for (let i = 0; i < 3; i++) {
      expect((await keyed(alice, '/namespaces', { slug: slugs[i] }, `k${i}`, 2)).status).toBe(201);
    }
    const refused = await keyed(alice, '/namespaces', { slug: slugs[3] }, 'k3', 1);
    expect([refused.status, refused.body, refused.headers['retry-after']]).toEqual([
      429,
      {
        statusCode: 429,
        error: 'Too Many Requests',
        message:
          'You keep 3 Idempotency-Keys from the last 24 h (IDEMPOTENCY_KEYS_PER_CALLER); send this request without a key, or retry later',
      },
      '3600',
    ]);
    expect((await t.get(`/namespaces/${slugs[3]}`, alice)).status).toBe(404);
    const replay = await keyed(alice, '/namespaces', { slug: slugs[0] }, 'k0');
    expect([replay.status, replay.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect((await keyed(user(), '/namespaces', { slug: `ns-${uid()}` }, 'k3', 2)).status).toBe(201);
  });

  it('an answer over 64 KiB is kept without its member lists: the replay carries memberCount, not 4,000 ids', async () => {
    const bob = user();
    const slug = await t.namespace(bob);
    const project = await t.project(slug, bob);
    const members = Array.from({ length: 4000 }, (_, i) => `episode-${String(i).padStart(6, '0')}-${'x'.repeat(12)}`);
    const body = { name: 'big', members };
    const first = await keyed(bob, `${project}/collections`, body, 'big', 2);
    expect([first.status, first.body.members.length]).toEqual([201, 4000]);
    const replay = await keyed(bob, `${project}/collections`, body, 'big');
    const withoutMembers = Object.fromEntries(Object.entries(first.body as object).filter(([k]) => k !== 'members'));
    expect([replay.status, replay.headers['idempotent-replayed'], replay.body]).toEqual([201, 'true', withoutMembers]);
    expect(Object.keys(replay.body as object)).toEqual(Object.keys(withoutMembers));
    const small = await keyed(bob, `${project}/collections`, { name: 'small', members: ['a'] }, 'small', 2);
    expect((await keyed(bob, `${project}/collections`, { name: 'small', members: ['a'] }, 'small')).body).toEqual(
      small.body,
    );
  });
});
