import request from 'supertest';
import { Database } from '#src/database/database.js';
import { TestApp, tokenFor, uid, checkRequestId } from './harness.js';

/* Service-wide behaviour (API.md, Conventions → Errors, Limits, Keys; Service routes). */

const user = (): string => `u-${uid()}`;
const MiB = 1024 * 1024;

/** What must never reach a client: stack frames, driver errors, SQL. */
const LEAKS =
  /\bat [^\s]+ \(|\.ts:\d+|\.js:\d+|QueryFailedError|TypeORM|driverError|\bSELECT\b|\bINSERT\b|\bUPDATE\b|DELETE FROM|\bWITH\b.*\bAS\b|syntax error|duplicate key|violates|relation "|column "/i;

/** The contract's error shape, and nothing that leaks internals. */
function expectErrorBody(body: unknown, status: number): void {
  expect(body).toEqual({
    statusCode: status,
    error: expect.any(String),
    message: expect.anything(),
  });
  const { message } = body as { message: unknown };
  expect(typeof message === 'string' || (Array.isArray(message) && message.every((m) => typeof m === 'string'))).toBe(
    true,
  );
  expect(JSON.stringify(body)).not.toMatch(LEAKS);
}

describe('service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  /**
   * A request the harness cannot check: routes that answer without the database although their
   * status is not one the harness lists (unknown routes), database-decided 400s, and requests with
   * a non-JSON content type. The statement count is returned so the test asserts it.
   */
  async function unchecked(
    method: 'get' | 'post' | 'delete',
    path: string,
    options: { as?: string; raw?: string; contentType?: string } = {},
  ) {
    const counter = t.app.get(Database);
    let req = request(t.app.getHttpServer())[method](path);
    if (options.as) req = req.set('Authorization', `Bearer ${tokenFor(options.as)}`);
    if (options.raw !== undefined)
      req = req.set('Content-Type', options.contentType ?? 'application/json').send(options.raw);
    counter.statements = 0;
    const res = await req;
    checkRequestId(res);
    return {
      status: res.status,
      body: res.body,
      contentType: res.headers['content-type'],
      statements: counter.statements,
    };
  }

  describe('body limits (256 KiB, 8 MiB on routes that carry id lists)', () => {
    const tooLarge = (limit: string) => ({
      status: 413,
      body: { statusCode: 413, error: 'Payload Too Large', message: `Request body is larger than ${limit}` },
      statements: 0,
    });

    it('a JSON body over 256 KiB on an ordinary route → 413 before the database', async () => {
      const raw = JSON.stringify({ slug: `ns-${uid()}`, description: 'd'.repeat(256 * 1024) });
      const res = await t.send('post', '/namespaces', { as: user(), raw });
      expect(res).toEqual(tooLarge('256 KiB'));
      expectErrorBody(res.body, 413);
    });

    it('a JSON body just under 256 KiB is read (and then validated)', async () => {
      const raw = JSON.stringify({ slug: `ns-${uid()}`, description: 'd'.repeat(256 * 1024 - 100) });
      expect(await t.send('post', '/namespaces', { as: user(), raw })).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: ['description must be shorter than or equal to 10000 characters'],
        },
        statements: 0,
      });
    });

    it('100,000 ids in one member add (about 2 MiB) are taken; 8 MiB is the limit of such routes', async () => {
      const alice = user();
      const project = await t.project(await t.namespace(alice), alice);
      expect((await t.post(`${project}/collections`, alice, { name: 'big' })).status).toBe(201);
      const add = Array.from({ length: 100_000 }, (_, i) => `episode-${i}`);
      expect(await t.post(`${project}/collections/big/members`, alice, { add })).toEqual({
        status: 200,
        body: { added: 100_000, total: 100_000 },
        statements: 1,
      });
      const over = JSON.stringify({ add: ['x'.repeat(128)].concat(Array(64 * 1024).fill('y'.repeat(128))) });
      expect(over.length).toBeGreaterThan(8 * MiB);
      expect(await t.send('post', `${project}/collections/big/members`, { as: alice, raw: over })).toEqual(
        tooLarge('8 MiB'),
      );
      expect(
        await t.send('post', `${project}/collections/big/members`, { as: alice, body: { add: [...add, 'one-more'] } }),
      ).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: ['add must contain at most 100000 node ids per request'],
        },
        statements: 0,
      });
    });

    it('an unauthenticated request is refused before its body is read: 401, not 413 or 400', async () => {
      const raw = JSON.stringify({ add: Array(70_000).fill('y'.repeat(128)) });
      expect(raw.length).toBeGreaterThan(8 * MiB);
      expect(await t.send('post', '/namespaces/x/projects/y/collections/z/members', { as: null, raw })).toEqual({
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized', message: 'Missing bearer token (Authorization: Bearer <JWT>)' },
        statements: 0,
      });
      expect(await t.send('post', '/namespaces', { as: null, raw: '{not json' })).toEqual({
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized', message: 'Missing bearer token (Authorization: Bearer <JWT>)' },
        statements: 0,
      });
    });
  });

  describe('hostile bodies are 400 or 415, never 500', () => {
    const nested = (depth: number, leaf = '1'): string => '['.repeat(depth) + leaf + ']'.repeat(depth);
    const deepObject = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

    it('JSON nested deeper than 64 levels, anywhere in the body → 400 before the database', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      for (const raw of [
        `{"slug":"ns-${uid()}","metadata":${deepObject(5000)}}`,
        `{"slug":"ns-${uid()}","metadata":{"a":${nested(100000)}}}`,
        `{"name":"p","tags":${nested(5000, '"x"')}}`,
        nested(10000),
        `{"slug":"ns-${uid()}","x":${deepObject(64)}}`,
      ]) {
        const path = raw.includes('"tags"') ? `/namespaces/${slug}/projects` : '/namespaces';
        expect(await t.send('post', path, { as: alice, raw })).toEqual({
          status: 400,
          body: {
            statusCode: 400,
            error: 'Bad Request',
            message: ['The request body is nested deeper than 64 levels'],
          },
          statements: 0,
        });
      }
    });

    it('lone surrogates in any string or key → 400 (PostgreSQL would store U+FFFD instead)', async () => {
      const alice = user();
      for (const [raw, what] of [
        [`{"slug":"ns-${uid()}","name":"a\\ud800b"}`, 'Strings'],
        [`{"slug":"ns-${uid()}","metadata":{"\\udc00":1}}`, 'Keys'],
        [`{"slug":"ns-${uid()}","description":"\\uDFFF"}`, 'Strings'],
      ]) {
        expect(await t.send('post', '/namespaces', { as: alice, raw })).toEqual({
          status: 400,
          body: {
            statusCode: 400,
            error: 'Bad Request',
            message: [`${what} in the request body must be well-formed Unicode (no lone surrogates)`],
          },
          statements: 0,
        });
      }
      // A well-formed pair is a character like any other.
      const ok = await t.send('post', '/namespaces', {
        as: alice,
        raw: `{"slug":"ns-${uid()}","name":"\\ud83d\\ude00"}`,
      });
      expect([ok.status, ok.body.name]).toEqual([201, '😀']);
    });

    it('metadata may nest 32 levels, not 33', async () => {
      const alice = user();
      const ok = await t.send('post', '/namespaces', {
        as: alice,
        raw: `{"slug":"ns-${uid()}","metadata":${deepObject(32)}}`,
      });
      expect(ok.status).toBe(201);
      expect(
        await t.send('post', '/namespaces', { as: alice, raw: `{"slug":"ns-${uid()}","metadata":${deepObject(33)}}` }),
      ).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: ['metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep'],
        },
        statements: 0,
      });
    });

    it('__proto__, constructor and prototype keys outside metadata → 400, nothing stored', async () => {
      const alice = user();
      const slug = `ns-${uid()}`;
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        expect(await t.send('post', '/namespaces', { as: alice, raw: `{"slug":"${slug}","${key}":{"x":1}}` })).toEqual({
          status: 400,
          body: {
            statusCode: 400,
            error: 'Bad Request',
            message: [`The key '${key}' is not allowed in a request body (except inside metadata)`],
          },
          statements: 0,
        });
      }
      expect((await t.get(`/namespaces/${slug}`, alice)).status).toBe(404);
    });

    it('inside metadata every key is data: constructor, toString, valueOf, __proto__ are stored and returned as sent', async () => {
      const alice = user();
      const slug = `ns-${uid()}`;
      const metadata =
        '{"constructor":{"name":"x"},"toString":1,"valueOf":"v","__proto__":{"polluted":true},"hasOwnProperty":null,"prototype":[1]}';
      const created = await t.send('post', '/namespaces', {
        as: alice,
        raw: `{"slug":"${slug}","metadata":${metadata}}`,
      });
      expect(created.status).toBe(201);
      const expected = JSON.parse(metadata);
      expect(Object.keys(created.body.metadata).sort()).toEqual(Object.keys(expected).sort());
      expect(created.body.metadata).toEqual(expected);
      const read = await t.get(`/namespaces/${slug}`, alice);
      expect(read.body.metadata).toEqual(expected);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('a body that is not application/json → 415, before the database', async () => {
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const res = await unchecked('post', '/namespaces', { as: user(), raw: '{"slug":"x"}', contentType });
        expect({ contentType, status: res.status, body: res.body, statements: res.statements }).toEqual({
          contentType,
          status: 415,
          body: {
            statusCode: 415,
            error: 'Unsupported Media Type',
            message: 'Request body must be JSON (Content-Type: application/json)',
          },
          statements: 0,
        });
      }
    });

    it('names made of, or holding, control, zero-width or bidi characters → 400; look-alike member ids → 400', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      for (const name of ['\u202e', 'Robotics\u200b', 'a\u0007b', '\u2066\u2069']) {
        const res = await t.send('post', `/namespaces/${slug}/projects`, {
          as: alice,
          body: { name, slug: `p-${uid()}` },
        });
        expect(res).toEqual({
          status: 400,
          body: {
            statusCode: 400,
            error: 'Bad Request',
            message: ['name must not contain control, zero-width or bidi-override characters'],
          },
          statements: 0,
        });
      }
      for (const memberId of ['alice%E2%80%8B', '%E2%80%AEalice', 'a%07b']) {
        expect(await t.put(`/namespaces/${slug}/members/${memberId}`, alice, { role: 'reader' })).toEqual({
          status: 400,
          body: {
            statusCode: 400,
            error: 'Bad Request',
            message: [
              'userId must be 1-255 characters of well-formed Unicode without control, zero-width or bidi-override characters',
            ],
          },
          statements: 0,
        });
      }
    });
  });

  describe('bad bodies are 400, never 500', () => {
    it('invalid JSON → 400 JSON error', async () => {
      for (const raw of ['{"slug":', '{slug: "x"}', "{'slug':'x'}", 'not json', '{"a":1}}']) {
        const res = await t.send('post', '/namespaces', { as: user(), raw });
        expect({ status: res.status, statements: res.statements }).toEqual({ status: 400, statements: 0 });
        expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.anything() });
        expectErrorBody(res.body, 400);
      }
    });

    it('a JSON array, string, number or null as the body of POST /namespaces → 400', async () => {
      for (const raw of ['[]', '[{"slug":"x"}]', '"ns-x"', '42', 'true', 'null']) {
        const res = await t.send('post', '/namespaces', { as: user(), raw });
        expect({ status: res.status, statements: res.statements }).toEqual({ status: 400, statements: 0 });
        expectErrorBody(res.body, 400);
        expect(res.body.error).toBe('Bad Request');
        expect(Array.isArray(res.body.message)).toBe(true);
      }
    });

    it('a JSON array as the body of a PATCH or PUT → 400', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      for (const [method, path] of [
        ['patch', `/namespaces/${slug}`],
        ['put', `/namespaces/${slug}/members/${user()}`],
        ['post', `/namespaces/${slug}/projects`],
      ] as const) {
        const res = await t.send(method, path, { as: alice, raw: '[1]' });
        expect({ status: res.status, statements: res.statements }).toEqual({ status: 400, statements: 0 });
        expectErrorBody(res.body, 400);
      }
    });

    it('an empty JSON body on a POST that needs one → 400', async () => {
      const res = await t.send('post', '/namespaces', { as: user(), raw: '' });
      expect({ status: res.status, statements: res.statements }).toEqual({ status: 400, statements: 0 });
      expectErrorBody(res.body, 400);
    });

    it('a body that is not JSON at all → a 4xx JSON error', async () => {
      for (const contentType of ['application/xml', 'text/plain']) {
        const res = await unchecked('post', '/namespaces', { as: user(), raw: '<slug>x</slug>', contentType });
        expect([400, 415]).toContain(res.status);
        expect(res.contentType).toMatch(/^application\/json/);
        expect(res.statements).toBe(0);
        expectErrorBody(res.body, res.status);
      }
    });

    it('a NUL character in a body string → 400, never 500', async () => {
      const alice = user();
      for (const body of [
        { slug: `ns-${uid()}`, name: 'a\u0000b' },
        { slug: `ns-${uid()}`, description: 'x\u0000' },
        { slug: `ns-${uid()}`, metadata: { k: 'v\u0000' } },
      ]) {
        const res = await unchecked('post', '/namespaces', { as: alice, raw: JSON.stringify(body) });
        expect({ status: res.status, body: res.body, statements: res.statements }).toEqual({
          status: 400,
          body: {
            statusCode: 400,
            error: 'Bad Request',
            message: ['Strings in the request body must not contain NUL characters (\\u0000)'],
          },
          statements: 0,
        });
      }
      expect((await t.get('/namespaces', alice)).body.total).toBe(0);
    });
  });

  describe('paths', () => {
    it('an unknown route → 404 JSON', async () => {
      for (const [method, path] of [
        ['get', '/nope'],
        ['get', '/namespaces/x/nope'],
        ['post', '/health/live'],
        ['delete', '/namespaces'],
      ] as const) {
        const res = await unchecked(method, path, { as: user() });
        expect(res).toEqual({
          status: 404,
          body: { statusCode: 404, error: 'Not Found', message: `Cannot ${method.toUpperCase()} ${path}` },
          contentType: expect.stringMatching(/^application\/json/),
          statements: 0,
        });
      }
      // Without a token too: nothing is there to protect.
      const anonymous = await unchecked('get', '/nope');
      expect({ status: anonymous.status, body: anonymous.body }).toEqual({
        status: 404,
        body: { statusCode: 404, error: 'Not Found', message: 'Cannot GET /nope' },
      });
    });

    it('a NUL character (%00) in a path slug → 400 before any statement', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      for (const path of [
        `/namespaces/a%00b`,
        `/namespaces/${slug}%00`,
        `/namespaces/${slug}%00x/members`,
        `/namespaces/${slug}/projects/p%00q`,
        `/namespaces/${slug}/projects/p%00q/datasets/d`,
      ]) {
        const res = await unchecked('get', path, { as: alice });
        expect(res).toEqual({
          status: 400,
          body: { statusCode: 400, error: 'Bad Request', message: ['The URL must not contain NUL characters (%00)'] },
          contentType: expect.stringMatching(/^application\/json/),
          statements: 0,
        });
      }
      const del = await unchecked('delete', `/namespaces/${slug}/members/bob%00`, { as: alice });
      expect({ status: del.status, body: del.body, statements: del.statements }).toEqual({
        status: 400,
        body: { statusCode: 400, error: 'Bad Request', message: ['The URL must not contain NUL characters (%00)'] },
        statements: 0,
      });
      expect((await t.get(`/namespaces/${slug}`, alice)).status).toBe(200);
    });

    it('a malformed percent-encoding in the path → 400 in the contract error shape', async () => {
      const res = await unchecked('get', '/namespaces/a%ZZb', { as: user() });
      expect({ status: res.status, statements: res.statements }).toEqual({ status: 400, statements: 0 });
      expect(res.contentType).toMatch(/^application\/json/);
      expectErrorBody(res.body, 400);
    });

    it('path segments are URL-decoded', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      const encoded = slug.replace(/^n/, '%6E').replace('-', '%2D');
      expect(encoded).not.toBe(slug);
      const res = await t.get(`/namespaces/${encoded}`, alice);
      expect(res.status).toBe(200);
      expect(res.body.slug).toBe(slug);
    });
  });

  describe('DELETE with Content-Type: application/json and an empty body', () => {
    it('works for a project, a member and a namespace (200)', async () => {
      const alice = user();
      const bob = user();
      const slug = await t.namespace(alice, { [bob]: 'reader' });
      const project = await t.project(slug, alice);
      expect(await t.send('delete', project, { as: alice, raw: '' })).toEqual({
        status: 200,
        body: { success: true },
        statements: 1,
      });
      expect(await t.send('delete', `/namespaces/${slug}/members/${bob}`, { as: alice, raw: '' })).toEqual({
        status: 200,
        body: { success: true },
        statements: 1,
      });
      expect(await t.send('delete', `/namespaces/${slug}`, { as: alice, raw: '' })).toEqual({
        status: 200,
        body: { success: true },
        statements: 1,
      });
      expect((await t.get(`/namespaces/${slug}`, alice)).status).toBe(404);
    });

    it('whitespace-only body counts as empty too', async () => {
      const alice = user();
      const slug = await t.namespace(alice);
      expect(await t.send('delete', `/namespaces/${slug}`, { as: alice, raw: ' \n ' })).toEqual({
        status: 200,
        body: { success: true },
        statements: 1,
      });
    });
  });

  describe('error bodies never leak internals', () => {
    it('constraint violations, domain errors and validation errors are clean', async () => {
      const alice = user();
      const bob = user();
      const slug = await t.namespace(alice, { [bob]: 'writer' });
      await t.project(slug, alice);
      const answers = [
        await t.post('/namespaces', bob, { slug }), // 409 unique slug
        await t.post(`/namespaces/${slug}/projects`, alice, { name: 'Same' }),
        await t.post(`/namespaces/${slug}/projects`, alice, { name: 'Same' }), // 409 unique project slug
        await t.put(`/namespaces/${slug}/members/${alice}`, alice, { role: 'reader' }), // 409 trigger
        await t.delete(`/namespaces/${slug}/members/${alice}`, alice), // 409 trigger
        await t.delete(`/namespaces/${slug}`, alice), // 409 live projects
        await t.delete(`/namespaces/${slug}`, bob), // 403
        await t.get(`/namespaces/${slug}`, user()), // 404
        await t.post('/namespaces', alice, { slug: 'BAD', extra: 1 }), // 400
        await t.get('/namespaces', alice, 'pageSize=abc'), // 400
        await t.send('get', '/me', { token: 'garbage' }), // 401
      ];
      expect(answers.map((a) => a.status)).toEqual([409, 201, 409, 409, 409, 409, 403, 404, 400, 400, 401]);
      for (const answer of answers.filter((a) => a.status >= 400)) expectErrorBody(answer.body, answer.status);
    });
  });
});
