import { openApiDocument } from '#src/app.js';
import { TestApp, testConfig, type Json } from './harness.js';

/*
 * The OpenAPI document keeps its promises: every response described, every error example matching
 * its status and really answered by the service, every path parameter typed, and the request
 * examples succeed as Swagger UI pre-fills them, in order, on a fresh service.
 *
 * The examples name namespace 'acme', unique in the whole service, so this file always runs on a
 * fresh embedded database (on the server run too, where other files and earlier runs share one).
 */

type Operation = { method: string; path: string; op: Json };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: Json;
  let operations: Operation[];
  const resolve = (node: Json): Json => (node.$ref ? resolve(lookup(node.$ref)) : node);
  const lookup = (ref: string): Json =>
    ref
      .split('/')
      .slice(1)
      .reduce((node: Json, key) => node[key], doc);

  beforeAll(async () => {
    t = await TestApp.start(testConfig({ DATABASE_URL: 'memory://' }));
    doc = JSON.parse(JSON.stringify(openApiDocument(t.app)));
    operations = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method]).map((method) => ({ method, path, op: item[method] })),
    );
  });
  afterAll(async () => {
    await t.close();
  });

  /** Every error example of an operation: [status, example body]. */
  const errorExamples = ({ op }: Operation): [number, Json][] =>
    Object.entries(op.responses as Json)
      .filter(([status]) => Number(status) >= 400)
      .flatMap(([status, response]) => {
        const media = resolve(response).content['application/json'];
        const values = media.examples ? Object.values(media.examples as Json).map((e) => e.value) : [media.example];
        return values.map((value): [number, Json] => [Number(status), value]);
      });

  it('describes every response, with X-Request-Id, and every error example matches its status', () => {
    const reasons: Json = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };
    Object.assign(reasons, { 409: 'Conflict', 412: 'Precondition Failed', 413: 'Payload Too Large' });
    Object.assign(reasons, { 415: 'Unsupported Media Type', 422: 'Unprocessable Entity' });
    Object.assign(reasons, { 429: 'Too Many Requests', 503: 'Service Unavailable' });
    for (const operation of operations) {
      for (const [status, response] of Object.entries(operation.op.responses as Json)) {
        const where = `${operation.method} ${operation.path} ${status}`;
        expect([where, resolve(response).description]).toEqual([where, expect.stringMatching(/\S/)]);
        expect([where, resolve(response).headers['X-Request-Id']]).toEqual([where, expect.anything()]);
      }
      for (const [status, example] of errorExamples(operation)) {
        const where = `${operation.method} ${operation.path} ${status}`;
        expect([where, example]).toEqual([
          where,
          { statusCode: status, error: reasons[status], message: expect.anything(), requestId: expect.any(String) },
        ]);
      }
    }
  });

  it('types every path parameter with its pattern, and integers and times as such', () => {
    const SLUG = '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$';
    const NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$';
    const expected: Json = {
      slug: { type: 'string', pattern: SLUG, minLength: 1, maxLength: 64, example: 'acme' },
      projectSlug: { type: 'string', pattern: SLUG, minLength: 1, maxLength: 64, example: 'robotics' },
      name: { type: 'string', pattern: NAME, minLength: 1, maxLength: 100, example: expect.any(String) },
      userId: { type: 'string', minLength: 1, maxLength: 255, example: 'bob' },
    };
    let checked = 0;
    for (const { method, path, op } of operations) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const params = (op.parameters as Json[]).filter((p) => p.in === 'path');
      expect([method, path, params.map((p) => p.name)]).toEqual([method, path, inPath]);
      for (const param of params.filter((p) => expected[p.name])) {
        expect([path, param.name, param.schema]).toEqual([path, param.name, expected[param.name]]);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(50);
    const text = JSON.stringify(doc);
    expect(text).not.toContain('"type":"number"');
    for (const [name, schema] of Object.entries(doc.components.schemas as Json)) {
      for (const [key, property] of Object.entries((schema.properties ?? {}) as Json)) {
        if (key.endsWith('At')) expect([name, key, property.format]).toEqual([name, key, 'date-time']);
      }
    }
  });

  it('declares no defaults and no examples on the two forms of the member listing', () => {
    const listing = doc.paths['/namespaces/{slug}/projects/{projectSlug}/collections/{name}/members'].get;
    const query = (listing.parameters as Json[]).filter((p) => p.in === 'query');
    expect(query.map((p) => p.name).sort()).toEqual(['after', 'limit', 'page', 'pageSize']);
    for (const param of query) {
      const declared = { default: param.schema.default, example: param.example ?? param.schema.example };
      expect([param.name, declared]).toEqual([param.name, { default: undefined, example: undefined }]);
    }
    const answer = listing.responses['200'].content['application/json'];
    expect(answer.schema.oneOf).toHaveLength(2);
    expect(Object.values(answer.examples as Json).map((example) => Object.keys(example.value as Json))).toEqual([
      ['members', 'page', 'pageSize', 'total', 'totalPages'],
      ['members', 'nextCursor'],
    ]);
  });

  it('asks for the token on every route but health and metrics, and names servers and tags', () => {
    for (const { method, path, op } of operations) {
      const open = path.startsWith('/health') || path === '/metrics';
      expect([method, path, op.security]).toEqual([method, path, open ? [] : [{ bearer: [] }]]);
    }
    expect(doc.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    expect(doc.tags.map((tag: Json) => tag.name).sort()).toEqual(
      [
        'changes',
        'collections',
        'datasets',
        'health',
        'identity',
        'namespaces',
        'projects',
        'service',
        'versions',
        'webhooks',
      ].sort(),
    );
  });

  /** The request Swagger UI's "Try it out" sends as pre-filled: path examples, the body example, no query. */
  function prefilled({ path, op }: Operation): { url: string; body?: unknown } {
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const example = (op.parameters as Json[]).find((p) => p.in === 'path' && p.name === name)?.schema.example;
      return encodeURIComponent(String(example));
    });
    const ref = op.requestBody?.content['application/json'].schema.$ref as string | undefined;
    if (!ref) return { url };
    const schema = lookup(ref);
    const fromProperties = Object.fromEntries(
      Object.entries(schema.properties as Json).map(([key, property]) => [key, property.example]),
    );
    return { url, body: schema.example ?? fromProperties };
  }

  const success = ({ op }: Operation): number => Number(Object.keys(op.responses as Json).find((s) => s < '300'));
  const OWNER = 'alice';
  const ROLE_OF_BOB = { reader: 'reader', writer: 'reader', admin: 'writer', owner: 'admin' } as const;

  it('request examples succeed as sent on a fresh service, and the error examples are real answers', async () => {
    // Routes that need a token and whose path parameters all have examples (what Try it out pre-fills).
    const walk = operations.filter(
      ({ op }) =>
        op.security.length > 0 &&
        (op.parameters as Json[]).every((p) => p.in !== 'path' || p.schema.example !== undefined),
    );
    expect(walk.length).toBeGreaterThanOrEqual(28);
    const rank = { post: 0, put: 1, patch: 2, get: 3, delete: 4 } as Json;
    // A version is frozen once the dataset holds the walkthrough's collection, and restored (to what
    // it froze) after every read of it.
    const stage = (o: Operation): number =>
      o.method === 'post' && o.path.endsWith('/restore')
        ? 3.5
        : o.method === 'post' && o.path.includes('/versions')
          ? 0.5
          : rank[o.method];
    const depth = (o: Operation) => (o.method === 'delete' ? -o.path.length : o.path.length);
    walk.sort((a, b) => stage(a) - stage(b) || depth(a) - depth(b));
    const documented = (operation: Operation, status: number): unknown[] =>
      errorExamples(operation)
        .filter(([s]) => s === status)
        .map(([, example]) => example.message);

    for (const operation of walk) {
      const { url, body } = prefilled(operation);
      const method = operation.method as 'get' | 'post' | 'put' | 'patch' | 'delete';
      const where = `${operation.method.toUpperCase()} ${url}`;

      // 401 as documented, for a request without a token.
      const anonymous = await t.send(method, url, { as: null, body });
      expect([where, anonymous.status, documented(operation, 401)]).toEqual([
        where,
        401,
        expect.arrayContaining([anonymous.body.message]),
      ]);

      // 403 as documented, for a member one role below what the route needs (before anything changes).
      const forbidden: [string, Json][] = Object.entries(
        resolve(operation.op.responses['403'] ?? {}).content?.['application/json'].examples ?? {},
      );
      for (const [, example] of forbidden.filter(([key]) => key.startsWith('role-below'))) {
        const needed = /needs '(\w+)'/.exec(example.value.message)![1] as keyof typeof ROLE_OF_BOB;
        expect((await t.put('/namespaces/acme/members/bob', OWNER, { role: ROLE_OF_BOB[needed] })).status).toBe(200);
        const refused = await t.send(method, url, { as: 'bob', body });
        expect([where, refused.status, refused.body.message]).toEqual([where, 403, example.value.message]);
      }

      // 404 as documented, for a caller who is no member of 'acme'.
      if (operation.path.startsWith('/namespaces/{slug}')) {
        const stranger = await t.send(method, url, { as: 'mallory', body });
        expect([where, stranger.status, stranger.body.message]).toEqual([where, 404, "Namespace 'acme' not found"]);
        expect(documented(operation, 404)).toContain("Namespace 'acme' not found");
      }

      // The pre-filled request itself.
      const answer = await t.send(method, url, { as: OWNER, body });
      expect([where, answer.status]).toEqual([where, success(operation)]);

      // A create sent again: the 409 as documented.
      if (method === 'post' && success(operation) === 201) {
        const again = await t.send(method, url, { as: OWNER, body });
        expect([where, again.status, documented(operation, 409)]).toEqual([
          where,
          409,
          expect.arrayContaining([again.body.message]),
        ]);
      }

      // What a delete removed is then not found, as documented.
      if (method === 'delete' && !/(members|collections)$/.test(operation.path)) {
        const read = walk.find((o) => o.method === 'get' && o.path === operation.path);
        if (read) {
          const gone = await t.send('get', url, { as: OWNER });
          expect([where, gone.status, documented(read, 404)]).toEqual([
            where,
            404,
            expect.arrayContaining([gone.body.message]),
          ]);
        }
      }
    }
  });
});
