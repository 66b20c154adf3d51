import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Sql } from './sql.js';

const require = createRequire(import.meta.url);

/** The SQLSTATE of an error PostgreSQL (server or embedded) raised, or null for any other error. */
export function sqlState(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  const severity = (error as { severity?: unknown } | null)?.severity;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string' ? code : null;
}

/** The database could not be reached (refused, reset, timed out, pool exhausted): 503, not a bug. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  constructor(override readonly cause: unknown) {
    super(`database unreachable: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** Whether a `pg` error came from the connection or the pool rather than from a statement. */
function connectionFailure(error: unknown): boolean {
  if (sqlState(error) !== null || !(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    (typeof code === 'string' && /^E[A-Z]+$/.test(code)) ||
    /timeout exceeded when trying to connect|Connection terminated|connection error|Client was closed|pool after calling end/i.test(
      error.message,
    )
  );
}

/** Rethrows a connection or pool failure as DatabaseUnavailableError; any other error as it is. */
function classify(error: unknown): never {
  throw connectionFailure(error) ? new DatabaseUnavailableError(error) : error;
}

/** Something that runs SQL: the database itself, or one transaction of it. */
export interface Queryable {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** What reads a database: statements, and (where the engine has them) cursors. */
export interface Reader extends Queryable {
  readonly streams: boolean;
  stream<T>(statement: Sql, batch: number): AsyncGenerator<T[]>;
}

/** Pool figures for /metrics. */
export interface PoolStats {
  size: number;
  idle: number;
  waiting: number;
}

/**
 * The service's connection to PostgreSQL, a server (a `pg` pool) or the embedded engine (PGlite).
 * Repositories send their one statement through `query`/`row` directly: no ORM on the request
 * path (TypeORM keeps the schema and runs the migrations). `statements` counts what requests sent,
 * so the e2e tests can hold every route to one statement.
 */
export abstract class Database implements Queryable {
  abstract readonly kind: 'server' | 'embedded';
  /** Statements sent on behalf of requests (maintenance is not counted). */
  statements = 0;
  /** Cursors open, each holding a pooled connection and its snapshot (streamed answers). */
  cursorsOpen = 0;
  /** Called with each request statement when set (the benchmark captures the SQL with it). */
  onStatement: ((sql: string, params: unknown[]) => void) | null = null;

  /**
   * Sends one request statement. `prepared` (see statementName): a server connection parses and plans
   * it once and then reuses that plan — only for statements whose plan cannot depend on their
   * parameters.
   */
  async query<T>(sql: string, params: unknown[] = [], prepared = false): Promise<T[]> {
    this.statements++;
    this.onStatement?.(sql, params);
    return this.send<T>(sql, params, prepared);
  }

  /**
   * Runs one request statement that answers exactly one row (every route's statement does):
   * `prepared` as in query; `via` a transaction to run it in (an Idempotency-Key's).
   */
  async one<T>(statement: Sql, { prepared = false, via }: { prepared?: boolean; via?: Queryable } = {}): Promise<T> {
    const rows = via
      ? await via.query<T>(statement.text, statement.values)
      : await this.query<T>(statement.text, statement.values, prepared);
    if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
    return rows[0];
  }

  /** Rows of one request statement read through a cursor (see `cursor`). */
  stream<T>(statement: Sql, batch: number): AsyncGenerator<T[]> {
    return this.cursor<T>(statement.text, statement.values, batch);
  }

  /**
   * The same database for background work (the digest job, the purge): what it sends is neither
   * counted nor captured, as `maintenance`.
   */
  get background(): Reader {
    return {
      streams: this.streams,
      query: <T>(sql: string, params: unknown[] = []) => this.send<T>(sql, params),
      stream: <T>(statement: Sql, batch: number) => this.cursor<T>(statement.text, statement.values, batch, false),
    };
  }

  /** Background work (vacuum, purge): neither counted nor captured. */
  maintenance<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.send<T>(sql, params);
  }

  /** Runs `work` in one transaction; its statements count like any other. */
  abstract transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;

  /**
   * Whether `cursor` can stream one statement's rows as they are read. The embedded engine
   * materializes every result, so big answers there are read in chunks by position instead.
   */
  abstract readonly streams: boolean;

  /** Rows of one statement in batches of `batch`, read only as fast as they are consumed (`counted`: a request's). */
  abstract cursor<T>(sql: string, params: unknown[], batch: number, counted?: boolean): AsyncGenerator<T[]>;

  /**
   * Calls `onMessage` with each payload NOTIFY sends on `channel` (a change committed, say), and
   * `onReconnect` after a broken listening connection is back (notifications may have been missed
   * meanwhile). Answers the function that stops listening.
   */
  abstract listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect: () => void,
  ): Promise<() => Promise<void>>;

  abstract poolStats(): PoolStats;
  /** Bytes of memory the engine holds in this process (the embedded engine's), or null where it cannot be read. */
  abstract engineMemoryBytes(): number | null;
  abstract close(): Promise<void>;
  protected abstract send<T>(sql: string, params: unknown[], prepared?: boolean): Promise<T[]>;
}

