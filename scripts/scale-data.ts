import 'reflect-metadata';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { migrate } from '#src/database/migrate.js';
import { openServerPool, ServerDatabase } from '#src/database/database.js';

/*
 * Scale data for `npm run bench:scale` (and any test that needs a big database): on a PostgreSQL
 * server, with a few INSERT … SELECT over generate_series, a "big" side and a "small" side:
 *
 *   big:   namespace scale-big, project big: SCALE_COLLECTIONS collections (1,000,000), SCALE_DATASETS
 *          datasets (300,000; each of the first 2×datasets collections is in one, two a dataset), a
 *          collection `episodes` of SCALE_MEMBERS members (2,000,000); user scale-big-user is a
 *          member of SCALE_NAMESPACES namespaces (200,000), scale-big among them
 *   small: the same shapes with SCALE_SMALL_COLLECTIONS (1,000), SCALE_SMALL_DATASETS (300),
 *          SCALE_SMALL_MEMBERS (1,000), SCALE_SMALL_NAMESPACES (10)
 *
 * Names carry a word (front, rear, …: `q=wrist` matches a tenth) and tags g0–g9 (`tag=g3`: a
 * tenth) and t0–t999; created_at is a second apart, so every sort order is total. Inserts name only
 * columns the first two migrations created and leave every other column to its default, so columns
 * and triggers added by later migrations (counters, search columns) fill themselves; member_count
 * and member_seq are set from the members actually inserted, after them. Ends with VACUUM ANALYZE.
 * The sizes loaded are kept in the database's comment, so a run with the same sizes reuses the data.
 * A database may also hold the small side alone: the reference a small project's reads are compared
 * to, with no big tables beside it.
 *
 *   node dist/scripts/scale-data.js <postgres://…> [small]   loads (or reuses) the data with the SCALE_* sizes
 */

export interface ScaleSizes {
  collections: number;
  datasets: number;
  members: number;
  namespaces: number;
  smallCollections: number;
  smallDatasets: number;
  smallMembers: number;
  smallNamespaces: number;
}

export const DEFAULT_SCALE_SIZES: ScaleSizes = {
  collections: 1_000_000,
  datasets: 300_000,
  members: 2_000_000,
  namespaces: 200_000,
  smallCollections: 1_000,
  smallDatasets: 300,
  smallMembers: 1_000,
  smallNamespaces: 10,
};

const ENV_NAMES: Record<keyof ScaleSizes, string> = {
  collections: 'SCALE_COLLECTIONS',
  datasets: 'SCALE_DATASETS',
  members: 'SCALE_MEMBERS',
  namespaces: 'SCALE_NAMESPACES',
  smallCollections: 'SCALE_SMALL_COLLECTIONS',
  smallDatasets: 'SCALE_SMALL_DATASETS',
  smallMembers: 'SCALE_SMALL_MEMBERS',
  smallNamespaces: 'SCALE_SMALL_NAMESPACES',
};

