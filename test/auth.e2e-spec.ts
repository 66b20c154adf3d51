import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { Database } from '#src/database/database.js';
import { TEST_SECRET, TestApp, testConfig, tokenFor, uid, checkRequestId } from './harness.js';

/*
 * Authentication (API.md, Conventions → Auth; Configuration → JWT_*). Apps with other key settings
 * run in their own describe blocks, one after the other: on the embedded database the PGlite
 * instance is process-wide, and closing an app closes it.
 */

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

/** A token with `alg: none` and an empty signature, crafted by hand. */
const unsignedToken = (payload: Record<string, unknown>): string =>
  `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;

const unauthorized = (message: string) => ({ status: 401, body: { statusCode: 401, error: 'Unauthorized', message } });

/** GET /me with a given bearer token: the simplest protected route. */
async function me(t: TestApp, token: string) {
  const { status, body } = await t.send('get', '/me', { token });
  return { status, body };
}

/**
 * A request the harness cannot express (a custom Authorization header, a non-JSON answer, a route
 * that sends no statement although it answers 200). The statement count is still returned so the
 * test asserts it.
 */
async function unchecked(t: TestApp, path: string, headers: Record<string, string> = {}) {
  const counter = t.app.get(Database);
  let req = request(t.app.getHttpServer()).get(path);
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  counter.statements = 0;
  const res = await req;
  checkRequestId(res);
  return { status: res.status, body: res.body, text: res.text, headers: res.headers, statements: counter.statements };
}

const BAD_SUB =
  'Invalid bearer token: sub must be 1-255 characters of well-formed Unicode without control or invisible characters';
const STRICT_HEADER = 'Invalid bearer token: the header must be exactly "Bearer <JWT>"';

const meOf = (sub: string) => ({
  sub,
  name: null,
  email: null,
  username: null,
  namespaces: [],
  namespaceCount: 0,
  namespacesTruncated: false,
});

describe('auth with the HS256 secret', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts a valid HS256 token', async () => {
    const sub = `u-${uid()}`;
    expect(await me(t, tokenFor(sub))).toEqual({ status: 200, body: meOf(sub) });
  });

  it('401 without an Authorization header', async () => {
    expect(await t.get('/me', null)).toEqual({
      ...unauthorized('Missing bearer token (Authorization: Bearer <JWT>)'),
      statements: 0,
    });
    expect(await t.get('/namespaces', null)).toEqual({
      ...unauthorized('Missing bearer token (Authorization: Bearer <JWT>)'),
      statements: 0,
    });
    expect(await t.post('/namespaces', null, { slug: `ns-${uid()}` })).toEqual({
      ...unauthorized('Missing bearer token (Authorization: Bearer <JWT>)'),
      statements: 0,
    });
  });

  it('401 for an Authorization header that is not a bearer token', async () => {
    const basic = await unchecked(t, '/me', { Authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` });
    expect({ status: basic.status, body: basic.body, statements: basic.statements }).toEqual({
      ...unauthorized('Missing bearer token (Authorization: Bearer <JWT>)'),
      statements: 0,
    });
    const bare = await unchecked(t, '/me', { Authorization: tokenFor('alice') });
    expect({ status: bare.status, body: bare.body, statements: bare.statements }).toEqual({
      ...unauthorized('Missing bearer token (Authorization: Bearer <JWT>)'),
      statements: 0,
    });
  });

  it('401 for a malformed token', async () => {
    expect(await me(t, 'abc.def.ghi')).toEqual(unauthorized('Invalid bearer token: jwt malformed'));
    const [header, payload] = tokenFor('alice').split('.');
    expect(await me(t, `${header}.${payload}`)).toEqual(unauthorized('Invalid bearer token: jwt malformed'));
  });

  it('401 for a garbage "Bearer x"', async () => {
    expect(await me(t, 'x')).toEqual(unauthorized('Invalid bearer token: jwt malformed'));
  });

  it('401 for an expired token', async () => {
    const expired = jwt.sign({ sub: 'alice', iat: now() - 120, exp: now() - 60 }, TEST_SECRET, { algorithm: 'HS256' });
    expect(await me(t, expired)).toEqual(unauthorized('Bearer token has expired'));
  });

  it('401 for a token that is not valid yet', async () => {
    const early = jwt.sign({ sub: 'alice', nbf: now() + 3600 }, TEST_SECRET, { algorithm: 'HS256' });
    expect(await me(t, early)).toEqual(unauthorized('Bearer token is not valid yet'));
  });

  it('issue 21 row 11c: 401 for a header listing critical extensions (crit) the service does not know', async () => {
    const crit = jwt.sign({ sub: 'alice', exp: now() + 600 }, TEST_SECRET, {
      algorithm: 'HS256',
      header: { alg: 'HS256', crit: ['exp-ext'], 'exp-ext': 1 } as unknown as jwt.JwtHeader,
    });
    expect(await me(t, crit)).toEqual(
      unauthorized('Invalid bearer token: its header lists critical extensions (crit) this service does not know'),
    );
  });

  it('issue 21 row 11c: 401 for iat more than a minute ahead (it would outlive JWT_MAX_AGE); 30 s of skew passes', async () => {
    const ahead = (seconds: number) =>
      jwt.sign({ sub: `u-${uid()}`, iat: now() + seconds, exp: now() + 3600 }, TEST_SECRET, { algorithm: 'HS256' });
    expect(await me(t, ahead(365 * 86_400))).toEqual(
      unauthorized('Invalid bearer token: it was issued in the future (iat)'),
    );
    expect(await me(t, ahead(120))).toEqual(unauthorized('Invalid bearer token: it was issued in the future (iat)'));
    expect((await me(t, ahead(30))).status).toBe(200);
  });

  it('401 for a wrong signature', async () => {
    const other = jwt.sign({ sub: 'alice' }, 'another-secret-that-is-long-enough!!', { algorithm: 'HS256' });
    expect(await me(t, other)).toEqual(unauthorized('Invalid bearer token: invalid signature'));
    // A valid token whose payload was swapped for another caller's.
    const [header, , signature] = tokenFor('alice').split('.');
    const tampered = `${header}.${b64url({ sub: 'mallory', iat: now() })}.${signature}`;
    expect(await me(t, tampered)).toEqual(unauthorized('Invalid bearer token: invalid signature'));
  });

  it('401 for alg: none', async () => {
    expect(await me(t, unsignedToken({ sub: 'alice', iat: now(), exp: now() + 3600 }))).toEqual(
      unauthorized('Invalid bearer token: token algorithm not accepted'),
    );
  });

  it('401 for an algorithm that is not configured (HS384 with the right secret)', async () => {
    const hs384 = jwt.sign({ sub: 'alice' }, TEST_SECRET, { algorithm: 'HS384' });
    expect(await me(t, hs384)).toEqual(unauthorized('Invalid bearer token: token algorithm not accepted'));
  });

  it('401 for a token without sub, or with a sub that is not a string of 1-255 characters', async () => {
    const noSub = jwt.sign({ name: 'Alice' }, TEST_SECRET, { algorithm: 'HS256', expiresIn: '1h' });
    expect(await me(t, noSub)).toEqual(unauthorized('Invalid bearer token: it has no subject (sub)'));
    for (const sub of ['', 42, 'x'.repeat(256)]) {
      const token = jwt.sign({ sub }, TEST_SECRET, { algorithm: 'HS256', expiresIn: '1h' });
      expect(await me(t, token)).toEqual(unauthorized(BAD_SUB));
    }
    // 255 characters is the longest sub, counted in characters (an astral one is one, not two).
    const longest = '😀'.repeat(255);
    expect(await me(t, tokenFor(longest))).toEqual({ status: 200, body: meOf(longest) });
  });

  it('401 for a sub with lone surrogates, control, NUL, zero-width or bidi characters (they would alias other users)', async () => {
    for (const sub of [
      '\ud800',
      '\udc00',
      'alice\ud800',
      'al\u0000ice',
      'alice\u200b',
      '\u202ealice',
      'a\tb',
      '\u2066x',
    ]) {
      expect({ sub, ...(await me(t, tokenFor(sub))) }).toEqual({ sub, ...unauthorized(BAD_SUB) });
    }
    // U+FFFD is a character of its own, not a stand-in for the refused ones.
    expect(await me(t, tokenFor('\ufffd'))).toEqual({ status: 200, body: meOf('\ufffd') });
  });

  it('401 for a token without exp: tokens must expire', async () => {
    const forever = jwt.sign({ sub: 'alice' }, TEST_SECRET, { algorithm: 'HS256' });
    expect(await me(t, forever)).toEqual(unauthorized('Invalid bearer token: it has no expiry (exp)'));
  });

  it('401 for anything after the token in the header', async () => {
    for (const header of [
      `Bearer ${tokenFor('alice')} extra`,
      `Bearer ${tokenFor('alice')} ${tokenFor('bob')}`,
      `Bearer ${tokenFor('alice')},x`,
    ]) {
      const res = await unchecked(t, '/me', { Authorization: header });
      expect({ status: res.status, body: res.body, statements: res.statements }).toEqual({
        ...unauthorized(header.includes(',') ? 'Invalid bearer token: jwt malformed' : STRICT_HEADER),
        statements: 0,
      });
    }
    // Several spaces after the scheme, the scheme in any case, and trailing blanks (HTTP trims them) are fine.
    const spaced = await unchecked(t, '/me', { Authorization: `bearer   ${tokenFor('alice')}` });
    expect(spaced.status).toBe(200);
  });

  it('401 answers carry WWW-Authenticate: Bearer (RFC 6750)', async () => {
    const missing = await unchecked(t, '/me');
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="dreamlake"');
    const invalid = await unchecked(t, '/me', { Authorization: 'Bearer abc.def.ghi' });
    expect(invalid.headers['www-authenticate']).toBe('Bearer realm="dreamlake", error="invalid_token"');
  });

  it('/health/live and /health/ready need no token', async () => {
    const live = await unchecked(t, '/health/live');
    expect({ status: live.status, body: live.body, statements: live.statements }).toEqual({
      status: 200,
      body: { status: 'ok' },
      statements: 0,
    });
    expect(await t.get('/health/ready', null)).toEqual({ status: 200, body: { status: 'ok' }, statements: 1 });
  });

  it('/docs answers the Swagger UI without a token', async () => {
    const docs = await unchecked(t, '/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers['content-type']).toMatch(/^text\/html/);
    expect(docs.text).toMatch(/swagger-ui/i);
    expect(docs.statements).toBe(0);
  });

  it('/docs-json answers the OpenAPI document with a bearer security scheme', async () => {
    const doc = await unchecked(t, '/docs-json');
    expect(doc.status).toBe(200);
    expect(doc.headers['content-type']).toMatch(/^application\/json/);
    expect(doc.statements).toBe(0);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(doc.body.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    });
    // Protected routes ask for it, health routes do not.
    expect(doc.body.paths['/me'].get.security).toEqual([{ bearer: [] }]);
    expect(doc.body.paths['/namespaces'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.body.paths['/health/live'].get.security).toEqual([]);
  });
});