/**
 * Prepared statements (`prepared` in Database.query and .row): the lookups of one namespace, project, dataset or
 * collection by the slugs and name in its path (the GET routes), and a collection's member pages
 * (page and cursor form). Their plans are the same whatever the parameters (unique-key lookups,
 * then the row's own children by index, in position order), so a server
 * connection prepares each once under a name and, after PostgreSQL's five custom plans, runs its
 * generic plan: planning cost 0.4 ms of these 0.55 ms statements. Lists are prepared too, one
 * statement per shape (sort × filter: each shape has its own text, so its own name), where the
 * plan test shows that shape's generic plan bound on a big project with statistics and without:
 * every list of namespaces (with `q`), projects, datasets, collections and trash. Two shapes stay
 * unnamed, planned for their actual parameters, because a generic plan cannot know what decides
 * theirs: one tag (dense: walk the sort index; rare: its GIN matches) and a caller's namespaces
 * without `q` (one user with 100,000 memberships among users with a few). A statement's name is
 * derived from its text (pg refuses one name for two texts on a connection).
 */
const statementNames = new Map<string, string>();

function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `dl_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** A PostgreSQL server through a `pg` pool. */
export class ServerDatabase extends Database {
  readonly kind = 'server';
  readonly streams = true;

  constructor(readonly pool: pg.Pool) {
    super();
    // An idle client losing its server (restart, failover) must not crash the process.
    pool.on('error', () => undefined);
  }

  protected async send<T>(sql: string, params: unknown[], prepared = false): Promise<T[]> {
    try {
      const config = prepared ? { text: sql, values: params, name: statementName(sql) } : { text: sql, values: params };
      return (await this.pool.query(config)).rows as T[];
    } catch (error) {
      return classify(error);
    }
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch(classify);
    const tx: Queryable = {
      query: async <R>(sql: string, params: unknown[] = []) => {
        this.statements++;
        this.onStatement?.(sql, params);
        return (await client.query(sql, params).catch(classify)).rows as R[];
      },
    };
    try {
      await client.query('BEGIN').catch(classify);
      const result = await work(tx);
      await client.query('COMMIT').catch(classify);
      client.release();
      return result;
    } catch (error) {
      const broken = await client.query('ROLLBACK').then(
        () => undefined,
        (rollbackError: Error) => rollbackError,
      );
      client.release(broken);
      throw error;
    }
  }

  async *cursor<T>(sql: string, params: unknown[], batch: number, counted = true): AsyncGenerator<T[]> {
    if (counted) {
      this.statements++;
      this.onStatement?.(sql, params);
    }
    const client = await this.pool.connect().catch(classify);
    const cursor = client.query(new Cursor<T>(sql, params));
    let broken: unknown;
    this.cursorsOpen++;
    try {
      for (;;) {
        const rows = await cursor.read(batch).catch(classify);
        if (rows.length === 0) return;
        yield rows;
      }
    } catch (error) {
      broken = error;
      throw error;
    } finally {
      // A consumer that stops early (client gone) closes the portal; a broken connection is discarded.
      this.cursorsOpen--;
      await cursor.close().catch((error: unknown) => (broken ??= error));
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  /** LISTEN on a connection of its own (not one of the pool's), opened again after it breaks. */
  async listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect: () => void,
  ): Promise<() => Promise<void>> {
    let stopped = false;
    const current: { client: pg.Client | null } = { client: null };
    const connect = async (): Promise<void> => {
      while (!stopped) {
        const next = new pg.Client({
          ...(this.pool.options as pg.ClientConfig),
          application_name: 'dreamlake-catalog-listen',
        });
        next.on('notification', (message) => onMessage(message.payload ?? ''));
        next.on('error', () => undefined);
        try {
          await next.connect();
          await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
          if (stopped) {
            await next.end();
            return;
          }
          current.client = next;
          next.on('end', () => {
            current.client = null;
            if (!stopped) setTimeout(() => void connect().then(onReconnect), 1000).unref();
          });
          return;
        } catch {
          await next.end().catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 1000).unref());
        }
      }
    };
    await connect();
    return async () => {
      stopped = true;
      await current.client?.end().catch(() => undefined);
    };
  }

  poolStats(): PoolStats {
    return { size: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  /** The server's memory is its own process's. */
  engineMemoryBytes(): null {
    return null;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The embedded engine: one PGlite instance, in memory or persisted under DATA_DIR. */
export class EmbeddedDatabase extends Database {
  readonly kind = 'embedded';
  readonly streams = false;

  constructor(readonly pglite: PGlite) {
    super();
  }

  protected async send<T>(sql: string, params: unknown[]): Promise<T[]> {
    return (await this.pglite.query<T>(sql, params)).rows;
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    // PGlite serves one connection: its transaction() holds it, so no other request's statement
    // can land inside this transaction.
    return this.pglite.transaction((inner) =>
      work({
        query: async <R>(sql: string, params: unknown[] = []) => {
          this.statements++;
          this.onStatement?.(sql, params);
          return (await inner.query<R>(sql, params)).rows;
        },
      }),
    );
  }

  cursor<T>(): AsyncGenerator<T[]> {
    throw new Error('the embedded engine has no cursors; read in chunks by position');
  }

  /** PGlite delivers its own NOTIFYs after each statement; its one connection never breaks. */
  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    const stop = await this.pglite.listen(channel, onMessage);
    return async () => {
      if (!this.pglite.closed) await stop();
    };
  }

  poolStats(): PoolStats {
    return { size: 1, idle: 1, waiting: 0 };
  }

  /**
   * The size of PGlite's WebAssembly memory: 128 MiB at start, growing (never shrinking) when the
   * engine needs more. PGlite keeps its Emscripten module protected, hence the cast; null if a
   * release moves it.
   */
  engineMemoryBytes(): number | null {
    const heap = (this.pglite as unknown as { mod?: { HEAPU8?: Uint8Array } }).mod?.HEAPU8;
    return heap && !this.pglite.closed ? heap.buffer.byteLength : null;
  }

  async close(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
  }
}

/** Extensions the migrations create; PGlite must load their code when it starts. */
export const PGLITE_EXTENSIONS = { pg_trgm, btree_gin };

/**
 * PGlite's own start parameters, with a 16 MB buffer cache instead of the 128 MB its initdb writes
 * into postgresql.conf: the engine zeroes the whole cache at start, so all of it stayed resident
 * (issue 18). Reads that miss the cache come from the OS page cache (persisted) or the in-memory
 * file system (`memory://`), both a copy away.
 */
