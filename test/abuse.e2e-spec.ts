import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { Database } from '#src/database/database.js';
import { answer, checkRequestId, testConfig, TestApp, tokenFor, uid, type Json } from './harness.js';
import { buildIfStale, killIfRunning, LISTENING, spawnService, type SpawnedService } from './service-process.js';

/*
 * Issue 7 (hardening), one test per row not already proven elsewhere; the row is in each name.
 * Rows proven by other files: 1 (service.e2e-spec: JSON nested deeper than 64 levels), 5's heavy
 * reads (streaming.e2e-spec), 6 (service.e2e-spec: refused before its body is read), 10 and 11
 * (auth.e2e-spec), 12 (service.e2e-spec: prototype keys, metadata keys), 13 (service.e2e-spec:
 * names and member ids), 14 (service.e2e-spec: not application/json → 415), 16's shutdown
 * (lifecycle.e2e-spec). Apps with other settings run one after the other in their own blocks.
 */

const user = (): string => `u-${uid()}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What a test sent over a raw socket got back, and when the connection closed. */
interface RawExchange {
  socket: Socket;
  /** Everything received, resolved when the connection closes. */
  closed: Promise<{ text: string; at: number }>;
}

function rawConnection(port: number): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const closed = new Promise<{ text: string; at: number }>((done) => {
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      socket.on('error', () => undefined); // a reset after the answer is a close like any other
      socket.on('close', () => done({ text, at: Date.now() }));
    });
    socket.once('error', reject);
    socket.once('connect', () => resolve({ socket, closed }));
  });
}

/** Status line, lower-cased headers and the JSON body of one raw HTTP answer. */
function parseAnswer(text: string): { status: string; headers: Record<string, string>; body: Json } {
  const [head, ...rest] = text.split('\r\n\r\n');
  const [status, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status, headers, body: JSON.parse(rest.join('\r\n\r\n')) as Json };
}

describe('issue 7 rows 1, 9, 13 and 16 on the default settings', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  const deepArray = (depth: number, leaf = '"x"'): string => '['.repeat(depth) + leaf + ']'.repeat(depth);

  it('row 1: JSON nested 1,000,000 levels deep on the 8 MiB id-list routes, and 5,000 levels in PATCH and PUT bodies → 400 before the database', async () => {
    const alice = user();
    const slug = await t.namespace(alice);
    const project = await t.project(slug, alice);
    expect((await t.post(`${project}/collections`, alice, { name: 'c' })).status).toBe(201);
    expect((await t.post(`${project}/datasets`, alice, { name: 'd' })).status).toBe(201);
    const deep = answer(400, ['The request body is nested deeper than 64 levels']);
    const cases: ['post' | 'patch' | 'put' | 'delete', string, string][] = [
      ['post', `${project}/collections/c/members`, `{"add":${deepArray(1_000_000)}}`],
      ['delete', `${project}/collections/c/members`, `{"remove":${deepArray(1_000_000)}}`],
      ['post', `${project}/collections`, `{"name":"c2","members":${deepArray(1_000_000)}}`],
      ['post', `${project}/datasets/d/collections`, `{"add":${deepArray(1_000_000)}}`],
      ['patch', `/namespaces/${slug}`, `{"metadata":{"a":${deepArray(5000)}}}`],
      ['patch', project, `{"tags":${deepArray(5000)}}`],
      ['patch', `${project}/datasets/d`, `{"metadata":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`],
      ['patch', `${project}/collections/c`, `{"description":${deepArray(5000)}}`],
      ['put', `/namespaces/${slug}/members/${user()}`, `{"role":${deepArray(5000)}}`],
    ];
    for (const [method, path, raw] of cases) {
      expect({ method, path, ...(await t.send(method, path, { as: alice, raw })) }).toEqual({
        method,
        path,
        ...deep,
        statements: 0,
      });
    }
    // Nothing changed.
    expect((await t.get(`${project}/collections/c`, alice)).body).toMatchObject({ members: [], memberCount: 0 });
    expect((await t.get(`${project}/collections/c2`, alice)).status).toBe(404);
  });

  it('row 9: a refused PATCH writes nothing: the row keeps its version; refused by role, visibility or If-Match it uses no transaction id either', async () => {
    const db = t.app.get(Database);
    const alice = user();
    const reader = user();
    const slug = await t.namespace(alice, { [reader]: 'reader' });
    const other = await t.namespace(alice);
    /** The row version (xmin) of the namespace: any UPDATE that touched the row changes it. */
    const version = async (): Promise<string> =>
      (await db.maintenance<{ v: string }>('SELECT xmin::text AS v FROM namespace WHERE slug = $1', [slug]))[0].v;
    /**
     * The next transaction id: only a transaction that wrote advances it, and the embedded engine's
     * maintenance reads it to decide whether to VACUUM. On a server it is shared with every other
     * database of the cluster (other tests write there), so it is compared on the embedded engine only.
     */
    const nextXid = async (): Promise<string> =>
      (await db.maintenance<{ x: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x'))[0].x;

    const rowBefore = await version();
    const xidBefore = await nextXid();
    // Refused by the statement itself (role, visibility, If-Match): no row is touched, no write begins.
    const refused = [
      await t.patch(`/namespaces/${slug}`, reader, { description: 'reader may not' }),
      await t.patch(`/namespaces/${slug}`, user(), { description: 'stranger' }),
      await t.send('patch', `/namespaces/${slug}`, {
        as: alice,
        body: { description: 'stale' },
        headers: { 'If-Match': '"00000000000000000000000000000000"' },
      }),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 404, 412]);
    expect(await version()).toBe(rowBefore);
    if (db.kind === 'embedded') expect(await nextXid()).toBe(xidBefore);
    // Refused by the unique index (409): the write is rolled back, the row keeps its version.
    expect((await t.patch(`/namespaces/${slug}`, alice, { slug: other })).status).toBe(409);
    expect(await version()).toBe(rowBefore);
    expect((await t.get(`/namespaces/${slug}`, alice)).body.description).toBeNull();

    // The control: a PATCH that changes the row does both.
    expect((await t.patch(`/namespaces/${slug}`, alice, { description: 'changed' })).status).toBe(200);
    expect(await version()).not.toBe(rowBefore);
    if (db.kind === 'embedded') expect(await nextXid()).not.toBe(xidBefore);
  });

  it('row 13: namespace and project display names made of a bidi override or zero-width character alone, on create and PATCH → 400, nothing stored', async () => {
    const alice = user();
    const slug = await t.namespace(alice);
    const project = await t.project(slug, alice);
    const bad = answer(400, ['name must not contain control, zero-width or bidi-override characters']);
    for (const name of ['\u202e', '\u200b', '\u2067', 'acme\u202d', '\u200d\u200c']) {
      const created = `ns-${uid()}`;
      expect(await t.post('/namespaces', alice, { slug: created, name })).toEqual({ ...bad, statements: 0 });
      expect((await t.get(`/namespaces/${created}`, alice)).status).toBe(404);
      expect(await t.patch(`/namespaces/${slug}`, alice, { name })).toEqual({ ...bad, statements: 0 });
      expect(await t.patch(project, alice, { name })).toEqual({ ...bad, statements: 0 });
    }
    expect((await t.get(`/namespaces/${slug}`, alice)).body.name).toBe(slug);
    expect((await t.get(project, alice)).body.name).toBe(project.split('/').at(-1));
  });

  it('row 16: a value the database refuses (a data exception, SQLSTATE class 22) → 400 without the SQLSTATE or any SQL', async () => {
    const db = t.app.get(Database);
    const alice = user();
    const slug = await t.namespace(alice);
    const project = await t.project(slug, alice);
    expect((await t.post(`${project}/datasets`, alice, { name: 'd' })).status).toBe(201);
    // The database itself raises 22P02 (invalid input syntax for type uuid): the statement's
    // uuid parameter is swapped for text no uuid column takes, as a client value once could.
    const swap = (_sql: string, params: unknown[]): void => {
      const at = params.findIndex((p) => typeof p === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-/.test(p));
      if (at >= 0) params[at] = 'not-a-uuid';
    };
    const dataset = (await t.get(`${project}/datasets/d`, alice)).body as Json;
    db.onStatement = swap;
    try {
      const res = await t.send('post', `${project}/collections`, {
        as: alice,
        body: { name: 'c', datasetId: dataset.id },
        statements: 1,
      });
      expect(res).toEqual({
        ...answer(400, ['The request holds a value the database cannot store']),
        statements: 1,
      });
      expect(JSON.stringify(res.body)).not.toMatch(/22P02|SQLSTATE|uuid|syntax/i);
    } finally {
      db.onStatement = null;
    }
    expect((await t.get(`${project}/collections/c`, alice)).status).toBe(404);
  });
});

describe('issue 7 row 5: rate limits (RATE_LIMIT_PER_MINUTE=5, per address 50)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await TestApp.start(testConfig({ RATE_LIMIT_PER_MINUTE: '5' }));
  });
  afterEach(async () => {
    await t.close();
  });

  const get = (path: string, token?: string) => {
    let req = request(t.app.getHttpServer()).get(path);
    if (token) req = req.set('Authorization', `Bearer ${token}`);
    return req.then((res) => {
      checkRequestId(res);
      return res;
    });
  };

  it('row 5: a flooding caller gets 429 with Retry-After and RateLimit-* beyond its limit, while another caller keeps getting 200', async () => {
    const flooder = tokenFor(user());
    const bystander = tokenFor(user());
    // Sequentially first: the headers count down on normal answers.
    for (let i = 0; i < 3; i++) {
      const res = await get('/me', flooder);
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-limit']).toBe('5');
      expect(res.headers['ratelimit-remaining']).toBe(String(4 - i));
      expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThan(0);
      expect(Number(res.headers['ratelimit-reset'])).toBeLessThanOrEqual(60);
    }
    // Then a parallel flood of 12 by the same caller, and the bystander's 4 in between.
    const flood = Array.from({ length: 12 }, () => get('/me', flooder));
    const others = Array.from({ length: 4 }, () => get('/me', bystander));
    const [flooded, served] = await Promise.all([Promise.all(flood), Promise.all(others)]);
    expect(flooded.map((r) => r.status).sort()).toEqual([200, 200, ...Array(10).fill(429)]);
    for (const res of flooded.filter((r) => r.status === 429)) {
      const seconds = Number(res.headers['retry-after']);
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(60);
      expect(res.body).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: `Too many requests; retry in ${seconds} s`,
      });
      expect(res.headers['ratelimit-limit']).toBe('5');
      expect(res.headers['ratelimit-remaining']).toBe('0');
      expect(Number(res.headers['ratelimit-reset'])).toBe(seconds);
    }
    expect(served.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(served.map((r) => r.headers['ratelimit-remaining']).sort()).toEqual(['1', '2', '3', '4']);
    // Probes are never limited.
    expect((await get('/health/live')).status).toBe(200);
  });

  it('row 5: unauthenticated requests from an address get 10× the limit (50), then 429; a valid token there is not counted nor refused by it (issue 21 row 8); probes still answer', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await get('/me')).status);
    expect(statuses).toEqual(Array(50).fill(401));
    const refused = await get('/me');
    expect(refused.status).toBe(429);
    const seconds = Number(refused.headers['retry-after']);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(refused.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `Too many requests; retry in ${seconds} s`,
    });
    expect([refused.headers['ratelimit-limit'], refused.headers['ratelimit-remaining']]).toEqual(['50', '0']);
    expect((await get('/me', 'garbage.token.here')).status).toBe(429);
    // Issue 21 row 8: the address limit counts only what is not authenticated, so a fresh valid
    // caller at the same address (a balancer's, a NAT's) is served, limited per caller.
    const fresh = await get('/me', tokenFor(user()));
    expect([fresh.status, fresh.headers['ratelimit-limit'], fresh.headers['ratelimit-remaining']]).toEqual([
      200,
      '5',
      '4',
    ]);
    expect((await get('/health/ready')).status).toBe(200);
  });

  /** 51 requests without a token from `from` (X-Forwarded-For), then the status one more from `then` gets. */
  async function floodThenAsk(from: string, then: string): Promise<number[]> {
    const send = (address: string) =>
      request(t.app.getHttpServer())
        .get('/me')
        .set('X-Forwarded-For', address)
        .then((res) => res.status);
    const statuses: number[] = [];
    for (let i = 0; i < 51; i++) statuses.push(await send(from));
    return [...new Set(statuses), await send(then)];
  }

  it('issue 21 row 8: without TRUST_PROXY, X-Forwarded-For is ignored: every client of one peer address shares its limit', async () => {
    expect(await floodThenAsk('203.0.113.1', '203.0.113.2')).toEqual([401, 429, 429]);
  });

  it('issue 21 row 8: with TRUST_PROXY naming the balancer, each forwarded client address has its own limit', async () => {
    await t.close();
    t = await TestApp.start(testConfig({ RATE_LIMIT_PER_MINUTE: '5', TRUST_PROXY: '127.0.0.1,::1' }));
    expect(await floodThenAsk('203.0.113.1', '203.0.113.2')).toEqual([401, 429, 401]);
    await t.close();
    t = await TestApp.start(testConfig({ RATE_LIMIT_PER_MINUTE: '5', TRUST_PROXY: '1' }));
    expect(await floodThenAsk('203.0.113.3', '203.0.113.4')).toEqual([401, 429, 401]);
  });
});

describe('issue 7 row 7: slow clients (REQUEST_TIMEOUT_MS=1500)', () => {
  const TIMEOUT = 1500;
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await TestApp.start(testConfig({ REQUEST_TIMEOUT_MS: String(TIMEOUT) }));
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as { port: number }).port;
  });
  afterAll(async () => {
    await t.close();
  });

  /** Sends `head`, then one byte of `trickle` a second until the connection closes; the answer and how long it took. */
  async function trickle(head: string, body = ''): Promise<{ text: string; ms: number }> {
    const started = Date.now();
    const { socket, closed } = await rawConnection(port);
    socket.write(head);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < body.length && !socket.destroyed) socket.write(body[sent++]);
    }, 1000);
    try {
      const { text, at } = await closed;
      return { text, ms: at - started };
    } finally {
      clearInterval(timer);
    }
  }

  const timedOut = {
    statusCode: 408,
    error: 'Request Timeout',
    message: `The request did not arrive within ${TIMEOUT} ms (REQUEST_TIMEOUT_MS)`,
  };

  it('row 7: a body trickled one byte a second after the headers → 408 in the contract shape, connection closed', async () => {
    const body = JSON.stringify({ slug: `ns-${uid()}`, description: 'x'.repeat(60) });
    const { text, ms } = await trickle(
      `POST /namespaces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokenFor(user())}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nX-Request-Id: slow-body-1\r\n\r\n`,
      body,
    );
    const res = parseAnswer(text);
    expect(res.status).toBe('HTTP/1.1 408 Request Timeout');
    expect(res.headers['x-request-id']).toBe('slow-body-1');
    expect(res.headers['connection']).toBe('close');
    expect(res.body).toEqual({ ...timedOut, requestId: 'slow-body-1' });
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT - 100);
    expect(ms).toBeLessThan(TIMEOUT * 10);
  });

  it('row 7: the same trickle without a token → 401 at once (the body is never waited for), connection closed', async () => {
    const body = JSON.stringify({ slug: `ns-${uid()}`, description: 'x'.repeat(60) });
    const { text, ms } = await trickle(
      `POST /namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nX-Request-Id: slow-body-2\r\n\r\n`,
      body,
    );
    const res = parseAnswer(text);
    expect(res.status).toBe('HTTP/1.1 401 Unauthorized');
    expect(res.headers['connection']).toBe('close');
    // One answer, not a 401 followed by a 408 for the body nobody wanted.
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Missing bearer token (Authorization: Bearer <JWT>)',
      requestId: 'slow-body-2',
    });
    expect(ms).toBeLessThan(TIMEOUT * 10);
  });

  it('row 7: headers that stop half-way → 408 in the contract shape, connection closed', async () => {
    const { text, ms } = await trickle(`POST /namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: appli`);
    const res = parseAnswer(text);
    expect(res.status).toBe('HTTP/1.1 408 Request Timeout');
    expect(res.headers['connection']).toBe('close');
    expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    expect(res.body).toEqual({ ...timedOut, requestId: res.headers['x-request-id'] });
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT - 100);
    expect(ms).toBeLessThan(TIMEOUT * 10);
  });

  it('row 7: headers trickled one byte a second → 408, connection closed', async () => {
    const head = `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(40)}\r\n\r\n`;
    const { text, ms } = await trickle('G', head.slice(1));
    const res = parseAnswer(text);
    expect(res.status).toBe('HTTP/1.1 408 Request Timeout');
    expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    expect(res.body).toEqual({ ...timedOut, requestId: res.headers['x-request-id'] });
    expect(ms).toBeLessThan(TIMEOUT * 10);
  });

  it('row 7: a request that arrives in time is answered normally on the same settings', async () => {
    const alice = user();
    expect((await t.post('/namespaces', alice, { slug: `ns-${uid()}` })).status).toBe(201);
  });
});

describe('issue 7 rows 8, 10 and 15: the built service as a process', () => {
  let service: SpawnedService | undefined;
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'dreamlake-abuse-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(() => {
    buildIfStale();
  }, 180_000);
  afterEach(() => {
    killIfRunning(service);
    service = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('row 15: JWT_SECRET set, DATABASE_URL unset and a DATA_DIR that does not exist yet → starts, creates it, takes the lock, answers', async () => {
    const dataDir = join(tempDir(), 'not', 'there', 'yet');
    expect(existsSync(dataDir)).toBe(false);
    service = await spawnService({ DATA_DIR: dataDir });
    await service.waitFor(LISTENING, 90_000);
    expect(readFileSync(join(dataDir, 'service.pid'), 'utf8').trim()).toBe(String(service.child.pid));
    expect(service.output()).not.toMatch(/ENOENT|Cannot use the database/);
    const res = await fetch(`${service.base}/namespaces`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokenFor('row-15')}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ slug: 'row-15' }),
    });
    expect(res.status).toBe(201);
    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dataDir, 'service.pid'))).toBe(false);
  }, 150_000);

  it('row 10: JWT_PUBLIC_KEY without JWT_ISSUER or JWT_AUDIENCE → refuses to start (exit 1), saying why', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    service = await spawnService({
      DATABASE_URL: 'memory://',
      JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    expect(await service.exited).toEqual({ code: 1, signal: null });
    expect(service.output().trim()).toBe(
      'Configuration error: JWT_PUBLIC_KEY needs JWT_ISSUER or JWT_AUDIENCE (or both), so tokens your identity provider issued for other services are refused.',
    );
  }, 150_000);

  it('row 8: clients that go away mid-body, mid-answer or while queued are not logged as "database unreachable" (nor as errors)', async () => {
    const server = process.env.DATABASE_URL;
    service = await spawnService({
      ...(server ? { DATABASE_URL: server } : { DATABASE_URL: 'memory://' }),
      LOG_LEVEL: 'debug',
      HEAVY_READS: '1',
    });
    await service.waitFor(LISTENING, 90_000);
    const owner = `row8-${uid()}`;
    const auth = { Authorization: `Bearer ${tokenFor(owner)}`, 'Content-Type': 'application/json' };
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${service!.base}${path}`, {
        method,
        headers: auth,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const slug = `ns-${uid()}`;
    expect((await call('POST', '/namespaces', { slug })).status).toBe(201);
    const project = `/namespaces/${slug}/projects/p`;
    expect((await call('POST', `/namespaces/${slug}/projects`, { name: 'p' })).status).toBe(201);
    const ids = Array.from({ length: 60_000 }, (_, i) => `episode-${i}`);
    expect((await call('POST', `${project}/collections`, { name: 'big', members: ids })).status).toBe(201);

    // 1. A body that stops half-way, then the client hangs up (the old ECONNRESET).
    for (let i = 0; i < 5; i++) {
      const { socket, closed } = await rawConnection(service.port);
      socket.write(
        `POST ${project}/collections/big/members HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.Authorization}\r\n` +
          `Content-Type: application/json\r\nContent-Length: 100000\r\nX-Request-Id: abort-body-${i}\r\n\r\n{"add":["a",`,
      );
      await sleep(100);
      socket.resetAndDestroy();
      await closed;
    }
    // 2. Big answers abandoned after their first bytes, while others wait for the one heavy slot.
    for (let i = 0; i < 3; i++) {
      const readers = Array.from({ length: 3 }, async (_, j) => {
        const { socket, closed } = await rawConnection(service!.port);
        socket.write(
          `GET ${project}/collections/big HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.Authorization}\r\n` +
            `X-Request-Id: abort-read-${i}-${j}\r\n\r\n`,
        );
        socket.once('data', () => socket.resetAndDestroy());
        setTimeout(() => socket.resetAndDestroy(), 200 + 100 * j); // the queued ones give up too
        await closed;
      });
      await Promise.all(readers);
    }
    await sleep(500);
    // The service is fine afterwards, and whole reads still work.
    const read = await call('GET', `${project}/collections/big`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as Json).memberCount).toBe(60_000);

    const lines = service.logLines();
    // The log was captured (the control): the aborted requests' ids are in it.
    expect(lines.some((line) => String(line.requestId).startsWith('abort-'))).toBe(true);
    const alarming = lines.filter(
      (line) =>
        /database unreachable|database unavailable/i.test(String(line.msg)) ||
        line.level === 'error' ||
        line.level === 'fatal' ||
        (typeof line.status === 'number' && line.status >= 500),
    );
    expect(alarming).toEqual([]);
  }, 150_000);
});
