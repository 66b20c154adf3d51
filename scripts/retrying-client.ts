import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';

/*
 * `npm run demo:retry`: a client that retries its writes safely, and a demonstration that it does.
 *
 * Every logical write gets one Idempotency-Key, generated once and sent again on each retry. A
 * write is retried on a network error (connection reset, refused, timed out), on 409 "still in
 * progress" (the first attempt with that key is still running), on 408, 429 and 5xx, with
 * exponential backoff and jitter. The requests go through a small TCP proxy that breaks a share of
 * the connections (--drop): before the request reaches the service, while it runs, or after the
 * service answered (the change is made, the answer is lost: the case a retry without a key turns
 * into a duplicate). At the end the client reads the service directly and checks there is no
 * duplicate: one collection per name, the member count equal to the distinct ids sent and to the
 * sum of the `added` answers.
 *
 *   --url URL --token JWT   use a running service (the token may come from DREAMLAKE_TOKEN);
 *                           without --url the demo starts the built service on a throw-away
 *                           embedded database (memory://) and signs its own token
 *   --drop 0.3              share of connections the proxy breaks (0–0.9)
 *   --seed N                the proxy's random choices (printed, so a run can be repeated)
 *   --collections 5  --batches 12   how many collections to create, member batches to add
 *   --json                  a last line with the summary as JSON (for tests)
 *
 * Exit code 0 when every write succeeded and nothing is duplicated, 1 otherwise.
 */

type Fate = 'pass' | 'before' | 'during' | 'after';

interface Attempted {
  status: number;
  body: Record<string, unknown>;
  replayed: boolean;
  attempts: number;
  errors: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** A small seeded PRNG (mulberry32), so a run's broken connections can be repeated with --seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A TCP proxy in front of the service that breaks a share of its connections: `before` closes the
 * client's connection once the request starts arriving (the service never sees it); `during`
 * forwards the request and cuts both sides a moment later (the service may or may not have run
 * it); `after` forwards the request and cuts both sides when the answer starts (the service ran it,
 * the client never hears).
 */
class BreakingProxy {
  readonly broken: Record<Exclude<Fate, 'pass'>, number> = { before: 0, during: 0, after: 0 };
  private server: Server;
  private readonly next: () => number;
  private readonly delay: () => number;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly drop: number,
    seed: number,
  ) {
    // Fates from one sequence, delays from another: a seed gives the same fates in the same order.
    this.next = random(seed);
    this.delay = random(seed ^ 0x9e3779b9);
    this.server = createServer((client) => this.handle(client));
  }

  listen(): Promise<number> {
    return new Promise((done) =>
      this.server.listen(0, '127.0.0.1', () => done((this.server.address() as AddressInfo).port)),
    );
  }

  close(): Promise<void> {
    return new Promise((done) => this.server.close(() => done()));
  }

  private fate(): Fate {
    const roll = this.next();
    if (roll >= this.drop) return 'pass';
    const kinds: Fate[] = ['before', 'during', 'after'];
    return kinds[Math.floor((roll / this.drop) * kinds.length)];
  }

  private handle(client: Socket): void {
    const fate = this.fate();
    client.on('error', () => undefined);
    if (fate === 'before') {
      client.once('data', () => {
        this.broken.before++;
        client.destroy();
      });
      return;
    }
    const upstream = createConnection(this.target);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      upstream.write(chunk);
      if (fate === 'during') {
        // Once the request (one small write here) has gone on, cut after 0–5 ms.
        setTimeout(
          () => {
            if (!client.destroyed) {
              this.broken.during++;
              cut();
            }
          },
          Math.floor(this.delay() * 6),
        );
      }
    });
    upstream.on('data', (chunk) => {
      if (fate === 'after') {
        this.broken.after++;
        cut();
        return;
      }
      client.write(chunk);
    });
    upstream.on('end', () => client.end());
  }
}

/** Retries a keyed write until it gets an answer that is not worth retrying. */
class RetryingClient {
  attempts = 0;

  constructor(
    private readonly base: URL,
    private readonly token: string,
    private readonly maxAttempts = 12,
  ) {}