export const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * Creates an empty persisted database in `dataDir` in a child process, when it holds none yet:
 * initdb runs in a second WebAssembly instance whose memory (some 110 MB) a process would keep
 * resident after it ends, so the service only ever opens an existing directory.
 */
export async function initPgliteDataDir(dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  mkdirSync(dataDir, { recursive: true });
  const script = `const { PGlite } = require(process.argv[1]);
PGlite.create({ dataDir: process.argv[2], startParams: JSON.parse(process.argv[3]) }).then((db) => db.close());`;
  const args = ['-e', script, require.resolve('@electric-sql/pglite'), dataDir, JSON.stringify(PGLITE_START_PARAMS)];
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, args, (error, _stdout, stderr) =>
      error
        ? reject(new Error(`creating the embedded database in ${dataDir} failed: ${stderr || error.message}`))
        : resolve(),
    );
  });
}

/** A new PGlite, in memory (`dataDir` null) or persisted; writes reach the disk before a statement returns. */
export async function openPglite(dataDir: string | null): Promise<PGlite> {
  if (dataDir !== null) await initPgliteDataDir(dataDir);
  return PGlite.create({
    dataDir: dataDir ?? undefined,
    relaxedDurability: false,
    extensions: PGLITE_EXTENSIONS,
    startParams: PGLITE_START_PARAMS,
  });
}

export interface ServerPoolOptions {
  url: string;
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

export function openServerPool(options: ServerPoolOptions): pg.Pool {
  return new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs || undefined,
    application_name: 'dreamlake-catalog',
    // Every statement reads O(page) rows: a parallel plan only adds worker start-up (tens of ms) to
    // small reads whose size the planner cannot see (a project given by a parameter), and JIT
    // compilation (triggered by a cost estimate, e.g. of a generic plan on a big table) 40-180 ms.
    options: '-c max_parallel_workers_per_gather=0 -c jit=off',
  });
}