describe('auth with an RSA public key beside the secret', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(testConfig({ JWT_PUBLIC_KEY: pem, JWT_AUDIENCE: 'catalog' }));
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts an RS256 token signed with the configured key', async () => {
    const sub = `u-${uid()}`;
    const token = jwt.sign({ sub, name: 'Rita' }, privateKey, {
      algorithm: 'RS256',
      expiresIn: '1h',
      audience: 'catalog',
    });
    expect(await me(t, token)).toEqual({ status: 200, body: { ...meOf(sub), name: 'Rita' } });
  });

  it('still accepts HS256 tokens signed with the secret', async () => {
    const sub = `u-${uid()}`;
    expect(await me(t, tokenFor(sub, {}, { audience: 'catalog' }))).toEqual({ status: 200, body: meOf(sub) });
  });

  it('401 for an RS256 token signed with a different key', async () => {
    const token = jwt.sign({ sub: 'alice' }, stranger.privateKey, {
      algorithm: 'RS256',
      expiresIn: '1h',
      audience: 'catalog',
    });
    expect(await me(t, token)).toEqual(unauthorized('Invalid bearer token: invalid signature'));
  });

  it('401 for an HS256 token that uses the public key as its HMAC secret', async () => {
    const header = b64url({ alg: 'HS256', typ: 'JWT' });
    const payload = b64url({ sub: 'alice', iat: now(), exp: now() + 3600, aud: 'catalog' });
    const signature = createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url');
    expect(await me(t, `${header}.${payload}.${signature}`)).toEqual(
      unauthorized('Invalid bearer token: invalid signature'),
    );
  });

  it('401 for an expired RS256 token', async () => {
    const token = jwt.sign({ sub: 'alice', iat: now() - 120, exp: now() - 60 }, privateKey, {
      algorithm: 'RS256',
      audience: 'catalog',
    });
    expect(await me(t, token)).toEqual(unauthorized('Bearer token has expired'));
  });

  it('401 for alg: none', async () => {
    expect(await me(t, unsignedToken({ sub: 'alice', iat: now(), exp: now() + 3600, aud: 'catalog' }))).toEqual(
      unauthorized('Invalid bearer token: jwt signature is required'),
    );
  });

  it('401 for an RS256 token without sub', async () => {
    const token = jwt.sign({ name: 'Rita' }, privateKey, { algorithm: 'RS256', expiresIn: '1h', audience: 'catalog' });
    expect(await me(t, token)).toEqual(unauthorized('Invalid bearer token: it has no subject (sub)'));
  });

  it('401 for an RS256 token for another audience of the identity provider', async () => {
    const token = jwt.sign({ sub: 'alice' }, privateKey, { algorithm: 'RS256', expiresIn: '1h', audience: 'billing' });
    expect(await me(t, token)).toEqual(unauthorized('Invalid bearer token: jwt audience invalid. expected: catalog'));
  });
});

