import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { signToken } from '#src/auth/tokens.js';

/** The compiled benchmark children live beside this file (dist/scripts/bench/). */
export const childScript = (name: 'service-child' | 'bare-child' | 'load-child'): string =>
  join(dirname(fileURLToPath(import.meta.url)), `${name}.js`);

/** The HS256 key the service under test is started with; the benchmark signs its tokens with it. */
export const BENCH_SECRET = 'dreamlake-bench-secret-not-for-production';

/** A token for `sub`, valid long enough for any run. */
export function tokenFor(sub: string): string {
  const jwt = { secret: BENCH_SECRET, publicKey: null, issuer: null, audience: null, maxAgeSeconds: null };
  return signToken(jwt, { sub, username: sub }, '12h');
}

export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`);
  return value;
}

export function envFlag(name: string, argvFlag?: string): boolean {
  if (argvFlag !== undefined && process.argv.includes(argvFlag)) return true;
  return ['1', 'true', 'yes', 'on'].includes((process.env[name] ?? '').toLowerCase());
}

/** Where the benchmark creates its own databases: the local PostgreSQL server, as user postgres. */
export const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The admin URL with another database name. */
export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const quoteIdent = (name: string): string => {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  return `"${name}"`;
};

export const createDatabase = (name: string): Promise<void> =>
  admin(async (client) => void (await client.query(`CREATE DATABASE ${quoteIdent(name)}`)));

export const dropDatabase = (name: string): Promise<void> =>
  admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`)));

export const databaseExists = (name: string): Promise<boolean> =>
  admin(async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);

/** The database a benchmark runs on, and how to clean up after it. */
export type BenchDatabase =
  | { kind: 'server'; url: string; label: string; cleanup: () => Promise<void> }
  | { kind: 'embedded'; dataDir: string; label: string; cleanup: () => Promise<void> };

/**
 * BENCH_DATABASE_URL or DATABASE_URL: `memory://` means the embedded engine (in a throw-away
 * DATA_DIR, since the service and the bare server are separate processes and cannot share an
 * in-memory database), a postgres:// URL that server database as it is; unset, a fresh database
 * `<prefix>_<time>` on the local server, dropped at the end.
 */
export async function benchDatabase(prefix: string): Promise<BenchDatabase> {
  const url = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL;
  if (url === 'memory://') {
    const dataDir = mkdtempSync(join(tmpdir(), `${prefix}-embedded-`));
    return {
      kind: 'embedded',
      dataDir,
      label: 'embedded PostgreSQL (PGlite)',
      cleanup: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
    };
  }
  if (url) return { kind: 'server', url, label: 'PostgreSQL server (given URL)', cleanup: () => Promise.resolve() };
  const name = `${prefix}_${Date.now().toString(36)}`;
  await createDatabase(name);
  return {
    kind: 'server',
    url: databaseUrl(name),
    label: `PostgreSQL server (fresh database ${name})`,
    cleanup: () => dropDatabase(name),
  };
}

/** The environment the service child starts with: production-like, no rate limit, the bench key. */
export function serviceEnv(
  db: BenchDatabase,
  port: number,
  poolSize: number,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    JWT_SECRET: BENCH_SECRET,
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    LOG_FORMAT: 'json',
    DB_POOL_SIZE: String(poolSize),
    ...extra,
  };
  delete env.DATABASE_URL;
  delete env.JWT_PUBLIC_KEY;
  if (db.kind === 'server') env.DATABASE_URL = db.url;
  else env.DATA_DIR = db.dataDir;
  return env;
}

/** Fails with one sentence when `port` is taken (the benchmarks keep to 4100–4199). */
export async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', () =>
      reject(new Error(`port ${port} is in use; set BENCH_PORT to another base port (4100–4199)`)),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

export interface Answer {
  status: number;
  text: string;
  ms: number;
}

/** A client of the service for setting up data and single timed requests. */
export class Api {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  async send(method: string, path: string, body?: unknown): Promise<Answer> {
    const started = performance.now();
    const response = await fetch(this.base + path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, ms: performance.now() - started };
  }

  /** Sends the request and fails unless the answer is 2xx; returns the parsed body. */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.send(method, path, body);
    if (answer.status >= 300) {
      throw new Error(`${method} ${path} → ${answer.status} ${answer.text.slice(0, 300)}`);
    }
    return JSON.parse(answer.text) as T;
  }

  /** Headers for the load generator. */
  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }
}

/** The machine, for a table's heading: cores, Node, and how busy other work kept it (1-minute load average). */
export function machine(): string {
  return `${availableParallelism()} cores, Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at the start`;
}

/**
 * Runs `cleanup` once: when the benchmark ends, or on Ctrl-C / SIGTERM before that (the children
 * get the terminal's SIGINT too; the database a run created must still be dropped).
 */
export function cleanupOnce(cleanup: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  const run = (): Promise<void> => (done ??= cleanup());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`${signal}: cleaning up…\n`);
      void run().finally(() => process.exit(130));
    });
  }
  return run;
}
