import { performance } from 'node:perf_hooks';
import type { PreparedRoute } from './bench/bare-child.js';
import { createFixture, readRoutes, selectRoutes, type Fixture, type ReadRoute } from './bench/fixture.js';
import { Child } from './bench/ipc.js';
import {
  captureRoute,
  measure,
  measureAlternating,
  problems,
  settle,
  type Captured,
  type LoadOptions,
  type Measured,
} from './bench/measure.js';
import {
  Api,
  assertPortFree,
  benchDatabase,
  childScript,
  cleanupOnce,
  envFlag,
  envNumber,
  machine,
  serviceEnv,
  tokenFor,
  type BenchDatabase,
} from './bench/setup.js';
import { fmt, markdownTable, ms, size } from './bench/stats.js';

/*
 * `npm run bench`: each main read's throughput and latency through the service, beside the bare
 * ceiling on the same SQL (node:http + pg sending the statements the service sent for that route,
 * captured with Database.onStatement), in one run; then writes, and with BENCH_BIG=1 (or --big)
 * a big collection. The service, the bare server and the load generator (autocannon) each run in a
 * child process of their own. Tables go to stdout (markdown), progress to stderr.
 *
 *   BENCH_DATABASE_URL / DATABASE_URL  a postgres:// database to use, or memory:// for the embedded
 *                                      engine; unset: a fresh database on the local server, dropped after
 *   BENCH_SECONDS (5)  BENCH_WARMUP (0.5)  BENCH_CONNECTIONS (32)  BENCH_POOL_SIZE (10, both servers)
 *   BENCH_ROUNDS (5)   on a server database the service's and the bare server's BENCH_SECONDS of a route
 *                      are cut into this many rounds, alternating (S B, B S, …), so both see the same
 *                      machine (the embedded engine serves one process: there the service runs first)
 *   BENCH_ROUTES       comma-separated route keys (namespace, project, dataset, collection, datasets,
 *                      collections, projects, namespaces, members-page, members-cursor); default all
 *   BENCH_WRITES (1)   0 skips the write figures
 *   BENCH_BIG (0)      1 adds the big-collection figures; BENCH_MEMBERS (1,000,000) its size
 *   BENCH_PORT (4100)  the service listens on +1, the bare server on +2, the bare server that prepares
 *                      its statements on +3 (server database: both ceilings are measured and reported)
 *   BENCH_LOG_LEVEL (info)  the service's LOG_LEVEL (its log goes to /dev/null)
 */

const LOAD: LoadOptions = {
  seconds: envNumber('BENCH_SECONDS', 5),
  warmup: envNumber('BENCH_WARMUP', 0.5),
  connections: envNumber('BENCH_CONNECTIONS', 32),
};
const POOL_SIZE = envNumber('BENCH_POOL_SIZE', 10);
/** Server database: the service's and the bare server's runs of a route alternate in this many rounds. */
const ROUNDS = Math.max(1, Math.round(envNumber('BENCH_ROUNDS', 5)));
const PORT = envNumber('BENCH_PORT', 4100);
const WRITES = (process.env.BENCH_WRITES ?? '1') !== '0';
const BIG = envFlag('BENCH_BIG', '--big');
const BIG_MEMBERS = envNumber('BENCH_MEMBERS', 1_000_000);
const BATCH = 10_000;

const log = (message: string): void => void process.stderr.write(`${message}\n`);

interface ReadResult {
  route: ReadRoute;
  captured: Captured;
  service: Measured;
  bare: Measured | null;
  /** The bare server sending the same statements as named prepared statements (server database only). */
  barePrepared: Measured | null;
  prepared: PreparedRoute | null;
}

function startService(db: BenchDatabase): Promise<Child> {
  return Child.start(childScript('service-child'), { name: 'service', env: serviceEnv(db, PORT + 1, POOL_SIZE) });
}

