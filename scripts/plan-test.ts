import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { CollectionsRepository } from '#src/collections/collections.repository.js';
import type { NamedAt } from '#src/common/target.js';
import { DatasetsRepository } from '#src/datasets/datasets.repository.js';
import { VersionsRepository } from '#src/versions/versions.repository.js';
import { ids } from './bench/fixture.js';
import { prepareScaleDatabase, scaleNodeId, scaleSizesFromEnv, SCALE_TAG } from './scale-data.js';
import { catalog, render, type Fixture, type Statement } from './sql-catalog.js';

/*
 * The plan test (issues 6 and 14): on a server database loaded with generate_series (200,000
 * collections and 50,000 datasets in one project, a collection of 1,000,000 members, a user in
 * 100,000 namespaces, by default), every list, page, cursor and batch statement of sql/ is run
 * under EXPLAIN (ANALYZE, BUFFERS) in a transaction that is rolled back, and the test fails when
 * one reads more buffers than its budget; so is every prepared statement (the GETs of one thing,
 * member pages) in the generic plan the service's connections reuse. Every statement is checked
 * on the big project and again on the small one beside it (10 collections) in the same database:
 * one generic plan serves both, so both must be bound. It runs twice: first with the
 * tables' statistics missing (as before any ANALYZE: a fresh table, autovacuum off or late), then
 * after ANALYZE; the budgets hold in both. Besides the catalogue's statements it checks the shapes
 * the DreamLake CLI sends: a remove of 50,000 ids from a collection of 150,000 created in the same
 * transaction, an add of 100,000 ids to a fresh collection, a link and an unlink of 5,000 collections. Buffers,
 * not milliseconds: the figure does not depend on how busy the machine is.
 *
 *   node dist/scripts/plan-test.js <postgres://… a database to load, or holding this load already>
 *     [--explain '<name pattern>']  print the text plans of the matching checks instead of judging them
 *     [--no-statistics]             only the pass without statistics
 */

/** Buffers a statement may read: a page of 50 with its JSON, the scope lookups, a few index descents. */
const BUDGET = 400;
/** Statements whose work grows with what they must show or change, not with the table. */
const BUDGETS: Record<string, number> = {
  // 50 collections, each with its first 100 members (5,000 member rows, ~2 buffers per collection).
  'CollectionsRepository.list': 700,
  'CollectionsRepository.list (tag)': 700,
  'CollectionsRepository.list (two tags)': 800,
  'CollectionsRepository.list (datasetId)': 700,
  'CollectionsRepository.list (standalone)': 700,
  // Offset 950: the rows skipped are read (deep pages may cost O(offset); cursors do not).
  'CollectionsRepository.list (sort=-updatedAt, page 20)': 1500,
  'DatasetsRepository.list (sort=name, page 3)': 700,
  // A rare word found through the trigram index (its matches, then the page).
  'CollectionsRepository.list (q)': 800,
  // A batch of 50 ids: a primary-key probe each, on a 1,000,000-member collection.
  'CollectionsRepository.addMembers': 1000,
  'CollectionsRepository.addMembers (Idempotency-Key)': 1200,
  'CollectionsRepository.removeMembers': 1000,
  // The versions' history: 2,000 changes (1,000 removed, 1,000 added) between the two versions
  // are read whole for the counts and merged by node id for a page: O(changes), not O(members).
  'VersionsRepository.diff': 20_000,
  'VersionsRepository.diff (with working)': 15_000,
  'VersionsRepository.diffMembers': 10_000,
  'VersionsRepository.diffMembers (with working, after a cursor)': 6_000,
};

/**
 * Where no statistics exist yet the planner believes any equality on the project selects a few
 * rows, so a text search or a search by several tags reads the project's name index and filters
 * (matchesFirst cannot make it prefer the trigram or tags index): linear in the project (about
 * 7,000 buffers for 200,000 collections, 10,000 on a freshly loaded table), never in
 * rows × ids, and back to the budgets above after the first ANALYZE. A user in 100,000 namespaces
 * has their memberships sorted once (a top-N heapsort) for the same reason.
 */
const NO_STATISTICS_BUDGETS: Record<string, number> = {
  'CollectionsRepository.list (q)': 12_000,
  'CollectionsRepository.list (two tags)': 12_000,
  'DatasetsRepository.list (q)': 3_000,
  'NamespacesRepository.list': 3_500,
};

/** The CLI's shapes: their budget grows with the ids they carry (a few buffers per id), never with the table. */
const PER_ID = 20;