describe('auth with an EC public key instead of the secret', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(testConfig({ JWT_PUBLIC_KEY: pem, JWT_SECRET: '', JWT_ISSUER: 'https://idp.example' }));
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts an ES256 token signed with the configured key', async () => {
    const sub = `u-${uid()}`;
    const token = jwt.sign({ sub, email: 'e@example.com' }, privateKey, {
      algorithm: 'ES256',
      expiresIn: '1h',
      issuer: 'https://idp.example',
    });
    expect(await me(t, token)).toEqual({ status: 200, body: { ...meOf(sub), email: 'e@example.com' } });
  });

  it('401 for an ES256 token signed with a different key', async () => {
    const token = jwt.sign({ sub: 'alice' }, stranger.privateKey, {
      algorithm: 'ES256',
      expiresIn: '1h',
      issuer: 'https://idp.example',
    });
    expect(await me(t, token)).toEqual(unauthorized('Invalid bearer token: invalid signature'));
  });

  it('401 for HS256 tokens when no secret is configured', async () => {
    expect(await me(t, tokenFor('alice'))).toEqual(unauthorized('Invalid bearer token: token algorithm not accepted'));
  });
});

describe('auth with JWT_ISSUER and JWT_AUDIENCE', () => {
  const ISSUER = 'https://id.example.com/';
  const AUDIENCE = 'dreamlake-catalog';
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(testConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE }));
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts a token with the right issuer and audience', async () => {
    const sub = `u-${uid()}`;
    expect(await me(t, tokenFor(sub, {}, { issuer: ISSUER, audience: AUDIENCE }))).toEqual({
      status: 200,
      body: meOf(sub),
    });
    // An audience list that includes ours is accepted too.
    expect(await me(t, tokenFor(sub, {}, { issuer: ISSUER, audience: ['other', AUDIENCE] }))).toEqual({
      status: 200,
      body: meOf(sub),
    });
  });

  it('401 for a wrong or missing issuer', async () => {
    expect(await me(t, tokenFor('alice', {}, { issuer: 'https://evil.example.com/', audience: AUDIENCE }))).toEqual(
      unauthorized(`Invalid bearer token: jwt issuer invalid. expected: ${ISSUER}`),
    );
    expect(await me(t, tokenFor('alice', {}, { audience: AUDIENCE }))).toEqual(
      unauthorized(`Invalid bearer token: jwt issuer invalid. expected: ${ISSUER}`),
    );
  });

  it('401 for a wrong or missing audience', async () => {
    expect(await me(t, tokenFor('alice', {}, { issuer: ISSUER, audience: 'someone-else' }))).toEqual(
      unauthorized(`Invalid bearer token: jwt audience invalid. expected: ${AUDIENCE}`),
    );
    expect(await me(t, tokenFor('alice', {}, { issuer: ISSUER }))).toEqual(
      unauthorized(`Invalid bearer token: jwt audience invalid. expected: ${AUDIENCE}`),
    );
  });
});

describe('auth with JWT_MAX_AGE', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(testConfig({ JWT_MAX_AGE: '1h' }));
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts a token younger than JWT_MAX_AGE, refuses an older one even before its exp', async () => {
    const sub = `u-${uid()}`;
    expect(await me(t, tokenFor(sub, { iat: now() - 60 }, { expiresIn: '1d' }))).toEqual({
      status: 200,
      body: meOf(sub),
    });
    expect(await me(t, tokenFor(sub, { iat: now() - 7200 }, { expiresIn: '1d' }))).toEqual(
      unauthorized('Bearer token is older than JWT_MAX_AGE allows'),
    );
  });
});
