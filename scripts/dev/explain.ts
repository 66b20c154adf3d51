import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { CollectionsRepository } from '#src/collections/collections.repository.js';
import type { NamedAt } from '#src/common/target.js';
import { DatasetsRepository } from '#src/datasets/datasets.repository.js';
import { VersionsRepository } from '#src/versions/versions.repository.js';
import { prepareScaleDatabase, scaleNodeId, scaleSizesFromEnv, SCALE_TAG } from '../scale-data.js';
import { catalog, render, type Fixture, type Statement } from '../sql-catalog.js';

/*
 * A developer's tool beside the plan test: the text plan (EXPLAIN ANALYZE, BUFFERS) of the catalogue's
 * statements whose name matches a pattern, on the plan test's data, optionally without statistics.
 *
 *   node dist/scripts/dev/explain.js <postgres://…> '<name pattern>' [nostats]
 */

/** The CLI's shapes: their budget grows with the ids they carry (a few buffers per id), never with the table. */
const PER_ID = 12;

/** A parameter as an SQL literal of unknown type (arrays in PostgreSQL's array syntax), for EXECUTE. */
function literal(client: pg.Client, value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return client.escapeLiteral(value.toISOString());
  if (Array.isArray(value)) {
    const items = (value as unknown[]).map((item) =>
      item === null
        ? 'NULL'
        : `"${(typeof item === 'string' ? item : JSON.stringify(item)).replace(/["\\]/g, '\\$&')}"`,
    );
    return client.escapeLiteral(`{${items.join(',')}}`);
  }
  if (typeof value === 'string') return client.escapeLiteral(value);
  if (typeof value === 'number' || typeof value === 'boolean') return client.escapeLiteral(String(value));
  return client.escapeLiteral(JSON.stringify(value));
}

/** Tables whose statistics the no-statistics pass removes (every table the statements read). */
const TABLES = [
  'namespace',
  'namespace_member',
  'member_stats',
  'project',
  'dataset',
  'collection',
  'collection_member',
  'member_history',
  'tag_count',
  'idempotency_key',
  'dataset_version',
  'version_collection',
  'version_tag',
  'version_counter',
  'change',
  'change_seq',
  'webhook',
  'webhook_delivery',
];

/**
 * Puts the tables in the state of never having been analyzed: no column statistics, no row count
 * (the planner then estimates from the table's size on disk, as for a table just loaded).
 */
async function forgetStatistics(client: pg.Client): Promise<void> {
  const oids = `(SELECT oid FROM pg_class WHERE relname = ANY($1::text[]) AND relnamespace = 'public'::regnamespace)`;
  await client.query(`DELETE FROM pg_statistic WHERE starelid IN ${oids}`, [TABLES]);
  await client.query(
    `UPDATE pg_class SET reltuples = -1, relpages = 0
     WHERE oid IN ${oids} OR oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN ${oids})`,
    [TABLES],
  );
}

interface Shape {
  name: string;
  /** Rows the shape needs, made in its transaction before it is explained (rolled back after). */
  setup: string[];
  statement: { sql: string; params: unknown[] };
  budget: number;
}

