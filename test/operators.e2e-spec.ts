import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import request from 'supertest';
import { checkRequestId, error, TEST_SECRET, testConfig, TestApp, tokenFor, uid } from './harness.js';
import { removeTempDirs, ServiceProcess, tempDir } from './service-process.js';

/*
 * What an operator and a browser app see (issue 9; API.md "Safety for clients → Request ids",
 * "Service routes", LOG_FORMAT): request ids, CORS, compression, /metrics, Location on 201, the
 * JSON access log and the start-up output of the built service. 401's WWW-Authenticate is
 * asserted in auth.e2e-spec.ts.
 */

const user = (): string => `u-${uid()}`;

/** GET /metrics without a token: status, content type and the text. */
async function scrape(t: TestApp) {
  const res = await request(t.app.getHttpServer()).get('/metrics');
  checkRequestId(res);
  return { status: res.status, contentType: res.headers['content-type'], lines: res.text.split('\n'), text: res.text };
}

/**
 * An answer as the bytes on the wire (no client-side decompression), its request id checked: the
 * app's server listens on a free port for it.
 */
async function inject(
  t: TestApp,
  method: 'GET' | 'OPTIONS' | 'POST',
  url: string,
  headers: Record<string, string>,
  payload?: object,
) {
  const server = t.app.getHttpServer();
  if (!server.listening) await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const body = payload === undefined ? undefined : JSON.stringify(payload);
  const res = await new Promise<{ statusCode: number; headers: IncomingHttpHeaders; rawPayload: Buffer }>(
    (done, fail) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method,
          path: url,
          headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () =>
            done({ statusCode: answer.statusCode!, headers: answer.headers, rawPayload: Buffer.concat(chunks) }),
          );
          answer.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(body);
    },
  );
  checkRequestId({ status: res.statusCode, headers: res.headers, body: null });
  const text = res.rawPayload.toString('utf8');
  return { ...res, body: text, json: () => JSON.parse(text) };
}