function startBare(db: BenchDatabase, prepared = false): Promise<Child> {
  return Child.start(childScript('bare-child'), {
    name: prepared ? 'bare server (prepared)' : 'bare server',
    env: {
      ...process.env,
      BARE_PORT: String(PORT + (prepared ? 3 : 2)),
      BARE_PREPARED: prepared ? '1' : '0',
      BARE_POOL_SIZE: String(POOL_SIZE),
      ...(db.kind === 'server' ? { BARE_DATABASE_URL: db.url } : { BARE_PGLITE_DIR: db.dataDir }),
    },
  });
}

async function prepareBare(
  bare: Child,
  routes: ReadRoute[],
  captured: Map<string, Captured>,
): Promise<PreparedRoute[]> {
  return bare.call<PreparedRoute[]>('routes', {
    routes: routes.map((route) => ({ path: route.path, statements: captured.get(route.key)?.statements ?? [] })),
  });
}

function readTable(results: ReadResult[]): string {
  const rows = results.map(({ route, captured, service, bare, barePrepared }) => {
    const trouble = [problems(service), bare ? problems(bare) : '', barePrepared ? problems(barePrepared) : '']
      .filter(Boolean)
      .join('; ');
    return [
      route.label + (trouble ? ` (!) ${trouble}` : ''),
      fmt(captured.perRequest, 2),
      fmt(service.rps),
      `${ms(service.p50)} / ${ms(service.p99)}`,
      fmt(service.cpuPerRequest),
      bare ? fmt(bare.rps) : '—',
      bare ? `${ms(bare.p50)} / ${ms(bare.p99)}` : '—',
      bare ? fmt(bare.cpuPerRequest) : '—',
      bare ? `**${fmt(service.rps / bare.rps, 2)}**` : '—',
      bare ? fmt(bare.cpuPerRequest / service.cpuPerRequest, 2) : '—',
      barePrepared ? fmt(barePrepared.rps) : '—',
      barePrepared ? `${ms(barePrepared.p50)} / ${ms(barePrepared.p99)}` : '—',
      barePrepared ? `**${fmt(service.rps / barePrepared.rps, 2)}**` : '—',
    ];
  });
  return markdownTable(
    [
      'read',
      'statements / request',
      'service req/s',
      'p50 / p99 ms',
      'CPU µs / request',
      'bare req/s',
      'bare p50 / p99 ms',
      'bare CPU µs / request',
      'req/s service / bare',
      'CPU bare / service',
      'prepared bare req/s',
      'prepared bare p50 / p99 ms',
      'req/s service / prepared bare',
    ],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

function bodyTable(results: ReadResult[]): string {
  return markdownTable(
    ['read', 'service body', 'bare body', 'bare writes'],
    results.map(({ route, captured, prepared }) => [
      route.label,
      size(captured.bytes),
      prepared ? size(prepared.bytes) : '—',
      prepared
        ? prepared.body.column === null
          ? 'the whole row, JSON.stringify'
          : `column \`${prepared.body.column}\`, ${prepared.body.kind === 'text' ? 'text as it is' : 'JSON.stringify'}`
        : '—',
    ]),
    ['l', 'r', 'r', 'l'],
  );
}

async function writeFigures(service: Child, load: Child, api: Api, f: Fixture): Promise<string> {
  const writes = [
    {
      label: 'POST dataset',
      path: `${f.writes}/datasets`,
      method: 'POST' as const,
      bodyTemplate: '{"name":"w{seq}"}',
    },
    {
      label: 'POST collection members (add 10 new ids)',
      path: `${f.writes}/collections/w/members`,
      method: 'POST' as const,
      bodyTemplate: JSON.stringify({ add: Array.from({ length: 10 }, (_, i) => `w{seq}-${i}`) }),
    },
  ];
  const rows: string[][] = [];
  for (const write of writes) {
    log(`  ${write.label}`);
    // Statements a request sends, over sequential requests once the service is quiet.
    await settle(service);
    const before = await service.call<number>('statements');
    const probes = 10;
    for (let i = 0; i < probes; i++) {
      const answer = await api.send(
        write.method,
        write.path,
        JSON.parse(write.bodyTemplate.replaceAll('{seq}', `probe${i}`)),
      );
      if (answer.status >= 300) throw new Error(`${write.label} → ${answer.status} ${answer.text.slice(0, 200)}`);
    }
    const perRequest = ((await service.call<number>('statements')) - before) / probes;
    const result = await measure(
      load,
      {
        url: api.base + write.path,
        method: write.method,
        headers: { ...api.headers, 'content-type': 'application/json' },
        bodyTemplate: write.bodyTemplate,
      },
      LOAD,
    );
    const trouble = problems(result);
    rows.push([
      write.label + (trouble ? ` (!) ${trouble}` : ''),
      fmt(perRequest, 2),
      fmt(result.rps),
      `${ms(result.p50)} / ${ms(result.p99)}`,
    ]);
  }
  return markdownTable(['write (service only)', 'statements / request', 'req/s', 'p50 / p99 ms'], rows, [
    'l',
    'r',
    'r',
    'r',
  ]);
}

async function bigFigures(service: Child, api: Api, f: Fixture): Promise<string> {
  const collection = `${f.big}/collections/big`;
  await api.call('POST', `${f.big}/collections`, { name: 'big' });
  const batches = Math.ceil(BIG_MEMBERS / BATCH);
  const batch = (b: number): string[] => Array.from({ length: BATCH }, (_, i) => `episode-${b}-${i}`);
  let addMs = 0;
  for (let b = 0; b < batches; b++) {
    const answer = await api.send('POST', `${collection}/members`, { add: batch(b) });
    if (answer.status !== 200) throw new Error(`member add → ${answer.status} ${answer.text.slice(0, 200)}`);
    addMs += answer.ms;
    if (b % 20 === 19) log(`  ${fmt((b + 1) * BATCH)} members`);
  }
  const members = batches * BATCH;
  const present = await api.send('POST', `${collection}/members`, { add: batch(0) });

  const baseline = service.rssBytes();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, service.rssBytes())), 100);
  const full = await api.send('GET', collection);
  clearInterval(sampler);
  peak = Math.max(peak, service.rssBytes());
  if (full.status !== 200) throw new Error(`GET big collection → ${full.status}`);

  const head = await api.send('GET', `${collection}?members=false`);
  const cursor = await api.send('GET', `${collection}/members?after=episode-${batches - 1}-5000&limit=1000`);
  const list = await api.send('GET', `${f.big}/collections`);
  return markdownTable(
    [`big collection (${fmt(members)} members), one client`, 'ms'],
    [
      [`add ${fmt(BATCH)} new ids a request (mean of ${batches})`, ms(addMs / batches)],
      [`add ${fmt(BATCH)} ids already present`, ms(present.ms)],
      [
        `GET with all members (${size(Buffer.byteLength(full.text))}; service RSS ${size(baseline)} → peak ${size(peak)})`,
        ms(full.ms),
      ],
      ['GET `members=false`', ms(head.ms)],
      [`member cursor page of 1,000 after #${fmt(members - BATCH + 5001)}`, ms(cursor.ms)],
      ['GET collections list of that project (first 100 members embedded)', ms(list.ms)],
    ],
    ['l', 'r'],
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  const host = machine();
  await assertPortFree(PORT + 1);
  await assertPortFree(PORT + 2);
  await assertPortFree(PORT + 3);
  const db = await benchDatabase('bench');
  const children: Child[] = [];
  const track = (child: Child): Child => (children.push(child), child);
  const cleanup = cleanupOnce(async () => {
    for (const child of children.reverse()) await child.stop().catch(() => undefined);
    await db.cleanup().catch((error: Error) => log(`cleanup failed: ${error.message}`));
  });
  try {
    log(`database: ${db.label}`);
    const load = track(await Child.start(childScript('load-child'), { name: 'load generator' }));
    let service = track(await startService(db));
    const sub = `bench-${Date.now().toString(36)}`;
    const api = new Api(service.ready.url as string, tokenFor(sub));
    log('creating the data through the API…');
    const fixture = await createFixture(api, sub);
    const routes = selectRoutes(readRoutes(fixture), process.env.BENCH_ROUTES);

    const captured = new Map<string, Captured>();
    for (const route of routes) captured.set(route.key, await captureRoute(service, api, route.path));

    const results: ReadResult[] = routes.map((route) => ({
      route,
      captured: captured.get(route.key) as Captured,
      service: undefined as unknown as Measured,
      bare: null,
      barePrepared: null,
      prepared: null,
    }));
    const spec = (base: string, route: ReadRoute) => ({ url: base + route.path, headers: api.headers });

    if (db.kind === 'server') {
      // Both servers up; the rounds of one route alternate between them.
      // Two ceilings: the bare server sending the service's statements unnamed (parsed and planned
      // each time), and sending them as named prepared statements (planned once per connection).
      const bare = track(await startBare(db));
      const barePrepared = track(await startBare(db, true));
      const prepared = await prepareBare(bare, routes, captured);
      await prepareBare(barePrepared, routes, captured);
      // The processes' first minutes under load compile their hot paths: warm them on every route first.
      for (const route of routes) {
        for (const base of [api.base, bare.ready.url as string, barePrepared.ready.url as string]) {
          await measure(load, spec(base, route), { ...LOAD, seconds: Math.min(0.5, LOAD.seconds), warmup: 0 });
        }
      }
      for (const [i, result] of results.entries()) {
        log(`  ${result.route.label}`);
        result.prepared = prepared[i];
        [result.service, result.bare, result.barePrepared] = await measureAlternating(
          load,
          [
            { spec: spec(api.base, result.route), server: service },
            { spec: spec(bare.ready.url as string, result.route), server: bare },
            { spec: spec(barePrepared.ready.url as string, result.route), server: barePrepared },
          ],
          { ...LOAD, rounds: ROUNDS },
        );
      }
      await bare.stop();
      await barePrepared.stop();
    } else {
      // One process at a time can open the embedded database: the service's runs, then the bare server's.
      for (const result of results) {
        log(`  service: ${result.route.label}`);
        result.service = await measure(load, spec(api.base, result.route), LOAD, service);
      }
      await service.stop();
      const bare = track(await startBare(db));
      const prepared = await prepareBare(bare, routes, captured);
      for (const [i, result] of results.entries()) {
        log(`  bare: ${result.route.label}`);
        result.prepared = prepared[i];
        result.bare = await measure(load, spec(bare.ready.url as string, result.route), LOAD, bare);
      }
      await bare.stop();
      if (WRITES || BIG) service = track(await startService(db));
    }

    const out: string[] = [
      `### \`npm run bench\`: ${db.label}, ${LOAD.connections} connections, ${LOAD.seconds} s a route ` +
        `for each server${db.kind === 'server' && ROUNDS > 1 ? ` in ${ROUNDS} alternating rounds` : ''} ` +
        `(after ${LOAD.warmup} s of warm-up), pool of ${POOL_SIZE} in both servers, ${host}`,
      '',
      readTable(results),
      '',
      'What the bare server wrote (the service sent the same statement for each route):',
      '',
      bodyTable(results),
    ];
    if (WRITES) {
      log('writes…');
      out.push('', await writeFigures(service, load, api, fixture));
    }
    if (BIG) {
      log(`big collection (${fmt(BIG_MEMBERS)} members)…`);
      out.push('', await bigFigures(service, api, fixture));
    }
    out.push('', `(run took ${fmt((performance.now() - started) / 1000)} s)`);
    console.log(out.join('\n'));
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