/** Sizes from SCALE_* variables (underscores allowed: 1_000_000), defaults for the rest. */
export function scaleSizesFromEnv(env: NodeJS.ProcessEnv = process.env): ScaleSizes {
  const sizes = { ...DEFAULT_SCALE_SIZES };
  for (const key of Object.keys(ENV_NAMES) as (keyof ScaleSizes)[]) {
    const raw = env[ENV_NAMES[key]]?.replace(/_/g, '').trim();
    if (!raw) continue;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${ENV_NAMES[key]} must be a positive integer`);
    sizes[key] = Number(raw);
  }
  if (sizes.datasets * 2 > sizes.collections || sizes.smallDatasets * 2 > sizes.smallCollections) {
    throw new Error('datasets hold two collections each: SCALE_COLLECTIONS must be at least twice SCALE_DATASETS');
  }
  return sizes;
}

/** One side of the data: who reads it and where it is. */
export interface ScaleSide {
  label: 'small' | 'big';
  user: string;
  namespace: string;
  project: string;
  /** The collection with `members` members, in project `project`. */
  memberCollection: string;
  collections: number;
  datasets: number;
  members: number;
  namespaces: number;
}

export interface ScaleLayout {
  small: ScaleSide;
  big: ScaleSide;
}

/** Where everything is; the same for every load with the same sizes. */
export function scaleLayout(sizes: ScaleSizes): ScaleLayout {
  const side = (
    label: 'small' | 'big',
    counts: Pick<ScaleSide, 'collections' | 'datasets' | 'members' | 'namespaces'>,
  ) => ({
    label,
    user: `scale-${label}-user`,
    namespace: `scale-${label}`,
    project: label,
    memberCollection: 'episodes',
    ...counts,
  });
  return {
    small: side('small', {
      collections: sizes.smallCollections,
      datasets: sizes.smallDatasets,
      members: sizes.smallMembers,
      namespaces: sizes.smallNamespaces,
    }),
    big: side('big', {
      collections: sizes.collections,
      datasets: sizes.datasets,
      members: sizes.members,
      namespaces: sizes.namespaces,
    }),
  };
}

/** The node id at `position` (1-based) of a side's member collection. */
export const scaleNodeId = (position: number): string => `n-${String(position).padStart(9, '0')}`;

/** A tenth of the names carry it (`q=`), and a tenth of the rows carry tag `SCALE_TAG` (`tag=`). */
export const SCALE_WORD = 'wrist';
export const SCALE_TAG = 'g3';

const WORDS = ['front', 'rear', 'left', 'right', 'top', 'wrist', 'depth', 'thermal', 'lidar', 'audio'];
const wordSql = (i: string): string => `(ARRAY[${WORDS.map((w) => `'${w}'`).join(', ')}])[1 + (${i}) % 10]`;
const nameSql = (prefix: string, i: string): string =>
  `'${prefix}' || lpad((${i})::text, 7, '0') || '-' || ${wordSql(i)}`;
const tagsSql = (i: string): string => `ARRAY['g' || ((${i}) % 10), 't' || ((${i}) % 1000)]`;
/** Rows are a second apart from this instant on. */
const BASE = `timestamptz '2025-01-01 00:00:00+00'`;

type Log = (message: string) => void;

async function timed<T>(log: Log, what: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  log(`  ${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/** Loads one side (the schema must be migrated and hold no such side yet). */
async function loadSide(client: pg.ClientBase, side: ScaleSide, log: Log): Promise<void> {
  await timed(log, `${side.label}: ${side.namespaces.toLocaleString('en-US')} namespaces of ${side.user}`, () =>
    client.query(
      `WITH ns AS (
         INSERT INTO namespace (slug, name, created_at, updated_at)
         SELECT CASE WHEN i = 0 THEN $1 ELSE $1 || '-ns-' || lpad(i::text, 7, '0') END,
                CASE WHEN i = 0 THEN $1 ELSE $1 || ' namespace ' || i END,
                ${BASE} + i * interval '1 second', ${BASE} + i * interval '1 second'
         FROM generate_series(0, $2::int - 1) AS i
         RETURNING id, slug, created_at
       )
       INSERT INTO namespace_member (namespace_id, user_id, role, created_at, updated_at)
       SELECT id, $3, CASE WHEN slug = $1 THEN 'owner'
                           ELSE (ARRAY['owner', 'admin', 'writer', 'reader'])[1 + (hashtext(slug) & 3)] END,
              created_at, created_at
       FROM ns`,
      [side.namespace, side.namespaces, side.user],
    ),
  );
  const {
    rows: [project],
  } = await client.query<{ namespace_id: string; id: string }>(
    `INSERT INTO project (namespace_id, slug, name, tags, created_at, updated_at)
     SELECT id, $2, $2, ARRAY['scale'], ${BASE}, ${BASE} FROM namespace WHERE slug = $1 AND deleted_at IS NULL
     RETURNING namespace_id, id`,
    [side.namespace, side.project],
  );
  const scope = [project.namespace_id, project.id];
  await timed(log, `${side.label}: ${side.datasets.toLocaleString('en-US')} datasets`, () =>
    client.query(
      `INSERT INTO dataset (namespace_id, project_id, name, description, tags, created_at, updated_at)
       SELECT $1, $2, ${nameSql('d', 'i')}, 'dataset ' || i, ${tagsSql('i')},
              ${BASE} + i * interval '1 second', ${BASE} + i * interval '1 second'
       FROM generate_series(1, $3::int) AS i`,
      [...scope, side.datasets],
    ),
  );
  await timed(log, `${side.label}: ${side.collections.toLocaleString('en-US')} collections`, () =>
    client.query(
      `INSERT INTO collection (namespace_id, project_id, dataset_id, name, description, tags, created_at, updated_at)
       SELECT $1, $2, d.id, ${nameSql('c', 'i')}, 'collection ' || i, ${tagsSql('i')},
              ${BASE} + i * interval '1 second', ${BASE} + i * interval '1 second'
       FROM generate_series(1, $3::int) AS i
       LEFT JOIN dataset d
         ON i <= 2 * $4::int AND d.namespace_id = $1 AND d.project_id = $2 AND d.deleted_at IS NULL
        AND d.name = ${nameSql('d', '(i + 1) / 2')}`,
      [...scope, side.collections, side.datasets],
    ),
  );
  // The member collection is the oldest of the project, so list pages never embed its members.
  const {
    rows: [collection],
  } = await client.query<{ id: string }>(
    `INSERT INTO collection (namespace_id, project_id, name, tags, created_at, updated_at)
     VALUES ($1, $2, $3, ARRAY['scale'], ${BASE} - interval '1 day', ${BASE} - interval '1 day')
     RETURNING id`,
    [...scope, side.memberCollection],
  );
  await timed(log, `${side.label}: ${side.members.toLocaleString('en-US')} members`, () =>
    client.query(
      `INSERT INTO collection_member (namespace_id, collection_id, node_id, position, added_at)
       SELECT $1, $2, 'n-' || lpad(i::text, 9, '0'), i, ${BASE} + i * interval '1 millisecond'
       FROM generate_series(1, $3::int) AS i`,
      [project.namespace_id, collection.id, side.members],
    ),
  );
  // Count and next position from the rows themselves (right whether or not a trigger keeps them).
  await client.query(
    `UPDATE collection c SET
       member_count = (SELECT count(*) FROM collection_member m WHERE m.namespace_id = c.namespace_id AND m.collection_id = c.id),
       member_seq = (SELECT coalesce(max(position), 0) FROM collection_member m WHERE m.namespace_id = c.namespace_id AND m.collection_id = c.id)
     WHERE c.namespace_id = $1 AND c.id = $2`,
    [project.namespace_id, collection.id],
  );
}

/** What a loaded database says about itself, in its comment. */
interface Marker {
  scaleData: 1;
  /** Absent in the first markers written: both. */
  sides?: ScaleSides;
  sizes: ScaleSizes;
  migrations: string[];
  loadSeconds: number;
  loadedAt: string;
}

async function readMarker(client: pg.ClientBase): Promise<Marker | null> {
  const { rows } = await client.query<{ comment: string | null }>(
    `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = current_database()`,
  );
  try {
    const marker = JSON.parse(rows[0]?.comment ?? 'null') as Marker | null;
    return marker?.scaleData === 1 ? marker : null;
  } catch {
    return null;
  }
}

async function writeMarker(client: pg.Client, marker: Marker): Promise<void> {
  const { rows } = await client.query<{ name: string }>('SELECT current_database() AS name');
  await client.query(
    `COMMENT ON DATABASE ${client.escapeIdentifier(rows[0].name)} IS ${client.escapeLiteral(JSON.stringify(marker))}`,
  );
}

async function appliedMigrations(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>('SELECT name FROM typeorm_migrations ORDER BY id');
  return rows.map((row) => row.name);
}

/** Which sides a database holds: both, or the small one alone (a reference without big tables beside it). */
export type ScaleSides = 'both' | 'small';

const SMALL_KEYS: (keyof ScaleSizes)[] = ['smallCollections', 'smallDatasets', 'smallMembers', 'smallNamespaces'];

/** Whether a marker describes the data these sizes and sides would load. */
const sameData = (marker: Marker, sizes: ScaleSizes, sides: ScaleSides): boolean =>
  (marker.sides ?? 'both') === sides &&
  (sides === 'small' ? SMALL_KEYS : (Object.keys(DEFAULT_SCALE_SIZES) as (keyof ScaleSizes)[])).every(
    (key) => marker.sizes[key] === sizes[key],
  );

/** The database holds scale data of other sizes, or a load that did not finish: it needs a fresh database. */
export class ScaleDataMismatchError extends Error {
  override name = 'ScaleDataMismatchError';
}

/**
 * Loads both sides (or the small one alone) into a migrated database with no scale data yet (a
 * few INSERT … SELECT each), then VACUUM ANALYZE. Returns the seconds it took.
 */
export async function loadScaleData(
  client: pg.ClientBase,
  sizes: ScaleSizes,
  log: Log = () => undefined,
  sides: ScaleSides = 'both',
): Promise<number> {
  const started = performance.now();
  const layout = scaleLayout(sizes);
  await client.query(`SET synchronous_commit = off`);
  await client.query(`SET maintenance_work_mem = '256MB'`);
  await loadSide(client, layout.small, log);
  if (sides === 'both') await loadSide(client, layout.big, log);
  await timed(log, 'VACUUM ANALYZE', () => client.query('VACUUM ANALYZE'));
  return (performance.now() - started) / 1000;
}

export interface PreparedScaleDatabase {
  layout: ScaleLayout;
  reused: boolean;
  marker: Marker;
}

/**
 * Brings the database at `url` up to date (the service's migrations), then reuses the scale data
 * when the database's comment says it holds these sizes, or loads it into a database that holds
 * none. Throws ScaleDataMismatchError when it holds other scale data or an unfinished load.
 */
export async function prepareScaleDatabase(
  url: string,
  sizes: ScaleSizes,
  log: Log = () => undefined,
  sides: ScaleSides = 'both',
): Promise<PreparedScaleDatabase> {
  Logger.overrideLogger(['error', 'warn']); // migrations' progress is Nest debug chatter
  const database = new ServerDatabase(
    openServerPool({ url, poolSize: 2, connectTimeoutMs: 10_000, statementTimeoutMs: 0 }),
  );
  try {
    await migrate(database, { kind: 'server', url, poolSize: 2, connectTimeoutMs: 10_000, statementTimeoutMs: 0 });
  } finally {
    await database.close();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const layout = scaleLayout(sizes);
    const marker = await readMarker(client);
    if (marker && sameData(marker, sizes, sides)) return { layout, reused: true, marker };
    const { rowCount } = await client.query(`SELECT 1 FROM namespace WHERE slug IN ($1, $2)`, [
      layout.small.namespace,
      layout.big.namespace,
    ]);
    if (marker || rowCount) {
      throw new ScaleDataMismatchError(
        marker
          ? `the database holds other scale data (${marker.sides ?? 'both'} sides, ${JSON.stringify(marker.sizes)})`
          : 'the database holds scale data from a load that did not finish',
      );
    }
    const migrations = await appliedMigrations(client);
    log(`loading scale data (${sides === 'both' ? 'both sides' : 'the small side alone'}, ${JSON.stringify(sizes)})…`);
    const loadSeconds = await loadScaleData(client, sizes, log, sides);
    const loadedAt = new Date().toISOString();
    const loaded: Marker = { scaleData: 1, sides, sizes, migrations, loadSeconds, loadedAt };
    await writeMarker(client, loaded);
    return { layout, reused: false, marker: loaded };
  } finally {
    await client.end();
  }
}

// Run directly: load (or reuse) the data in the database given as the argument.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [url, sides] = process.argv.slice(2);
  if (!url || (sides !== undefined && sides !== 'small')) {
    console.error('usage: node dist/scripts/scale-data.js <postgres://…> [small]   (sizes from SCALE_* variables)');
    process.exit(2);
  }
  prepareScaleDatabase(url, scaleSizesFromEnv(), console.log, sides === 'small' ? 'small' : 'both').then(
    ({ reused, marker }) =>
      console.log(
        reused ? `reused the data loaded ${marker.loadedAt}` : `loaded in ${marker.loadSeconds.toFixed(0)} s`,
      ),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