describe('operators and browser apps', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('X-Request-Id', () => {
    it("a well-formed client id is echoed on the answer and in an error body's requestId", async () => {
      const alice = user();
      for (const id of ['a', 'req-1.2_3:4', 'x'.repeat(128)]) {
        const ok = await request(t.app.getHttpServer())
          .get('/me')
          .set('Authorization', `Bearer ${tokenFor(alice)}`)
          .set('X-Request-Id', id);
        expect([ok.status, ok.headers['x-request-id']]).toEqual([200, id]);
        const missing = await request(t.app.getHttpServer())
          .get(`/namespaces/ns-${uid()}`)
          .set('Authorization', `Bearer ${tokenFor(alice)}`)
          .set('X-Request-Id', id);
        expect({ status: missing.status, header: missing.headers['x-request-id'], body: missing.body }).toEqual({
          status: 404,
          header: id,
          body: { ...error(404, expect.stringMatching(/^Namespace 'ns-[0-9a-f]{8}' not found$/)), requestId: id },
        });
      }
      // Errors decided before any route runs (no token, malformed URL) carry it too.
      const anonymous = await request(t.app.getHttpServer()).get('/me').set('X-Request-Id', 'anon-1');
      expect({
        status: anonymous.status,
        header: anonymous.headers['x-request-id'],
        id: anonymous.body.requestId,
      }).toEqual({ status: 401, header: 'anon-1', id: 'anon-1' });
      const malformed = await request(t.app.getHttpServer()).get('/namespaces/a%ZZb').set('X-Request-Id', 'bad-url-1');
      expect({
        status: malformed.status,
        header: malformed.headers['x-request-id'],
        id: malformed.body.requestId,
      }).toEqual({ status: 400, header: 'bad-url-1', id: 'bad-url-1' });
    });

    it('an id that is too long or holds other characters is replaced by a generated one', async () => {
      const seen = new Set<string>();
      for (const id of ['x'.repeat(129), 'has space', 'semi;colon', 'slash/', 'ünïcode', '<script>', '"quoted"']) {
        const res = await request(t.app.getHttpServer())
          .get(`/namespaces/ns-${uid()}`)
          .set('Authorization', `Bearer ${tokenFor(user())}`)
          .set('X-Request-Id', id);
        const answered = res.headers['x-request-id'];
        expect({ id, status: res.status, same: answered === id, format: answered, inBody: res.body.requestId }).toEqual(
          {
            id,
            status: 404,
            same: false,
            format: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
            inBody: answered,
          },
        );
        seen.add(answered);
      }
      // Without one, every answer gets its own.
      const a = await request(t.app.getHttpServer()).get('/health/live');
      const b = await request(t.app.getHttpServer()).get('/health/live');
      seen.add(a.headers['x-request-id']).add(b.headers['x-request-id']);
      expect(seen.size).toBe(9);
    });
  });

  describe('CORS', () => {
    const preflight = (target: TestApp, origin: string, method = 'POST') =>
      inject(target, 'OPTIONS', '/namespaces/acme/projects/robotics/collections/c/members', {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization,content-type,if-match,idempotency-key,x-request-id',
      });

    it('is off by default: a preflight gets no Access-Control-Allow-Origin, and answers carry none', async () => {
      const res = await preflight(t, 'https://app.example');
      expect({ status: res.statusCode, body: res.json() }).toEqual({
        status: 404,
        body: {
          ...error(404, 'Cannot OPTIONS /namespaces/acme/projects/robotics/collections/c/members'),
          requestId: res.headers['x-request-id'],
        },
      });
      expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
      const get = await inject(t, 'GET', '/health/live', { origin: 'https://app.example' });
      expect([get.statusCode, get.headers['access-control-allow-origin']]).toEqual([200, undefined]);
    });

    describe('with CORS_ORIGINS=https://app.example', () => {
      let c: TestApp;
      beforeAll(async () => {
        c = await TestApp.start(testConfig({ CORS_ORIGINS: 'https://app.example' }));
      });
      afterAll(async () => {
        await c.close();
      });

      it('a preflight from that origin allows the methods and the headers a browser app sends', async () => {
        for (const method of ['POST', 'PATCH', 'DELETE', 'PUT', 'GET']) {
          const res = await preflight(c, 'https://app.example', method);
          expect({
            status: res.statusCode,
            origin: res.headers['access-control-allow-origin'],
            methods: res.headers['access-control-allow-methods'],
            headers: res.headers['access-control-allow-headers'],
            maxAge: res.headers['access-control-max-age'],
            vary: res.headers.vary,
            body: res.body,
          }).toEqual({
            status: 204,
            origin: 'https://app.example',
            methods: 'GET, HEAD, POST, PUT, PATCH, DELETE',
            headers: 'Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-Id',
            maxAge: '600',
            vary: expect.stringMatching(/Origin/),
            body: '',
          });
        }
      });

      it('answers to that origin expose ETag, Location, X-Request-Id, Idempotent-Replayed, rate-limit and WWW-Authenticate headers', async () => {
        const alice = user();
        const slug = `ns-${uid()}`;
        const created = await inject(
          c,
          'POST',
          '/namespaces',
          { origin: 'https://app.example', authorization: `Bearer ${tokenFor(alice)}` },
          { slug },
        );
        expect({
          status: created.statusCode,
          origin: created.headers['access-control-allow-origin'],
          location: created.headers.location,
          exposed: String(created.headers['access-control-expose-headers']).split(/,\s*/).sort(),
        }).toEqual({
          status: 201,
          origin: 'https://app.example',
          location: `/namespaces/${slug}`,
          exposed: [
            'ETag',
            'Idempotent-Replayed',
            'Location',
            'RateLimit-Limit',
            'RateLimit-Remaining',
            'RateLimit-Reset',
            'Retry-After',
            'WWW-Authenticate',
            'X-Request-Id',
          ],
        });
        // A 401 decided before any route still carries the CORS headers, so the app can read it.
        const refused = await inject(c, 'GET', '/me', { origin: 'https://app.example' });
        expect({
          status: refused.statusCode,
          origin: refused.headers['access-control-allow-origin'],
          wwwAuthenticate: refused.headers['www-authenticate'],
        }).toEqual({ status: 401, origin: 'https://app.example', wwwAuthenticate: 'Bearer realm="dreamlake"' });
      });

      it('another origin gets no Access-Control-Allow-Origin', async () => {
        for (const origin of ['https://evil.example', 'http://app.example', 'https://app.example.evil']) {
          const res = await preflight(c, origin);
          expect({ origin, status: res.statusCode, allow: res.headers['access-control-allow-origin'] }).toEqual({
            origin,
            status: 204,
            allow: undefined,
          });
          const get = await inject(c, 'GET', '/health/live', { origin });
          expect([get.statusCode, get.headers['access-control-allow-origin']]).toEqual([200, undefined]);
        }
      });
    });
  });

  describe('compression', () => {
    it('an answer over 1 KiB is gzipped or brotli-compressed when accepted, and plain otherwise', async () => {
      const alice = user();
      const project = await t.project(await t.namespace(alice), alice);
      const members = Array.from({ length: 300 }, (_, i) => `clip:${String(i).padStart(6, '0')}`);
      expect((await t.post(`${project}/collections`, alice, { name: 'big', members })).status).toBe(201);
      const auth = { authorization: `Bearer ${tokenFor(alice)}` };
      const plain = await inject(t, 'GET', `${project}/collections/big`, auth);
      expect(plain.statusCode).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.rawPayload.length).toBeGreaterThan(1024);
      expect(plain.json().members).toEqual(members);
      for (const [encoding, decode] of [
        ['gzip', gunzipSync],
        ['br', brotliDecompressSync],
      ] as const) {
        const res = await inject(t, 'GET', `${project}/collections/big`, { ...auth, 'accept-encoding': encoding });
        expect({ status: res.statusCode, encoding: res.headers['content-encoding'], vary: res.headers.vary }).toEqual({
          status: 200,
          encoding,
          vary: expect.stringMatching(/accept-encoding/i),
        });
        expect(res.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
        expect(JSON.parse(decode(res.rawPayload).toString('utf8'))).toEqual(plain.json());
      }
    });

    it('a small answer is not compressed', async () => {
      const res = await inject(t, 'GET', '/health/live', { 'accept-encoding': 'gzip, br' });
      expect({ status: res.statusCode, encoding: res.headers['content-encoding'], body: res.body }).toEqual({
        status: 200,
        encoding: undefined,
        body: '{"status":"ok"}',
      });
    });
  });

  describe('/metrics', () => {
    it('needs no token and shows the latency histogram by route pattern and status, pool gauges and process metrics', async () => {
      const m = await TestApp.start();
      try {
        const alice = user();
        const slug = await m.namespace(alice);
        expect((await m.get(`/namespaces/${slug}`, alice)).status).toBe(200);
        expect((await m.get(`/namespaces/${slug}`, alice)).status).toBe(200);
        expect((await m.get(`/namespaces/ns-${uid()}`, alice)).status).toBe(404);
        const { status, contentType, lines, text } = await scrape(m);
        expect([status, contentType]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
        const count = (labels: string) =>
          lines.find((l) => l.startsWith(`http_request_duration_seconds_count{${labels}}`));
        expect(lines).toContain('# TYPE http_request_duration_seconds histogram');
        expect(count('method="GET",route="/namespaces/:slug",status="200"')).toBe(
          'http_request_duration_seconds_count{method="GET",route="/namespaces/:slug",status="200"} 2',
        );
        expect(count('method="GET",route="/namespaces/:slug",status="404"')).toBe(
          'http_request_duration_seconds_count{method="GET",route="/namespaces/:slug",status="404"} 1',
        );
        expect(count('method="POST",route="/namespaces",status="201"')).toBe(
          'http_request_duration_seconds_count{method="POST",route="/namespaces",status="201"} 1',
        );
        expect(lines).toContain(
          'http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/namespaces/:slug",status="200"} 2',
        );
        expect(lines).toContain('http_requests_total{method="GET",route="/namespaces/:slug",status="200"} 2');
        // The route pattern, never the concrete path.
        expect(text).not.toContain(slug);
        for (const gauge of ['db_pool_connections', 'db_pool_idle', 'db_pool_in_use', 'db_pool_waiting']) {
          expect(lines).toContain(`# TYPE ${gauge} gauge`);
          expect(lines.some((l) => new RegExp(`^${gauge} \\d+$`).test(l))).toBe(true);
        }
        expect(lines).toContain('# TYPE rate_limit_refusals_total counter');
        // The embedded engine's WebAssembly memory: 128 MiB at start, in 64 KiB pages; no such line on a server.
        const wasm = lines.filter((l) => l.startsWith('db_embedded_wasm_memory_bytes'));
        if (process.env.DATABASE_URL) {
          expect(wasm).toEqual([]);
        } else {
          expect(lines).toContain('# TYPE db_embedded_wasm_memory_bytes gauge');
          expect(wasm).toHaveLength(1);
          const bytes = Number(wasm[0].split(' ')[1]);
          expect([bytes >= 128 * 1024 * 1024, bytes % 65536]).toEqual([true, 0]);
        }
        expect(lines.some((l) => /^process_cpu_user_seconds_total \d/.test(l))).toBe(true);
        expect(lines.some((l) => /^process_resident_memory_bytes \d+$/.test(l))).toBe(true);
        expect(lines.some((l) => /^nodejs_eventloop_lag_seconds \d/.test(l))).toBe(true);
      } finally {
        await m.close();
      }
    });

    it('counts rate-limit refusals by limit', async () => {
      const r = await TestApp.start(testConfig({ RATE_LIMIT_PER_MINUTE: '2' }));
      try {
        const alice = user();
        const statuses = [];
        for (let i = 0; i < 3; i++) statuses.push((await r.send('get', '/me', { as: alice, statements: null })).status);
        expect(statuses).toEqual([200, 200, 429]);
        const { status, lines } = await scrape(r);
        expect(status).toBe(200);
        expect(lines).toContain('rate_limit_refusals_total{limit="caller"} 1');
      } finally {
        await r.close();
      }
    });

    it('METRICS=false → 404 in the contract error shape, with or without a token', async () => {
      const off = await TestApp.start(testConfig({ METRICS: 'false' }));
      try {
        for (const as of [null, user()]) {
          expect(await off.send('get', '/metrics', { as, statements: 0 })).toEqual({
            status: 404,
            body: error(404, 'Cannot GET /metrics'),
            statements: 0,
          });
        }
        // The rest of the service is unchanged.
        expect((await off.get('/me', user())).status).toBe(200);
      } finally {
        await off.close();
      }
    });
  });

  it('every 201 carries Location with the new resource path', async () => {
    const alice = user();
    const slug = `ns-${uid()}`;
    const created = async (path: string, body: object) => {
      const res = await t.exchange('post', path, { as: alice, body });
      expect(res.status).toBe(201);
      return res.headers.location;
    };
    expect(await created('/namespaces', { slug })).toBe(`/namespaces/${slug}`);
    // The project slug derived from its name is the one in Location.
    expect(await created(`/namespaces/${slug}/projects`, { name: 'Robotics Lab 2' })).toBe(
      `/namespaces/${slug}/projects/robotics-lab-2`,
    );
    const project = `/namespaces/${slug}/projects/robotics-lab-2`;
    expect(await created(`${project}/datasets`, { name: 'training-v2' })).toBe(`${project}/datasets/training-v2`);
    expect(await created(`${project}/collections`, { name: 'front_camera.clips', members: ['a'] })).toBe(
      `${project}/collections/front_camera.clips`,
    );
    // Each Location is where the resource is.
    for (const path of [
      `/namespaces/${slug}`,
      project,
      `${project}/datasets/training-v2`,
      `${project}/collections/front_camera.clips`,
    ]) {
      expect((await t.get(path, alice)).status).toBe(200);
    }
  });
});