interface PlanNode {
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  'Temp Read Blocks'?: number;
  'Temp Written Blocks'?: number;
}

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
  const [unlink] = await render(DatasetsRepository, (r) =>
    r.unlink(at('cli-unlinked', 'Dataset'), ids('cli-unlink', 5_000), 'writer', null),
  );
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
    {
      // Without MATERIALIZED, a never-analyzed table let the planner drive the UPDATE from the
      // dataset's collections (estimated 1) and probe every name for each: 25,000,000 probes.
      name: 'CLI: unlink 5,000 collections linked in the same transaction',
      setup: [
        `INSERT INTO dataset (namespace_id, project_id, name) VALUES ('${namespaceId}', '${projectId}', 'cli-unlinked')`,
        `INSERT INTO collection (namespace_id, project_id, name, dataset_id)
         SELECT d.namespace_id, d.project_id, 'cli-unlink-' || g, d.id FROM dataset d, generate_series(0, 4999) g
         WHERE d.namespace_id = '${namespaceId}' AND d.project_id = '${projectId}' AND d.name = 'cli-unlinked' AND d.deleted_at IS NULL`,
      ],
      statement: unlink,
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
  // The same statements on the small project of the same database (10 collections, 2 datasets, a
  // 10-member collection): a prepared statement's one generic plan must be bound on both, and an
  // unprepared one planned for a tiny project must not pick a plan that only a big one would make cheap.
  const small = layout.small;
  const smallStatements: Statement[] = Object.values(
    await catalog({
      ...fixture,
      user: small.user,
      slug: small.namespace,
      projectSlug: small.project,
      collection: small.memberCollection,
      word: 'c0000003',
    }),
  )
    .flat()
    .filter((s) => s.scaled || s.prepared)
    .map((s) => ({ ...s, name: `${s.name} [small project]` }));
  const shapes = await cliShapes(fixture, dataset.namespace_id, dataset.project_id);

  const rows: string[][] = [];
  let failed = 0;
  const pattern = process.argv.indexOf('--explain');
  const explainOnly = pattern > 0 ? new RegExp(process.argv[pattern + 1] ?? '.') : null;
  const check = async (
    state: string,
    name: string,
    statement: Statement | Shape['statement'],
    budget: number,
    setup: string[] = [],
  ) => {
    const prepared = 'prepared' in statement && statement.prepared;
    if (explainOnly && !explainOnly.test(name)) return;
    await client.query('BEGIN');
    try {
      // As on the service's connections (openServerPool).
      await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
      await client.query('SET LOCAL jit = off');
      for (const step of setup) await client.query(step);
      // A prepared statement runs its generic plan (planned once, for any parameters): that plan
      // is the one measured, forced, on the big project.
      const options = explainOnly ? 'ANALYZE, BUFFERS, COSTS OFF' : 'ANALYZE, BUFFERS, FORMAT JSON';
      let explained = `EXPLAIN (${options}) ${statement.sql}`;
      if (prepared) {
        await client.query('SET LOCAL plan_cache_mode = force_generic_plan');
        await client.query(`PREPARE planned AS ${statement.sql}`);
        // EXPLAIN EXECUTE takes no bind parameters: the values go in as literals, typed by PREPARE.
        const args = statement.params.map((value) => literal(client, value)).join(', ');
        explained = `EXPLAIN (${options}) EXECUTE planned(${args})`;
      }
      if (explainOnly) {
        const { rows: text } = await client.query<{ 'QUERY PLAN': string }>(
          explained,
          prepared ? [] : statement.params,
        );
        console.log(`==== ${state}: ${name}\n${text.map((r) => r['QUERY PLAN']).join('\n')}`);
        return;
      }
      const { rows: plan } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] }>(
        explained,
        prepared ? [] : statement.params,
      );
      const [{ Plan: top, 'Execution Time': ms }] = plan[0]['QUERY PLAN'];
      const buffers = top['Shared Hit Blocks'] + top['Shared Read Blocks'] + (top['Temp Read Blocks'] ?? 0);
      const ok = buffers <= budget;
      if (!ok) failed++;
      rows.push([
        state,
        `${name}${prepared ? ' (generic plan)' : ''}`,
        String(buffers),
        String(budget),
        ms.toFixed(1),
        ok ? 'ok' : 'OVER',
      ]);
    } finally {
      await client.query('ROLLBACK');
      if (prepared) await client.query('DEALLOCATE ALL');
    }
  };

  const states = process.argv.includes('--no-statistics') ? ['no statistics'] : ['no statistics', 'analyzed'];
  for (const state of states) {
    // A database reused from an earlier run holds the dead rows of its rolled-back shapes: vacuumed
    // first (VACUUM also counts rows, which forgetStatistics then forgets).
    if (state === 'no statistics') {
      if (reused) await client.query('VACUUM');
      await forgetStatistics(client);
    }
    // The first pass's shapes leave dead rows (rolled back) at the hot end of indexes: vacuumed away.
    else await client.query('VACUUM ANALYZE');
    for (const s of statements) {
      const budget = (state === 'no statistics' ? NO_STATISTICS_BUDGETS[s.name] : undefined) ?? BUDGETS[s.name];
      await check(state, s.name, s, budget ?? BUDGET);
    }
    // A small project's budget is the big one's: a plan bound by its page and indexes reads no more
    // there, whatever the statistics (which describe the big project's rows) make the planner expect.
    for (const s of smallStatements) {
      const name = s.name.replace(' [small project]', '');
      const budget = (state === 'no statistics' ? NO_STATISTICS_BUDGETS[name] : undefined) ?? BUDGETS[name];
      await check(state, s.name, s, budget ?? BUDGET);
    }
    for (const shape of shapes) await check(state, shape.name, shape.statement, shape.budget, shape.setup);
  }
  await client.end();
  if (explainOnly) return;
  const widths = [0, 1, 2, 3, 4, 5].map((i) => Math.max(...rows.map((r) => r[i].length), 8));
  const line = (r: string[]) => `| ${r.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(['statistics', 'statement', 'buffers', 'budget', 'ms', 'result']));
  for (const row of rows) console.log(line(row));
  if (failed > 0) {
    console.error(`${failed} statement(s) read more buffers than their budget`);
    process.exit(1);
  }
  console.log(`all ${rows.length} checks within their buffer budgets, without statistics and with them`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
