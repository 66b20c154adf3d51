import pg from 'pg';
import { ids } from './fixture.js';
import { Child } from './ipc.js';
import {
  Api,
  childScript,
  createDatabase,
  databaseUrl,
  dropDatabase,
  serviceEnv,
  tokenFor,
  type BenchDatabase,
} from './setup.js';
import { fmt, markdownTable, ms, percentile, size } from './stats.js';

/*
 * Frozen dataset versions at scale (issue 16), through HTTP on a fresh server database: a small
 * dataset (2 collections of 10 members) and a big one (10 collections of VERSION_MEMBERS / 10, 2,000,000
 * by default), each frozen; then 1,000 members of the big one changed and frozen again (the diff),
 * then VERSION_LATER_CHANGES more changes (removes and adds) before an old version's page is read
 * beside the live one. Storage per version is read from the tables (pg_column_size of its rows).
 */

const BATCH = 100_000;

/** p50 and p99 of `n` sequential sends (after one warm-up); fails on a status other than `status`. */
async function timed(api: Api, method: string, path: string, n: number, status = 200, body?: () => unknown) {
  const latencies: number[] = [];
  for (let i = 0; i <= n; i++) {
    const answer = await api.send(method, path, body?.());
    if (answer.status !== status) throw new Error(`${method} ${path} → ${answer.status} ${answer.text.slice(0, 200)}`);
    if (i > 0) latencies.push(answer.ms);
  }
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Markdown lines: the figures issue 16 asks for. */
export async function versionFigures(port: number, log: (line: string) => void): Promise<string[]> {
  const members = Number(process.env.VERSION_MEMBERS ?? 2_000_000);
  const later = Number(process.env.VERSION_LATER_CHANGES ?? 1_000_000);
  const name = `bench_versions_${process.pid}_${Date.now()}`;
  await createDatabase(name);
  const db: BenchDatabase = {
    kind: 'server',
    url: databaseUrl(name),
    label: 'server',
    cleanup: () => dropDatabase(name),
  };
  const service = await Child.start(childScript('service-child'), {
    name: 'service for the version figures',
    env: serviceEnv(db, port, 10, { DB_STATEMENT_TIMEOUT_MS: '0' }),
  });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const api = new Api(service.ready.url as string, tokenFor('bench-versions-user'));
    await api.call('POST', '/namespaces', { slug: 'v' });
    await api.call('POST', '/namespaces/v/projects', { name: 'p', slug: 'p' });
    const base = '/namespaces/v/projects/p';
    const dataset = async (dsName: string, collections: number, each: number) => {
      await api.call('POST', `${base}/datasets`, { name: dsName });
      for (let c = 0; c < collections; c++) {
        const cName = `${dsName}-c${c}`;
        await api.call('POST', `${base}/collections`, { name: cName });
        for (let from = 0; from < each; from += BATCH) {
          await api.call('POST', `${base}/collections/${cName}/members`, {
            add: ids(`${cName}-n`, Math.min(BATCH, each - from), from),
          });
        }
      }
      await api.call('POST', `${base}/datasets/${dsName}/collections`, {
        add: Array.from({ length: collections }, (_, c) => `${dsName}-c${c}`),
      });
    };
    log(`  versions: loading a dataset of 20 members and one of ${fmt(members)}`);
    await dataset('small', 2, 10);
    await dataset('big', 10, members / 10);

    const freezes = 5;
    log('  versions: freezes');
    const freezeSmall = await timed(api, 'POST', `${base}/datasets/small/versions`, freezes, 201, () => ({}));
    const freezeBig = await timed(api, 'POST', `${base}/datasets/big/versions`, freezes, 201, () => ({}));
    const bigV1 = 1;

    // 1,000 members changed (500 removed, 500 added) in one collection, then frozen.
    const c0 = 'big-c0';
    await api.call('DELETE', `${base}/collections/${c0}/members`, { remove: ids(`${c0}-n`, 500) });
    await api.call('POST', `${base}/collections/${c0}/members`, { add: ids(`${c0}-new`, 500) });
    const frozen = await api.call<{ version: number }>('POST', `${base}/datasets/big/versions`, {});
    log('  versions: diff of two versions 1,000 members apart');
    const diff = await timed(
      api,
      'GET',
      `${base}/datasets/big/versions/${frozen.version - 1}/diff/${frozen.version}`,
      20,
    );
    const diffPage = await timed(
      api,
      'GET',
      `${base}/datasets/big/versions/${frozen.version - 1}/diff/${frozen.version}/collections/${c0}?limit=100`,
      20,
    );

    // Storage per version: the version's own rows (dataset_version, version_collection, version_tag).
    const bytes = async (dsName: string) => {
      const { rows } = await client.query<{ bytes: string; versions: string }>(
        `SELECT (SELECT sum(pg_column_size(v.*)) FROM dataset_version v WHERE v.dataset_id = d.id)
              + coalesce((SELECT sum(pg_column_size(c.*)) FROM version_collection c WHERE c.dataset_id = d.id), 0) AS bytes,
                (SELECT count(*) FROM dataset_version v WHERE v.dataset_id = d.id) AS versions
           FROM dataset d WHERE d.name = $1 AND d.deleted_at IS NULL`,
        [dsName],
      );
      return Number(rows[0].bytes) / Number(rows[0].versions);
    };
    const smallBytes = await bytes('small');
    const bigBytes = await bytes('big');

    // `later` more changes on c1: rounds of removing half its members and adding as many new ones
    // (each round removes what the one before added), then a page of version 1 beside the live one.
    log(`  versions: ${fmt(later)} later changes, then an old version's member page`);
    const c1 = 'big-c1';
    const each = members / 10;
    const half = each / 2;
    let gone = ids(`${c1}-n`, half);
    for (let round = 0; round < later / (2 * half); round++) {
      const added = ids(`${c1}-later${round}`, half);
      for (let from = 0; from < half; from += BATCH) {
        await api.call('DELETE', `${base}/collections/${c1}/members`, { remove: gone.slice(from, from + BATCH) });
        await api.call('POST', `${base}/collections/${c1}/members`, { add: added.slice(from, from + BATCH) });
      }
      gone = added;
    }
    const middle = Math.floor(each / 50 / 2);
    const oldPage = await timed(
      api,
      'GET',
      `${base}/datasets/big/versions/${bigV1}/collections/${c1}/members?page=${middle}&pageSize=50`,
      20,
    );
    const livePage = await timed(api, 'GET', `${base}/collections/${c1}/members?page=${middle}&pageSize=50`, 20);
    const after = `${c1}-n-${half + Math.floor(half / 2)}`;
    const oldCursor = await timed(
      api,
      'GET',
      `${base}/datasets/big/versions/${bigV1}/collections/${c1}/members?after=${after}&limit=100`,
      20,
    );
    const liveCursor = await timed(api, 'GET', `${base}/collections/${c1}/members?after=${after}&limit=100`, 20);

    const row = (what: string, t: { p50: number; p99: number }, note = ''): string[] => [
      what,
      ms(t.p50),
      ms(t.p99),
      note,
    ];
    return [
      `### Versions (issue 16): PostgreSQL server, through HTTP`,
      '',
      markdownTable(
        ['operation', 'p50 ms', 'p99 ms', 'note'],
        [
          row('freeze: dataset of 20 members in 2 collections', freezeSmall),
          row(
            `freeze: dataset of ${fmt(members)} members in 10 collections`,
            freezeBig,
            `${fmt(freezeBig.p50 / freezeSmall.p50, 1)}× the small freeze`,
          ),
          row('diff of two versions 1,000 members apart', diff),
          row('diff member page (100) of that collection', diffPage),
          row(`version 1 member page (page ${middle}) after ${fmt(later)} later changes`, oldPage),
          row('live member page, same position', livePage, `old / live ${fmt(oldPage.p50 / livePage.p50, 1)}×`),
          row('version 1 cursor page (100) after those changes', oldCursor),
          row('live cursor page (100)', liveCursor, `old / live ${fmt(oldCursor.p50 / liveCursor.p50, 1)}×`),
        ],
        ['l', 'r', 'r', 'l'],
      ),
      '',
      `Storage per version (its rows in dataset_version and version_collection): ${size(smallBytes)} for ` +
        `20 members in 2 collections, ${size(bigBytes)} for ${fmt(members)} in 10: it grows with collections, ` +
        `not members (removed members move to member_history, shared by every version).`,
      '',
    ];
  } finally {
    await client.end();
    await service.stop();
    await db.cleanup();
  }
}
