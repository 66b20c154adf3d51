import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createApp } from '#src/app.js';
import { loadConfig, type AppConfig } from '#src/config/config.js';
import { Database } from '#src/database/database.js';

export const TEST_SECRET = 'e2e-test-secret-that-is-long-enough';

/*
 * initdb is most of an embedded boot (some 11 of 14 s on a loaded 2-core machine, the migrations
 * about 1 s), and every spec file boots its own in-memory engine: the first one of a machine dumps
 * its fresh, empty cluster to a file keyed by PGlite's version and options, and every later one
 * loads that file instead of running initdb again. Migrations still run at every boot, from the
 * sources; persisted engines (a DATA_DIR) are left as they are.
 */
const createPglite = PGlite.create.bind(PGlite);
const pgliteVersion = (
  JSON.parse(
    readFileSync(
      join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '@electric-sql', 'pglite', 'package.json'),
      'utf8',
    ),
  ) as { version: string }
).version;

async function createInMemoryFromTemplate(...args: unknown[]): Promise<PGlite> {
  const options = (args[0] ?? {}) as PGliteOptions;
  if (typeof args[0] === 'string') return createPglite(args[0], args[1] as PGliteOptions | undefined);
  if (options.dataDir !== undefined || options.loadDataDir !== undefined) return createPglite(options);
  const key = createHash('sha256')
    .update(JSON.stringify([pgliteVersion, options.startParams ?? null, Object.keys(options.extensions ?? {})]))
    .digest('hex')
    .slice(0, 16);
  const template = join(tmpdir(), `dreamlake-e2e-pglite-${key}.tar`);
  if (existsSync(template)) return createPglite({ ...options, loadDataDir: new Blob([readFileSync(template)]) });
  const pglite = await createPglite(options);
  const partial = `${template}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(partial, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()));
  renameSync(partial, template); // whole or absent, for the next file (or a parallel worker)
  return pglite;
}
PGlite.create = createInMemoryFromTemplate;

/**
 * The e2e tests run the whole app against the embedded database (a fresh in-memory PGlite per
 * test file) or, when DATABASE_URL is set, against that PostgreSQL server.
 */
export function testConfig(overrides: Partial<Record<string, string>> = {}): AppConfig {
  return loadConfig({
    DATABASE_URL: process.env.DATABASE_URL ?? 'memory://',
    JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'fatal',
    DATA_DIR: process.env.DATA_DIR ?? '/tmp/dreamlake-e2e',
    ...overrides,
  });
}

/** A short random suffix: files share one database on the server run, so names must not collide. */
export const uid = (): string => randomBytes(4).toString('hex');

export function tokenFor(sub: string, claims: Record<string, unknown> = {}, options: jwt.SignOptions = {}): string {
  return jwt.sign({ sub, ...claims }, TEST_SECRET, { algorithm: 'HS256', expiresIn: '1h', ...options });
}

export interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  statements: number;
}

/**
 * Every answer carries X-Request-Id and every error body the same id (API.md, Request ids): checked
 * here for every answer of the suite, then taken out of the body so tests compare the rest.
 */
export function checkRequestId(res: { status: number; headers: Record<string, unknown>; body: unknown }): void {
  const id = res.headers['x-request-id'];
  if (typeof id !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(id)) {
    throw new Error(`answer ${res.status} without a valid X-Request-Id header: ${String(id)}`);
  }
  const body = res.body as { statusCode?: unknown; requestId?: unknown } | null;
  if (res.status >= 400 && body !== null && typeof body === 'object' && 'statusCode' in body) {
    if (body.requestId !== id) {
      throw new Error(`error body ${JSON.stringify(body)} does not carry the answer's request id ${id}`);
    }
    delete body.requestId;
  }
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

type Headers = Record<string, string>;

export interface SendOptions {
  as?: string | null;
  token?: string;
  body?: unknown;
  raw?: string;
  headers?: Headers;
  /** Statements the request may send, when not what its status implies; null: requests run at once, not counted. */
  statements?: number | null;
  /** Read the answer as text (`text` of the reply), whatever its type (NDJSON, say). */
  text?: boolean;
}

/**
 * Statements a request may send: every answer that needed the database is exactly one statement;
 * answers decided before the database (validation, auth, body limits) send none.
 */
