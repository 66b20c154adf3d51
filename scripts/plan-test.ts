import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { prepareScaleDatabase, scaleNodeId, scaleSizesFromEnv, SCALE_TAG } from './scale-data.js';
import { catalog, type Fixture } from './sql-catalog.js';

/*
 * The plan test (issue 6): on a server database loaded with generate_series (200,000 collections
 * and 50,000 datasets in one project, a collection of 1,000,000 members, a user in 100,000
 * namespaces, by default), every list, page, cursor and batch statement of sql/ is run under
 * EXPLAIN (ANALYZE, BUFFERS) in a transaction that is rolled back, and the test fails when one
 * reads more buffers than its budget; so is every prepared statement (the GETs of one thing, member pages), in
 * the generic plan the service's connections reuse. Buffers, not milliseconds: the figure does not depend on
 * how busy the machine is.
 *
 *   node dist/scripts/plan-test.js <postgres://… a database to load, or holding this load already>
 */

/** Buffers a statement may read: a page of 50 with its JSON, the scope lookups, a few index descents. */
const BUDGET = 400;
/** Statements whose work grows with what they must show, not with the table. */
const BUDGETS: Record<string, number> = {
  // 50 collections, each with its first 100 members (5,000 member rows, ~2 buffers per collection).
  'CollectionsRepository.list': 700,
  // Offset 950: the rows skipped are read (deep pages may cost O(offset); cursors do not).
  'CollectionsRepository.list (sort=-updatedAt, page 20)': 1500,
  'DatasetsRepository.list (sort=name, page 3)': 700,
  // A rare word found through the trigram index (its matches, then the page).
  'CollectionsRepository.list (q)': 800,
  // A batch of 50 ids: a primary-key probe each, on a 1,000,000-member collection.
  'CollectionsRepository.addMembers': 1000,
  'CollectionsRepository.removeMembers': 1000,
};

interface PlanNode {
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  'Temp Read Blocks'?: number;
  'Temp Written Blocks'?: number;
}

/** A parameter as an SQL literal of unknown type (arrays in PostgreSQL's array syntax), for EXECUTE. */
function literal(client: pg.Client, value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
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
  } = await client.query<{ id: string; name: string }>(
    `SELECT d.id, d.name FROM dataset d JOIN project p ON p.namespace_id = d.namespace_id AND p.id = d.project_id
     WHERE p.slug = $1 AND d.name LIKE 'd0000001-%'`,
    [big.project],
  );
  const fixture: Fixture = {
    user: big.user,
    requestId: 'plan-test',
    slug: big.namespace,
    projectSlug: big.project,
    dataset: dataset.name,
    collection: big.memberCollection,
    member: scaleNodeId(10),
    tag: SCALE_TAG,
    // A substring of one name in 200,000: a filter's total is counted through its index, so the
    // test holds q to a rare word (a common one costs what its matches cost).
    word: 'c0000123',
    datasetId: dataset.id,
    trashId: randomUUID(),
    batch: 50,
    version: 1,
    laterVersion: 2,
  };
  const rows: string[][] = [];
  let failed = 0;
  for (const statements of Object.values(await catalog(fixture))) {
    for (const { name, sql, params, scaled, prepared } of statements) {
      if (!scaled && !prepared) continue;
      await client.query('BEGIN');
      try {
        // As on the service's connections (openServerPool).
        await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
        await client.query('SET LOCAL jit = off');
        // A prepared statement runs its generic plan (planned once, for any parameters): that plan
        // is the one measured, forced, on the big project.
        let explained = `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`;
        if (prepared) {
          await client.query('SET LOCAL plan_cache_mode = force_generic_plan');
          await client.query(`PREPARE planned AS ${sql}`);
          // EXPLAIN EXECUTE takes no bind parameters: the values go in as literals, typed by PREPARE.
          const args = params.map((value) => literal(client, value)).join(', ');
          explained = `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE planned(${args})`;
        }
        const { rows: plan } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] }>(
          explained,
          prepared ? [] : params,
        );
        const [{ Plan: top, 'Execution Time': ms }] = plan[0]['QUERY PLAN'];
        const buffers = top['Shared Hit Blocks'] + top['Shared Read Blocks'] + (top['Temp Read Blocks'] ?? 0);
        const budget = BUDGETS[name] ?? BUDGET;
        const ok = buffers <= budget;
        if (!ok) failed++;
        rows.push([
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
    }
  }
  await client.end();
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i].length), 8));
  const line = (r: string[]) => `| ${r.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(['statement', 'buffers', 'budget', 'ms', 'result']));
  for (const row of rows) console.log(line(row));
  if (failed > 0) {
    console.error(`${failed} statement(s) read more buffers than their budget`);
    process.exit(1);
  }
  console.log(`all ${rows.length} list, page, cursor, batch and prepared statements within their buffer budgets`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