  /** One attempt: a new connection each time (agent: false), so a broken one is never reused. */
  private once(
    method: string,
    path: string,
    body: unknown,
    key?: string,
  ): Promise<Omit<Attempted, 'attempts' | 'errors'>> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((done, fail) => {
      const req = httpRequest(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: false,
          timeout: 10_000,
          headers: {
            authorization: `Bearer ${this.token}`,
            connection: 'close',
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
            ...(key === undefined ? {} : { 'idempotency-key': key }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.on('end', () => {
            if (!res.complete) return fail(new Error('answer cut short'));
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              done({
                status: res.statusCode ?? 0,
                body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
                replayed: res.headers['idempotent-replayed'] === 'true',
              });
            } catch {
              fail(new Error('answer is not JSON (cut short?)'));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', fail);
      req.end(payload);
    });
  }

  /** A write with its own Idempotency-Key, generated here once and sent on every retry. */
  async write(method: string, path: string, body: unknown): Promise<Attempted> {
    const key = randomUUID();
    const errors: string[] = [];
    for (let attempt = 1; ; attempt++) {
      this.attempts++;
      let why: string;
      try {
        const answer = await this.once(method, path, body, key);
        const stillRunning = answer.status === 409 && /still in progress/i.test(String(answer.body.message));
        if (!stillRunning && ![408, 429].includes(answer.status) && answer.status < 500) {
          return { ...answer, attempts: attempt, errors };
        }
        why = stillRunning ? '409 still in progress' : String(answer.status);
      } catch (error) {
        why = (error as { code?: string }).code ?? (error as Error).message;
      }
      errors.push(why);
      if (attempt >= this.maxAttempts)
        throw new Error(`${method} ${path}: gave up after ${attempt} attempts (${errors.join(', ')})`);
      // Exponential backoff with full jitter: 0–50 ms, 0–100 ms, … up to 0–2 s.
      await sleep(Math.random() * Math.min(2000, 50 * 2 ** (attempt - 1)));
    }
  }

  /** A read straight from the service (not through the proxy). */
  read(path: string): Promise<Omit<Attempted, 'attempts' | 'errors'>> {
    return this.once('GET', path, undefined);
  }
}

/** The built service on a throw-away embedded database, for the demo without --url. */
async function startService(): Promise<{ base: URL; token: string; child: ChildProcess }> {
  const secret = randomBytes(32).toString('hex');
  const port = await new Promise<number>((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => done(free));
    });
  });
  const main = fileURLToPath(new URL('../src/main.js', import.meta.url));
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      DATABASE_URL: 'memory://',
      JWT_SECRET: secret,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // However this process ends (an error, a closed stdout), the service goes with it.
  process.once('exit', () => child.kill('SIGTERM'));
  const base = new URL(`http://127.0.0.1:${port}`);
  for (const deadline = Date.now() + 60_000; ;) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode}`);
    const ready = await fetch(new URL('/health/ready', base)).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error('the service did not get ready in 60 s');
    await sleep(100);
  }
  const token = jwt.sign({ sub: 'retry-demo', username: 'retry-demo' }, secret, {
    algorithm: 'HS256',
    expiresIn: '1h',
  });
  return { base, token, child };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      drop: { type: 'string', default: '0.3' },
      seed: { type: 'string' },
      collections: { type: 'string', default: '5' },
      batches: { type: 'string', default: '12' },
      json: { type: 'boolean', default: false },
    },
  });
  const drop = Number(values.drop);
  const seed = values.seed === undefined ? randomBytes(4).readUInt32BE() : Number(values.seed);
  const collections = Number(values.collections);
  const batches = Number(values.batches);
  if (!(drop >= 0 && drop <= 0.9) || !Number.isInteger(seed) || !(collections >= 1) || !(batches >= 1)) {
    console.error(
      'Usage: retrying-client [--url URL --token JWT] [--drop 0-0.9] [--seed N] [--collections N] [--batches N] [--json]',
    );
    return 2;
  }

  let service: { base: URL; token: string; child?: ChildProcess };
  if (values.url) {
    const token = values.token ?? process.env.DREAMLAKE_TOKEN;
    if (!token) {
      console.error('--url needs --token (or DREAMLAKE_TOKEN): a bearer token the service accepts.');
      return 2;
    }
    service = { base: new URL(values.url), token };
  } else {
    service = await startService();
  }

  const proxy = new BreakingProxy({ host: service.base.hostname, port: Number(service.base.port) }, drop, seed);
  const proxied = new URL(`http://127.0.0.1:${await proxy.listen()}`);
  const client = new RetryingClient(proxied, service.token);
  const direct = new RetryingClient(service.base, service.token);
  const log = (line: string): void => console.log(line);
  log(
    `Retrying client → ${service.base.origin} through a proxy breaking ${Math.round(drop * 100)}% of connections (seed ${seed})`,
  );

