import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { openPglite } from '#src/database/database.js';
import { serveParent } from './ipc.js';
import type { CapturedStatement } from './service-child.js';

/*
 * The bare ceiling: node:http + pg (or PGlite), no framework. For each route the benchmark gives
 * it the exact statements the service sent for that route (captured with Database.onStatement)
 * and it answers the route by sending them with the same parameters and writing the body column
 * of the result: a text column as it is (JSON PostgreSQL built), any other column through
 * JSON.stringify. Keep-alive on, a pg Pool as big as the service's.
 *   BARE_DATABASE_URL (server) or BARE_PGLITE_DIR (embedded), BARE_POOL_SIZE, BARE_PORT
 */

type Row = Record<string, unknown>;

/** Which column of a route's result is its answer, and how it is written. */
export interface BodyColumn {
  /** Null: no column looked like the body, so the whole row is serialized. */
  column: string | null;
  kind: 'text' | 'json';
}

export interface PreparedRoute {
  path: string;
  body: BodyColumn;
  bytes: number;
  rows: number;
}

interface Route {
  statements: CapturedStatement[];
  body: BodyColumn;
}

const looksLikeJsonText = (value: unknown): value is string =>
  typeof value === 'string' && (value.startsWith('{') || value.startsWith('['));

/**
 * The body column of a result row: the biggest value that is JSON, either as text PostgreSQL
 * built (`::text` columns) or as a json column pg parsed into objects. The other columns are the
 * scope checks (role, found flags) and totals the service turns into status codes and page meta.
 */
export function bodyColumnOf(row: Row): BodyColumn {
  let best: BodyColumn = { column: null, kind: 'json' };
  let bestSize = -1;
  for (const [column, value] of Object.entries(row)) {
    let size = -1;
    let kind: BodyColumn['kind'] = 'json';
    if (looksLikeJsonText(value)) {
      size = value.length;
      kind = 'text';
    } else if (typeof value === 'object' && value !== null) {
      size = JSON.stringify(value).length;
    }
    if (size > bestSize) {
      best = { column, kind };
      bestSize = size;
    }
  }
  return best;
}

function bodyOf(rows: Row[], body: BodyColumn): string {
  const piece = (row: Row): string => {
    if (body.column === null) return JSON.stringify(row);
    const value = row[body.column];
    return body.kind === 'text' && typeof value === 'string' ? value : JSON.stringify(value);
  };
  if (rows.length === 1) return piece(rows[0]);
  // A statement that answers several rows (a streamed answer) is written row after row.
  return body.kind === 'text' ? rows.map(piece).join('') : `[${rows.map(piece).join(',')}]`;
}

async function main(): Promise<void> {
  const port = Number(process.env.BARE_PORT);
  const poolSize = Number(process.env.BARE_POOL_SIZE ?? 10);
  let run: (sql: string, params: unknown[]) => Promise<Row[]>;
  let close: () => Promise<void>;
  if (process.env.BARE_DATABASE_URL) {
    const pool = new pg.Pool({ connectionString: process.env.BARE_DATABASE_URL, max: poolSize });
    pool.on('error', () => undefined);
    // BARE_PREPARED=1: each statement as a named prepared statement (its name from its text), as
    // the service sends its prepared ones: the higher of the two ceilings.
    const prepared = process.env.BARE_PREPARED === '1';
    const names = new Map<string, string>();
    const nameOf = (sql: string): string => {
      let name = names.get(sql);
      if (name === undefined)
        names.set(sql, (name = `bare_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`));
      return name;
    };
    run = async (sql, params) =>
      (
        await pool.query<Row>(
          prepared ? { name: nameOf(sql), text: sql, values: params } : { text: sql, values: params },
        )
      ).rows;
    close = () => pool.end();
  } else if (process.env.BARE_PGLITE_DIR) {
    const pglite = await openPglite(join(process.env.BARE_PGLITE_DIR, 'pgdata'));
    run = async (sql, params) => (await pglite.query<Row>(sql, params)).rows;
    close = () => pglite.close();
  } else {
    throw new Error('BARE_DATABASE_URL or BARE_PGLITE_DIR must be set');
  }

  const routes = new Map<string, Route>();
  const answer = async (route: Route): Promise<string> => {
    let rows: Row[] = [];
    for (const statement of route.statements) rows = await run(statement.sql, statement.params);
    return bodyOf(rows, route.body);
  };

  const server = createServer((request, response) => {
    const route = routes.get(request.url ?? '');
    if (!route) {
      response.writeHead(404).end();
      return;
    }
    answer(route).then(
      (body) => {
        response.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        });
        response.end(body);
      },
      (error: Error) => {
        response.writeHead(500, { 'content-type': 'text/plain' }).end(error.message);
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });

  serveParent(
    {
      /** Takes the routes' statements, runs each once to find its body column. */
      routes: async (message) => {
        const prepared: PreparedRoute[] = [];
        for (const { path, statements } of message.routes as { path: string; statements: CapturedStatement[] }[]) {
          let rows: Row[] = [];
          for (const statement of statements) rows = await run(statement.sql, statement.params);
          if (rows.length === 0) throw new Error(`${path}: the captured statement answered no row`);
          const route: Route = { statements, body: bodyColumnOf(rows[0]) };
          routes.set(path, route);
          const body = await answer(route);
          prepared.push({ path, body: route.body, bytes: Buffer.byteLength(body), rows: rows.length });
        }
        return prepared;
      },
      stop: async () => {
        server.closeAllConnections();
        server.close();
        await close();
        setImmediate(() => process.exit(0));
      },
    },
    { url: `http://127.0.0.1:${port}` },
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
