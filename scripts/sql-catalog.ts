import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Database, type PoolStats, type Queryable } from '#src/database/database.js';
import { sqlDeclared, sqlExamples, type Fixture } from '#src/database/generate-sql.js';
import type { Keep } from '#src/idempotency/keep.js';

/*
 * Every statement the repositories send, rendered from the example calls each repository method
 * carries (@GenerateSql beside the method): `npm run sql` writes them into sql/ (checked in, so a
 * reviewer reads each route's real statement in one place, and CI fails when they drift from the
 * code), and the plan test EXPLAINs the scaled and prepared ones on a big database. Every
 * `*.repository.ts` under src/ is found by itself, and a method without examples fails the render.
 */

export type { Fixture };

export interface Statement {
  /** `Repository.method (variant)`. */
  name: string;
  sql: string;
  params: unknown[];
  /** A list, page, cursor or batch statement: the plan test holds it to a buffer budget. */
  scaled: boolean;
  /** Sent as a named prepared statement (its generic plan is reused): the plan test checks that plan. */
  prepared: boolean;
}

export const EXAMPLE: Fixture = {
  user: 'alice',
  requestId: 'req-0001',
  slug: 'acme',
  projectSlug: 'robotics',
  dataset: 'training-v2',
  collection: 'front-camera-clips',
  member: 'episode-0042',
  tag: 'lidar',
  word: 'camera',
  datasetId: '5d1c8f0e-3b7a-4f2e-9c61-8a4d2b7e0f13',
  trashId: '0b6f6c55-1f3e-4c8e-9d55-2a7f1e9c3b21',
  batch: 1000,
  version: 1,
  laterVersion: 2,
};

/** A Database that records what it is asked to send, and answers one empty row. */
class Recorder extends Database {
  readonly kind = 'server';
  readonly streams: boolean;
  recorded: { sql: string; params: unknown[]; prepared: boolean }[] = [];

  constructor(streams: boolean) {
    super();
    this.streams = streams;
  }
  protected send<T>(sql: string, params: unknown[], prepared = false): Promise<T[]> {
    this.recorded.push({ sql, params, prepared });
    return Promise.resolve([{} as T]);
  }
  override query<T>(sql: string, params: unknown[] = [], prepared = false): Promise<T[]> {
    return this.send<T>(sql, params, prepared);
  }
  override maintenance<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.send<T>(sql, params);
  }
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return work(this);
  }
  async *cursor<T>(sql: string, params: unknown[]): AsyncGenerator<T[]> {
    await this.send(sql, params);
    yield* [];
  }
  listen(): Promise<() => Promise<void>> {
    return Promise.resolve(() => Promise.resolve());
  }
  poolStats(): PoolStats {
    return { size: 0, idle: 0, waiting: 0 };
  }
  engineMemoryBytes(): null {
    return null;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

type RepositoryClass = (new (db: Database) => object) & { name: string; prototype: object };

/** Every `*.repository.js` beside this build's sources, with the repository classes it exports. */
async function repositories(): Promise<{ feature: string; classes: RepositoryClass[] }[]> {
  const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const found: { feature: string; classes: RepositoryClass[] }[] = [];
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? walk(join(dir, entry.name))
        : entry.name.endsWith('.repository.js')
          ? [join(dir, entry.name)]
          : [],
    );
  for (const file of walk(src).sort()) {
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const classes = Object.values(module).filter(
      (value): value is RepositoryClass => typeof value === 'function' && /Repository$/.test(value.name),
    );
    found.push({ feature: relative(src, dirname(file)), classes });
  }
  return found;
}

/** The methods a repository class defines itself (its statements). */
function methodsOf(type: RepositoryClass): string[] {
  return Object.getOwnPropertyNames(type.prototype).filter(
    (name) =>
      name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(type.prototype, name)?.value === 'function',
  );
}

/** Every statement, by feature (sql/<feature>.sql), rendered with the fixture's names. */
export async function catalog(f: Fixture): Promise<Record<string, Statement[]>> {
  const out: Record<string, Statement[]> = {};
  const missing: string[] = [];
  for (const { feature, classes } of await repositories()) {
    for (const type of classes) {
      for (const method of methodsOf(type)) {
        if (!sqlDeclared(type.prototype, method)) {
          missing.push(`${type.name}.${method}`);
          continue;
        }
        // A streamed read has two forms: one statement read through a cursor (a server), or a head
        // and then a statement a chunk (the embedded engine): both are rendered.
        for (const example of sqlExamples(type.prototype, method)) {
          const forms = [true, false];
          for (const streams of forms) {
            for (const keyed of example.keyed ? [false, true] : [false]) {
              const db = new Recorder(streams);
              const repository = new type(db) as Record<string, (...args: unknown[]) => unknown>;
              const keep: Keep = {
                tx: db,
                userId: f.user,
                key: 'retry-7',
                fingerprint: '0'.repeat(64),
                status: 201,
                location: null,
              };
              const result = repository[method](...example.params(f), ...(keyed ? [keep] : []));
              const walks = result !== null && typeof result === 'object' && Symbol.asyncIterator in result;
              if (!walks && !streams) continue; // not a streamed read: one form only
              if (walks) {
                // The recorder answers one empty row: a walk shows its first statements, then ends.
                const parts = result as AsyncGenerator<unknown>;
                try {
                  for (let i = 0; i < 4 && !(await parts.next()).done; i++);
                } catch (error) {
                  if (db.recorded.length === 0) throw error; // a walk stops where the recorder's empty rows end it
                }
              } else {
                await result;
              }
              const variant = [
                example.name,
                keyed ? 'Idempotency-Key' : null,
                forms.length > 1 && !streams ? 'embedded' : null,
              ]
                .filter(Boolean)
                .join(', ');
              const label = `${type.name}.${method}${variant ? ` (${variant})` : ''}`;
              // A walk repeats its chunk statement: each text once.
              const sent = db.recorded.filter((r, i) => db.recorded.findIndex((o) => o.sql === r.sql) === i);
              for (const [i, { sql, params, prepared }] of sent.entries()) {
                (out[feature] ??= []).push({
                  name: sent.length > 1 ? `${label} #${i + 1}` : label,
                  sql,
                  params,
                  scaled: example.scaled ?? false,
                  prepared,
                });
              }
            }
          }
        }
      }
    }
  }
  if (missing.length > 0) {
    throw new Error(`repository methods without @GenerateSql examples (or @NoSql): ${missing.join(', ')}`);
  }
  return out;
}

/** The statement(s) one repository call sends, with its parameters (the plan test renders its own shapes). */
export async function render<R extends object>(
  type: new (db: Database) => R,
  call: (repository: R) => unknown,
): Promise<{ sql: string; params: unknown[]; prepared: boolean }[]> {
  const db = new Recorder(true);
  await call(new type(db));
  return db.recorded;
}