/** The DreamLake CLI's big batches, on collections created in the same transaction. */
async function cliShapes(f: Fixture, namespaceId: string, projectId: string): Promise<Shape[]> {
  const at = (name: string, kind: 'Collection' | 'Dataset'): NamedAt => ({
    userId: f.user,
    requestId: 'plan-test',
    slug: f.slug,
    projectSlug: f.projectSlug,
    kind,
    name,
  });
  const ids = (prefix: string, n: number, from = 0) => Array.from({ length: n }, (_, i) => `${prefix}-${i + from}`);
  const collection = (name: string, members: number) => [
    `INSERT INTO collection (namespace_id, project_id, name, member_count, member_seq, member_gen)
     VALUES ('${namespaceId}', '${projectId}', '${name}', ${members}, ${members}, 1)`,
    `INSERT INTO collection_member (namespace_id, collection_id, node_id, position, added_gen)
     SELECT c.namespace_id, c.id, 'cli-' || g, g + 1, 1 FROM collection c, generate_series(0, ${members - 1}) g
     WHERE c.namespace_id = '${namespaceId}' AND c.name = '${name}' AND c.deleted_at IS NULL`,
  ];
  const everyThird = Array.from({ length: 50_000 }, (_, i) => `cli-${i * 3}`);
  const [remove] = await render(CollectionsRepository, (r) =>
    r.removeMembers(at('cli-remove', 'Collection'), everyThird, 'writer', null),
  );
  const [add] = await render(CollectionsRepository, (r) =>
    r.addMembers(at('cli-add', 'Collection'), ids('new', 100_000), 'writer', null),
  );
  const names = ids('cli-link', 5_000);
  const [link] = await render(DatasetsRepository, (r) => r.link(at('cli-linked', 'Dataset'), names, 'writer', null));
  return [
    {
      name: 'CLI: remove 50,000 ids from a collection of 150,000 made in the same transaction',
      setup: collection('cli-remove', 150_000),
      statement: remove,
      budget: 50_000 * PER_ID,
    },
    {
      name: 'CLI: add 100,000 ids to a fresh collection',
      setup: collection('cli-add', 0),
      statement: add,
      budget: 100_000 * PER_ID,
    },
    {
      name: 'CLI: link 5,000 collections',
      setup: [
        `INSERT INTO dataset (namespace_id, project_id, name) VALUES ('${namespaceId}', '${projectId}', 'cli-linked')`,
        `INSERT INTO collection (namespace_id, project_id, name)
         SELECT '${namespaceId}', '${projectId}', 'cli-link-' || g FROM generate_series(0, 4999) g`,
      ],
      statement: link,
      budget: 5_000 * PER_ID * 4,
    },
  ];
}

/** The dataset the version statements are checked on: the 1,000,000-member collection in it, frozen twice. */
const VERSIONED = 'plan-versions';

/**
 * Makes (once per database) a dataset holding the big collection, freezes it, changes 1,000 of its
 * members (removes 1,000, adds 1,000), freezes it again: versions with history rows to read, sent
 * through the repositories' own statements.
 */
async function versionData(client: pg.Client, f: Fixture): Promise<{ id: string }> {
  const find = () =>
    client.query<{ id: string }>(
      `SELECT d.id FROM dataset d JOIN project p ON p.namespace_id = d.namespace_id AND p.id = d.project_id
       JOIN namespace n ON n.id = p.namespace_id
       WHERE n.slug = $1 AND p.slug = $2 AND d.name = $3 AND d.deleted_at IS NULL`,
      [f.slug, f.projectSlug, VERSIONED],
    );
  const found = await find();
  if (found.rows.length > 0) return found.rows[0];
  const at = (name: string, kind: 'Collection' | 'Dataset'): NamedAt => ({
    userId: f.user,
    requestId: 'plan-test',
    slug: f.slug,
    projectSlug: f.projectSlug,
    kind,
    name,
  });
  const steps = [
    ...(await render(DatasetsRepository, (r) =>
      r.create(at(VERSIONED, 'Dataset'), { name: VERSIONED, description: null, tags: [], metadata: null }, 'writer'),
    )),
    ...(await render(DatasetsRepository, (r) => r.link(at(VERSIONED, 'Dataset'), [f.collection], 'writer', null))),
    ...(await render(VersionsRepository, (r) =>
      r.freeze(at(VERSIONED, 'Dataset'), { message: null, tags: [] }, 'writer'),
    )),
    ...(await render(CollectionsRepository, (r) =>
      r.removeMembers(
        at(f.collection, 'Collection'),
        Array.from({ length: 1000 }, (_, i) => scaleNodeId(i * 500 + 7)),
        'writer',
        null,
      ),
    )),
    ...(await render(CollectionsRepository, (r) =>
      r.addMembers(
        at(f.collection, 'Collection'),
        Array.from({ length: 1000 }, (_, i) => `plan-new-${i}`),
        'writer',
        null,
      ),
    )),
    ...(await render(VersionsRepository, (r) =>
      r.freeze(at(VERSIONED, 'Dataset'), { message: null, tags: ['production'] }, 'writer'),
    )),
  ];
  for (const step of steps) await client.query(step.sql, step.params);
  return (await find()).rows[0];
}