function expectedStatements(status: number): number {
  return [400, 401, 413, 415, 429].includes(status) ? 0 : 1;
}

/** Statements for answers outside the rule above: a 400 the database decided (one statement). */
export const DECIDED_BY_DATABASE = 1;

export class TestApp {
  private constructor(
    readonly app: NestFastifyApplication,
    private readonly counter: Database,
  ) {}

  static async start(config: AppConfig = testConfig()): Promise<TestApp> {
    const app = await createApp(config);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return new TestApp(app, app.get(Database));
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  /**
   * Sends one request as `as` (a sub, or null for no token) and checks the statement count the
   * one-roundtrip rule allows for its status.
   */
  async send(method: Method, path: string, options: SendOptions = {}): Promise<Reply> {
    const { status, body, statements } = await this.exchange(method, path, options);
    return { status, body, statements };
  }

  /** As send, with the answer's headers too (ETag, Location, Idempotent-Replayed…). */
  async exchange(
    method: Method,
    path: string,
    options: SendOptions = {},
  ): Promise<Reply & { headers: Headers; text?: string }> {
    let req = request(this.app.getHttpServer())[method](path);
    const token = options.token ?? (options.as ? tokenFor(options.as) : undefined);
    if (token) req = req.set('Authorization', `Bearer ${token}`);
    for (const [name, value] of Object.entries(options.headers ?? {})) req = req.set(name, value);
    if (options.text) {
      req = req.buffer(true).parse((res, done) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (data += chunk));
        res.on('end', () => done(null, data));
      });
    }
    if (options.raw !== undefined) req = req.set('Content-Type', 'application/json').send(options.raw);
    else if (options.body !== undefined) req = req.send(options.body as object);
    this.counter.statements = 0;
    const res = await req;
    checkRequestId(res);
    const reply = {
      status: res.status,
      body: res.body,
      statements: this.counter.statements,
      headers: res.headers,
      text: options.text ? (res.body as string) : undefined,
    };
    const expected = options.statements === undefined ? expectedStatements(reply.status) : options.statements;
    if (expected !== null && reply.statements !== expected) {
      throw new Error(
        `${method.toUpperCase()} ${path} → ${reply.status} sent ${reply.statements} statements, expected ${expected}: ${JSON.stringify(reply.body)}`,
      );
    }
    return reply;
  }

  get = (path: string, as: string | null, query?: string) =>
    this.send('get', query ? `${path}?${query}` : path, { as });
  post = (path: string, as: string | null, body?: unknown) => this.send('post', path, { as, body });
  put = (path: string, as: string | null, body?: unknown) => this.send('put', path, { as, body });
  patch = (path: string, as: string | null, body?: unknown) => this.send('patch', path, { as, body });
  delete = (path: string, as: string | null, body?: unknown) => this.send('delete', path, { as, body });

  /** A namespace owned by `owner` with the given extra members; returns its slug. */
  async namespace(owner: string, members: Record<string, string> = {}): Promise<string> {
    const slug = `ns-${uid()}`;
    expect((await this.post('/namespaces', owner, { slug })).status).toBe(201);
    for (const [user, role] of Object.entries(members)) {
      expect((await this.put(`/namespaces/${slug}/members/${user}`, owner, { role })).status).toBe(200);
    }
    return slug;
  }

  /** A project in namespace `slug`; returns its path `/namespaces/:slug/projects/:projectSlug`. */
  async project(slug: string, admin: string): Promise<string> {
    const projectSlug = `p-${uid()}`;
    expect((await this.post(`/namespaces/${slug}/projects`, admin, { name: projectSlug })).status).toBe(201);
    return `/namespaces/${slug}/projects/${projectSlug}`;
  }
}

/** Matches an ISO-8601 UTC timestamp with milliseconds. */
export const ISO = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
export const UUID = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  503: 'Service Unavailable',
};

/** The contract's error body, written out independently of the service's own table. */
export const error = (statusCode: number, message: unknown) => ({ statusCode, error: REASON[statusCode], message });

/** An error answer as `{status, body}`, to compare with a Reply's status and body. */
export const answer = (status: number, message: unknown) => ({ status, body: error(status, message) });

/** The validation message of a dataset or collection name. */
export const NAME_RULE = "must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit";