  let replayed = 0;
  let failed = 0;
  const write = async (
    what: string,
    path: string,
    body: unknown,
    expected: number,
  ): Promise<Record<string, unknown>> => {
    const answer = await client.write('POST', path, body);
    if (answer.replayed) replayed++;
    const ok = answer.status === expected;
    if (!ok) failed++;
    const retries = answer.errors.length > 0 ? `after ${answer.errors.join(', ')}` : 'first try';
    log(
      `  ${what.padEnd(34)} ${answer.status}${answer.replayed ? ' replayed' : '         '}  ${retries}${ok ? '' : `  UNEXPECTED: ${JSON.stringify(answer.body)}`}`,
    );
    return answer.body;
  };

  let summary: Record<string, unknown> = {};
  let ok = false;
  try {
    const slug = `retry-${randomBytes(4).toString('hex')}`;
    await write(`create namespace ${slug}`, '/namespaces', { slug }, 201);
    const project = `/namespaces/${slug}/projects/demo`;
    await write('create project demo', `/namespaces/${slug}/projects`, { name: 'Demo', slug: 'demo' }, 201);
    await write('create dataset runs', `${project}/datasets`, { name: 'runs' }, 201);
    const names = Array.from({ length: collections }, (_, i) => `clips-${i + 1}`);
    for (const name of names) {
      await write(`create collection ${name}`, `${project}/collections`, { name, members: [`${name}:seed`] }, 201);
    }
    await write('create collection pool', `${project}/collections`, { name: 'pool' }, 201);
    // Batches of 15 ids, each overlapping the previous one by 5: `added` counts only new ids.
    const sent = new Set<string>();
    let addedSum = 0;
    for (let b = 0; b < batches; b++) {
      const ids = Array.from({ length: 15 }, (_, j) => `node-${String(b * 10 + j).padStart(4, '0')}`);
      ids.forEach((id) => sent.add(id));
      const body = await write(
        `add 15 members (batch ${b + 1})`,
        `${project}/collections/pool/members`,
        { add: ids },
        200,
      );
      addedSum += Number(body.added);
    }
    await write('link collections to runs', `${project}/datasets/runs/collections`, { add: names }, 200);

    // Checked on the service itself, not through the proxy.
    const list = await direct.read(`${project}/collections?pageSize=200&sort=name`);
    const listed = (list.body.collections as { name: string }[]).map((c) => c.name);
    const pool = await direct.read(`${project}/collections/pool?members=false`);
    const dataset = await direct.read(`${project}/datasets/runs`);
    const memberCount = Number(pool.body.memberCount);
    const expectedNames = [...names, 'pool'].sort();
    const oneEach =
      JSON.stringify(listed) === JSON.stringify(expectedNames) && list.body.total === expectedNames.length;
    const linked = (dataset.body.collections as unknown[]).length;
    ok = failed === 0 && oneEach && memberCount === sent.size && addedSum === sent.size && linked === collections;
    summary = {
      ok,
      seed,
      operations: 5 + collections + batches,
      attempts: client.attempts,
      broken: proxy.broken,
      replayed,
      failed,
      project,
      collections: { listed: listed.length, expected: expectedNames.length, oneEach },
      members: { distinctSent: sent.size, memberCount, addedSum },
      linked,
    };
    const broken = proxy.broken;
    log(
      `${5 + collections + batches} writes in ${client.attempts} attempts; connections broken: ${broken.before} before the request, ` +
        `${broken.during} while it ran, ${broken.after} after the answer; ${replayed} answers replayed from their key.`,
    );
    log(`Collections: ${listed.length} listed, one per name: ${oneEach ? 'yes' : 'NO'} (${listed.join(', ')})`);
    log(`Members of pool: ${memberCount}; distinct ids sent: ${sent.size}; sum of 'added' answers: ${addedSum}`);
    log(ok ? 'No duplicate: every write took effect exactly once.' : 'DUPLICATE OR MISSING WRITE: see above.');
  } finally {
    await proxy.close();
    service.child?.kill('SIGTERM');
  }
  if (values.json) log(JSON.stringify(summary));
  return ok ? 0 : 1;
}

// Output piped into `head` that closes early: stop quietly (the exit handler stops the service).
process.stdout.on('error', () => process.exit(1));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  },
);
