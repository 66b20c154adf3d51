import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { createApp } from '#src/app.js';
import { signToken } from '#src/auth/tokens.js';
import { loadConfig } from '#src/config/config.js';
import { Database } from '#src/database/database.js';

/*
 * `npm run bench`: latency and throughput of the main routes, statements per request, and the
 * cost of big collections (10,000 ids a request, a 1,000,000-member collection), in one process
 * against the embedded database, or against DATABASE_URL when it is set.
 *   BENCH_SECONDS (default 3) per route, BENCH_CONCURRENCY (default 16), BENCH_MEMBERS (default 1000000)
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const BIG = Number(process.env.BENCH_MEMBERS ?? 1_000_000);

interface Result {
  route: string;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  statementsPerRequest: number;
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main(): Promise<void> {
  const config = loadConfig({
    DATABASE_URL: process.env.DATABASE_URL ?? 'memory://',
    JWT_SECRET: 'bench-secret',
    LOG_LEVEL: 'error',
    DB_POOL_SIZE: String(CONCURRENCY),
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const counter = app.get(Database);
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const auth = { authorization: `Bearer ${signToken(config.jwt, { sub: 'bench' }, '1h')}` };
  const json = { ...auth, 'content-type': 'application/json' };

  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? auth : json,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as unknown;
  }

  const run = `b${Date.now().toString(36)}`;
  await call('POST', '/namespaces', { slug: run });
  const project = `/namespaces/${run}/projects/bench`;
  await call('POST', `/namespaces/${run}/projects`, { name: 'bench' });
  await call('POST', `${project}/datasets`, { name: 'ds' });
  for (let i = 0; i < 50; i++) {
    await call('POST', `${project}/collections`, {
      name: `c${i}`,
      members: Array.from({ length: 200 }, (_, j) => `n${i}-${j}`),
    });
  }
  await call('POST', `${project}/datasets/ds/collections`, { add: ['c0', 'c1', 'c2', 'c3', 'c4'] });

  let seq = 0;
  const routes: [string, () => Promise<unknown>][] = [
    ['GET /me', () => call('GET', '/me')],
    ['GET /namespaces/:slug', () => call('GET', `/namespaces/${run}`)],
    ['GET …/projects/:projectSlug', () => call('GET', project)],
    ['POST …/datasets', () => call('POST', `${project}/datasets`, { name: `d${seq++}` })],
    ['GET …/datasets (page of 50)', () => call('GET', `${project}/datasets`)],
    ['GET …/datasets/:name (5 collections, 1000 members)', () => call('GET', `${project}/datasets/ds`)],
    ['GET …/collections (page of 50, 100 members each)', () => call('GET', `${project}/collections`)],
    ['GET …/collections/:name (200 members)', () => call('GET', `${project}/collections/c10`)],
    [
      'POST …/collections/:name/members (10 new ids)',
      () => call('POST', `${project}/collections/c20/members`, { add: Array.from({ length: 10 }, () => `m${seq++}`) }),
    ],
    ['GET …/collections/:name/members?limit=100', () => call('GET', `${project}/collections/c10/members?limit=100`)],
  ];

  const results: Result[] = [];
  for (const [route, fn] of routes) {
    const latencies: number[] = [];
    counter.statements = 0;
    const end = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < end) {
          const start = performance.now();
          await fn();
          latencies.push(performance.now() - start);
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    results.push({
      route,
      requests: latencies.length,
      rps: Math.round(latencies.length / SECONDS),
      p50: +percentile(latencies, 50).toFixed(2),
      p95: +percentile(latencies, 95).toFixed(2),
      p99: +percentile(latencies, 99).toFixed(2),
      statementsPerRequest: +(counter.statements / latencies.length).toFixed(2),
    });
  }
  console.log(`\nRoutes (${SECONDS}s each, ${CONCURRENCY} concurrent clients, ${config.database.kind} database), ms:`);
  console.table(results);

  // Big collections: 10,000 ids a request up to BIG members, then read them back.
  await call('POST', `${project}/collections`, { name: 'big' });
  const batches = Math.ceil(BIG / 10_000);
  let start = performance.now();
  for (let b = 0; b < batches; b++) {
    await call('POST', `${project}/collections/big/members`, {
      add: Array.from({ length: 10_000 }, (_, i) => `episode-${b}-${i}`),
    });
  }
  const addMs = performance.now() - start;
  start = performance.now();
  const dup = (await call('POST', `${project}/collections/big/members`, {
    add: Array.from({ length: 10_000 }, (_, i) => `episode-0-${i}`),
  })) as { added: number; total: number };
  const dupMs = performance.now() - start;
  start = performance.now();
  const res = await fetch(`${base}${project}/collections/big`, { headers: auth });
  const bodyBytes = (await res.arrayBuffer()).byteLength;
  const getMs = performance.now() - start;
  start = performance.now();
  await call('GET', `${project}/collections/big?members=false`);
  const headMs = performance.now() - start;
  start = performance.now();
  await call('GET', `${project}/collections/big/members?after=episode-${batches - 1}-5000&limit=1000`);
  const cursorMs = performance.now() - start;
  start = performance.now();
  await call('GET', `${project}/collections`);
  const listMs = performance.now() - start;
  const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);

  console.log(`\nBig collection (${batches * 10_000} members):`);
  console.table([
    { what: `add 10,000 new ids (mean of ${batches} requests)`, ms: +(addMs / batches).toFixed(1) },
    { what: `add 10,000 present ids (added ${dup.added}, total ${dup.total})`, ms: +dupMs.toFixed(1) },
    { what: `GET with all members (${(bodyBytes / 2 ** 20).toFixed(1)} MiB)`, ms: +getMs.toFixed(1) },
    { what: 'GET members=false', ms: +headMs.toFixed(1) },
    { what: 'GET members cursor page (1000, deep)', ms: +cursorMs.toFixed(1) },
    { what: 'GET collections list (embeds first 100 members)', ms: +listMs.toFixed(1) },
  ]);
  console.log(`Process RSS after the run (server and load generator): ${rssMb} MiB`);
  await app.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
