import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { ms } from './stats.js';

/*
 * The DreamLake CLI's big batches (issue 14), each on a fresh database that was never analyzed (the
 * server's autovacuum is off here, and a real one analyzes late): a collection of 150,000 members
 * made a moment before 50,000 of them are removed in one request, 100,000 ids added to a fresh
 * collection, 5,000 collections linked to a dataset and unlinked again. One request each, timed
 * from the client; the answer must be 200 with the exact counts. Part of `npm run bench:scale`.
 *
 *   SCALE_CLI_ENGINES  server,embedded (default both): the engines to measure, in that order
 *   SCALE_CLI_CASES    remove,add,link (default all): the batches to time (link still creates its
 *                      5,000 collections untimed; remove still builds its collection of 150,000)
 *   SCALE_CLI_ROUNDS   1: each timed batch repeated this many times, each on fresh rows of its own
 */

/** Rows for the table: engine, batch, status and counts, ms. */
export async function cliBatches(port: number, log: (line: string) => void): Promise<string[][]> {
  const rows: string[][] = [];
  const name = `bench_cli_${process.pid}_${Date.now()}`;
  const list = (key: string, all: string[]): string[] => {
    const wanted = (process.env[key] ?? all.join(','))
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    const unknown = wanted.filter((v) => !all.includes(v));
    if (unknown.length > 0) throw new Error(`${key}: unknown ${unknown.join(', ')} (one of ${all.join(', ')})`);
    return wanted;
  };
  const engineNames = list('SCALE_CLI_ENGINES', ['server', 'embedded']);
  const cases = new Set(list('SCALE_CLI_CASES', ['remove', 'add', 'link']));
  const rounds = Math.max(1, Number(process.env.SCALE_CLI_ROUNDS ?? '1') || 1);
  const makers: Record<string, () => Promise<BenchDatabase>> = {
    server: async () => {
      await createDatabase(name);
      return { kind: 'server', url: databaseUrl(name), label: 'PostgreSQL server', cleanup: () => dropDatabase(name) };
    },
    embedded: () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
      const cleanup = () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true }));
      return Promise.resolve({ kind: 'embedded', dataDir, label: 'embedded (PGlite)', cleanup });
    },
  };
  const engines = engineNames.map((engine) => makers[engine]);
  for (const engine of engines) {
    const db = await engine();
    const service = await Child.start(childScript('service-child'), {
      name: `service for the CLI batches (${db.label})`,
      env: serviceEnv(db, port, 10, { DB_STATEMENT_TIMEOUT_MS: '30000' }),
    });
    try {
      log(`  CLI batches on ${db.label}`);
      const api = new Api(service.ready.url as string, tokenFor('bench-cli-user'));
      await api.call('POST', '/namespaces', { slug: 'cli' });
      await api.call('POST', '/namespaces/cli/projects', { name: 'p', slug: 'p' });
      const base = '/namespaces/cli/projects/p';
      const timed = async (batch: string, method: string, path: string, body: unknown): Promise<void> => {
        const answer = await api.send(method, path, body);
        rows.push([db.label, batch, `${answer.status} ${answer.text.slice(0, 60)}`, ms(answer.ms)]);
      };

      for (let round = 0; round < rounds; round++) {
        const r = round === 0 ? '' : `-${round}`;
        if (cases.has('remove')) {
          const n = `n${r}`;
          await api.call('POST', `${base}/collections`, { name: `big${r}`, members: ids(n, 100_000) });
          await api.call('POST', `${base}/collections/big${r}/members`, { add: ids(n, 50_000, 100_000) });
          const remove = ids(n, 100_000).filter((_, i) => i % 2 === 1);
          await timed(
            'remove 50,000 ids from a collection of 150,000',
            'DELETE',
            `${base}/collections/big${r}/members`,
            {
              remove,
            },
          );
        }

        if (cases.has('add')) {
          await api.call('POST', `${base}/collections`, { name: `fresh${r}` });
          await timed('add 100,000 ids to a fresh collection', 'POST', `${base}/collections/fresh${r}/members`, {
            add: ids(`f${r}`, 100_000),
          });
        }

        if (cases.has('link')) {
          await api.call('POST', `${base}/datasets`, { name: `linked${r}` });
          const names = ids(`c${r}`, 5_000);
          for (let i = 0; i < names.length; i += 50) {
            await Promise.all(names.slice(i, i + 50).map((n) => api.call('POST', `${base}/collections`, { name: n })));
          }
          await timed('link 5,000 collections to a dataset', 'POST', `${base}/datasets/linked${r}/collections`, {
            add: names,
          });
          await timed('unlink the 5,000 again', 'DELETE', `${base}/datasets/linked${r}/collections`, { remove: names });
        }
      }
    } finally {
      await service.stop();
      await db.cleanup();
    }
  }
  return rows;
}
