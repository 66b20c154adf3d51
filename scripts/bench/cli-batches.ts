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
 * collection, 5,000 collections linked to a dataset. One request each, timed from the client;
 * the answer must be 200 with the exact counts. Part of `npm run bench:scale`.
 */

/** Rows for the table: engine, batch, status and counts, ms. */
export async function cliBatches(port: number, log: (line: string) => void): Promise<string[][]> {
  const rows: string[][] = [];
  const name = `bench_cli_${process.pid}_${Date.now()}`;
  const engines: (() => Promise<BenchDatabase>)[] = [
    async () => {
      await createDatabase(name);
      return { kind: 'server', url: databaseUrl(name), label: 'PostgreSQL server', cleanup: () => dropDatabase(name) };
    },
    () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
      const cleanup = () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true }));
      return Promise.resolve({ kind: 'embedded', dataDir, label: 'embedded (PGlite)', cleanup });
    },
  ];
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

      await api.call('POST', `${base}/collections`, { name: 'big', members: ids('n', 100_000) });
      await api.call('POST', `${base}/collections/big/members`, { add: ids('n', 50_000, 100_000) });
      const remove = ids('n', 100_000).filter((_, i) => i % 2 === 1);
      await timed('remove 50,000 ids from a collection of 150,000', 'DELETE', `${base}/collections/big/members`, {
        remove,
      });

      await api.call('POST', `${base}/collections`, { name: 'fresh' });
      await timed('add 100,000 ids to a fresh collection', 'POST', `${base}/collections/fresh/members`, {
        add: ids('f', 100_000),
      });

      await api.call('POST', `${base}/datasets`, { name: 'linked' });
      const names = ids('c', 5_000);
      for (let i = 0; i < names.length; i += 50) {
        await Promise.all(names.slice(i, i + 50).map((n) => api.call('POST', `${base}/collections`, { name: n })));
      }
      await timed('link 5,000 collections to a dataset', 'POST', `${base}/datasets/linked/collections`, {
        add: names,
      });
    } finally {
      await service.stop();
      await db.cleanup();
    }
  }
  return rows;
}