describe('the built service (node dist/src/main.js)', () => {
  afterAll(() => removeTempDirs());

  it('LOG_FORMAT=json: one access line per request with method, route pattern, status, duration, requestId and sub; never the token', async () => {
    const env: Record<string, string> = {
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      JWT_SECRET: TEST_SECRET,
      DATABASE_URL: process.env.DATABASE_URL ?? 'memory://',
    };
    const service = await ServiceProcess.start(env);
    try {
      const alice = user();
      const token = tokenFor(alice);
      const slug = `ns-${uid()}`;
      const send = (method: string, path: string, id: string, body?: object, auth = token) =>
        fetch(`${service.base}${path}`, {
          method,
          headers: {
            'x-request-id': id,
            ...(auth ? { authorization: `Bearer ${auth}` } : {}),
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
        });
      expect((await send('POST', '/namespaces', 'log-create-1', { slug })).status).toBe(201);
      expect((await send('GET', `/namespaces/${slug}`, 'log-read-2')).status).toBe(200);
      expect((await send('GET', `/namespaces/ns-${uid()}`, 'log-miss-3')).status).toBe(404);
      expect((await send('GET', '/me', 'log-anon-4', undefined, '')).status).toBe(401);
      const access = async (id: string) => {
        for (let i = 0; i < 50; i++) {
          const line = service.logLines().find((l) => l.requestId === id && l.msg === 'request');
          if (line) return line;
          await new Promise((done) => setTimeout(done, 100));
        }
        throw new Error(`no access line for ${id} in:\n${service.stdout}`);
      };
      const line = (method: string, route: string, url: string, status: number, requestId: string, sub?: string) => ({
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        msg: 'request',
        requestId,
        method,
        route,
        url,
        status,
        durationMs: expect.any(Number),
        ...(sub === undefined ? {} : { sub }),
      });
      expect(await access('log-create-1')).toEqual(
        line('POST', '/namespaces', '/namespaces', 201, 'log-create-1', alice),
      );
      expect(await access('log-read-2')).toEqual(
        line('GET', '/namespaces/:slug', `/namespaces/${slug}`, 200, 'log-read-2', alice),
      );
      expect((await access('log-miss-3')).route).toBe('/namespaces/:slug');
      expect(await access('log-anon-4')).toEqual(line('GET', '/me', '/me', 401, 'log-anon-4'));
      expect(service.logLines().filter((l) => l.requestId === 'log-read-2')).toHaveLength(1);
      expect(service.stdout).not.toContain(token);
      expect(service.stdout).not.toContain(token.split('.')[2]);
    } finally {
      expect(await service.stop('SIGTERM')).toBe(0);
    }
  });

  it('start-up at info on a fresh embedded DATA_DIR prints at most 15 lines: address, docs, engine, migrations, dev token', async () => {
    const dataDir = tempDir('startup');
    const service = await ServiceProcess.start({ DATA_DIR: dataDir, LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    try {
      for (let i = 0; i < 50 && !/listening on .*\n[\s\S]*Try: curl/.test(service.stdout); i++) {
        await new Promise((done) => setTimeout(done, 100));
      }
      const lines = service.stdout.replace(/\n$/, '').split('\n');
      expect(lines.length).toBeLessThanOrEqual(15);
      expect(service.stderr).toBe('');
      const base = `http://localhost:${service.port}`;
      expect(service.stdout).toContain(`DreamLake catalog listening on ${base} (Swagger UI: ${base}/docs)`);
      // The token comes last, after the log lines before it (it goes through the logger's stream).
      expect(service.stdout.indexOf('Development token')).toBeGreaterThan(
        service.stdout.indexOf(`listening on ${base}`),
      );
      expect(service.stdout).toMatch(
        new RegExp(`embedded PostgreSQL \\(${dataDir}\\): applied migrations Foundation\\d+, [\\w, ]+`),
      );
      const token = /^ {2}(ey[\w-]+\.[\w-]+\.[\w-]+)$/m.exec(service.stdout)?.[1];
      expect(token).toEqual(expect.any(String));
      expect(service.stdout).toContain(`Try: curl -H "Authorization: Bearer ${token}" ${base}/me`);
      // The printed token works.
      const me = await fetch(`${service.base}/me`, { headers: { authorization: `Bearer ${token}` } });
      expect([me.status, ((await me.json()) as { sub: string }).sub]).toEqual([200, 'dev']);
      // No warnings or errors on a clean start, and Nest's route-mapping chatter is not at info.
      const levels = service.logLines().map((l) => l.level);
      expect(levels.filter((level) => level !== 'info')).toEqual([]);
      expect(service.stdout).not.toMatch(/Mapped \{|RouterExplorer|InstanceLoader/);
    } finally {
      expect(await service.stop('SIGTERM')).toBe(0);
    }
  });
});