async function main(): Promise<void> {
  const url = process.argv[2] ?? process.env.PLAN_DATABASE_URL;
  if (!url) throw new Error('usage: node dist/scripts/plan-test.js <postgres://…>');
  const sizes = scaleSizesFromEnv({
    SCALE_COLLECTIONS: '200000',
    SCALE_DATASETS: '50000',
    SCALE_MEMBERS: '1000000',
    SCALE_NAMESPACES: '100000',
    SCALE_SMALL_COLLECTIONS: '10',
    SCALE_SMALL_DATASETS: '2',
    SCALE_SMALL_MEMBERS: '10',
    SCALE_SMALL_NAMESPACES: '2',
    ...process.env,
  });
  const started = Date.now();
  const { layout, reused } = await prepareScaleDatabase(url, sizes, (line) => console.log(line));
  console.log(`data ${reused ? 'reused' : `loaded in ${((Date.now() - started) / 1000).toFixed(0)} s`}`);
  const big = layout.big;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const {
    rows: [dataset],
  } = await client.query<{ id: string; name: string; namespace_id: string; project_id: string }>(
    `SELECT d.id, d.name, d.namespace_id, d.project_id FROM dataset d
     JOIN project p ON p.namespace_id = d.namespace_id AND p.id = d.project_id
     WHERE p.slug = $1 AND d.name LIKE 'd0000001-%'`,
    [big.project],
  );
  const base = { user: big.user, slug: big.namespace, projectSlug: big.project, collection: big.memberCollection };
  const versioned = await versionData(client, { ...base } as Fixture);
  const fixture: Fixture = {
    user: big.user,
    requestId: 'plan-test',
    slug: big.namespace,
    projectSlug: big.project,
    dataset: VERSIONED,
    collection: big.memberCollection,
    member: scaleNodeId(10),
    tag: SCALE_TAG,
    // A substring of one name in 200,000: a filter's total is counted through its index, so the
    // test holds q to a rare word (a common one costs what its matches cost).
    word: 'c0000123',
    datasetId: versioned.id,
    trashId: randomUUID(),
    batch: 50,
    version: 1,
    laterVersion: 2,
  };
  const statements: Statement[] = Object.values(await catalog(fixture))
    .flat()
    .filter((s) => s.scaled || s.prepared);
  const shapes = await cliShapes(fixture, dataset.namespace_id, dataset.project_id);

  const filter = new RegExp(process.argv[3] ?? '.');
  if (process.argv[4] === 'nostats') await forgetStatistics(client);
  for (const st of [
    ...statements,
    ...shapes.map((x) => ({
      name: x.name,
      sql: x.statement.sql,
      params: x.statement.params,
      prepared: false,
      scaled: true,
      setup: x.setup,
    })),
  ]) {
    if (!filter.test(st.name)) continue;
    await client.query('BEGIN');
    await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
    await client.query('SET LOCAL jit = off');
    for (const step of (st as { setup?: string[] }).setup ?? []) await client.query(step);
    let explained = `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${st.sql}`;
    if (st.prepared) {
      await client.query('SET LOCAL plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE planned AS ${st.sql}`);
      explained = `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE planned(${st.params.map((v) => literal(client, v)).join(', ')})`;
    }
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(explained, st.prepared ? [] : st.params);
    console.log(`==== ${st.name}`);
    console.log(rows.map((r) => r['QUERY PLAN']).join('\n'));
    await client.query('ROLLBACK');
    if (st.prepared) await client.query('DEALLOCATE ALL');
  }
  await client.end();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
