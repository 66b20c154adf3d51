import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createFixture, readRoutes, selectRoutes, type ReadRoute } from './bench/fixture.js';
import { Child } from './bench/ipc.js';
import { captureRoute, measure, type Captured, type Measured } from './bench/measure.js';
import {
  Api,
  assertPortFree,
  benchDatabase,
  childScript,
  cleanupOnce,
  envNumber,
  machine,
  serviceEnv,
  tokenFor,
  type BenchDatabase,
} from './bench/setup.js';
import { fmt } from './bench/stats.js';
import { otherPackages, readProfile, summarize, summaryTable, type Window } from './profile-summary.js';

/*
 * `npm run profile`: the service runs under `node --cpu-prof` while the benchmark's load hits GET
 * collection, GET dataset and GET dataset list (one after the other, each after a warm-up); then
 * the bare node:http + pg server does the same on the same SQL, also profiled. Each profile is
 * summarized by package (scripts/profile-summary.ts) over each route's measured run only, as self
 * time per request. Profiles go to profiles/<time>/ (git-ignored), with the tables as summary.md.
 *
 *   PROFILE_ROUTES (collection,dataset,datasets)  route keys, as BENCH_ROUTES in `npm run bench`
 *   PROFILE_SECONDS (5) a route  PROFILE_INTERVAL_US (250) sampling interval
 *   BENCH_DATABASE_URL / DATABASE_URL, BENCH_CONNECTIONS (32), BENCH_POOL_SIZE (10), BENCH_WARMUP (1)
 *   BENCH_PORT (4110)  the service listens on +1, the bare server on +2
 */

const SECONDS = envNumber('PROFILE_SECONDS', 5);
const WARMUP = envNumber('BENCH_WARMUP', 1);
const CONNECTIONS = envNumber('BENCH_CONNECTIONS', 32);
const POOL_SIZE = envNumber('BENCH_POOL_SIZE', 10);
const INTERVAL_US = envNumber('PROFILE_INTERVAL_US', 250);
const PORT = envNumber('BENCH_PORT', 4110);

const log = (message: string): void => void process.stderr.write(`${message}\n`);
/** Now on the monotonic clock V8's profiles use, in µs (the same in every process of the machine). */
const nowMicros = (): number => Number(process.hrtime.bigint() / 1000n);

const profileFlags = (dir: string, name: string): string[] => [
  '--cpu-prof',
  `--cpu-prof-dir=${dir}`,
  `--cpu-prof-name=${name}`,
  `--cpu-prof-interval=${INTERVAL_US}`,
];

interface Run {
  route: ReadRoute;
  window: Window;
  result: Measured;
}

/** Warms up, then runs the measured load on each route, noting when each started and ended. */
async function profiledRuns(
  load: Child,
  server: Child,
  base: string,
  headers: Record<string, string>,
  routes: ReadRoute[],
): Promise<Run[]> {
  const runs: Run[] = [];
  for (const route of routes) {
    log(`  ${route.label}`);
    const spec = { url: base + route.path, headers };
    if (WARMUP > 0) await measure(load, spec, { connections: CONNECTIONS, seconds: WARMUP, warmup: 0 });
    const start = nowMicros();
    const result = await measure(load, spec, { connections: CONNECTIONS, seconds: SECONDS, warmup: 0 }, server);
    const end = nowMicros();
    const label = route.label.replace(/^GET /, '');
    const cpuMicros = result.cpuPerRequest * result.requests;
    runs.push({ route, result, window: { label, start, end, requests: result.requests, cpuMicros } });
  }
  return runs;
}

function bareChild(db: BenchDatabase, dir: string): Promise<Child> {
  return Child.start(childScript('bare-child'), {
    name: 'bare server',
    execArgv: profileFlags(dir, 'bare.cpuprofile'),
    env: {
      ...process.env,
      BARE_PORT: String(PORT + 2),
      BARE_POOL_SIZE: String(POOL_SIZE),
      ...(db.kind === 'server' ? { BARE_DATABASE_URL: db.url } : { BARE_PGLITE_DIR: db.dataDir }),
    },
  });
}

async function main(): Promise<void> {
  const host = machine();
  await assertPortFree(PORT + 1);
  await assertPortFree(PORT + 2);
  const dir = resolve('profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  const db = await benchDatabase('bench_profile');
  const children: Child[] = [];
  const track = (child: Child): Child => (children.push(child), child);
  const cleanup = cleanupOnce(async () => {
    for (const child of children.reverse()) await child.stop().catch(() => undefined);
    await db.cleanup().catch((error: Error) => log(`cleanup failed: ${error.message}`));
  });
  try {
    log(`database: ${db.label}; profiles in ${dir}`);
    const load = track(await Child.start(childScript('load-child'), { name: 'load generator' }));
    const service = track(
      await Child.start(childScript('service-child'), {
        name: 'service',
        env: serviceEnv(db, PORT + 1, POOL_SIZE),
        execArgv: profileFlags(dir, 'service.cpuprofile'),
      }),
    );
    const sub = `profile-${Date.now().toString(36)}`;
    const api = new Api(service.ready.url as string, tokenFor(sub));
    log('creating the data through the API…');
    const fixture = await createFixture(api, sub);
    const routes = selectRoutes(readRoutes(fixture), process.env.PROFILE_ROUTES ?? 'collection,dataset,datasets');
    const captured = new Map<string, Captured>();
    for (const route of routes) captured.set(route.key, await captureRoute(service, api, route.path));

    log('service, profiled:');
    const serviceRuns = await profiledRuns(load, service, api.base, api.headers, routes);
    await service.stop(); // writes service.cpuprofile

    log('bare server, profiled:');
    const bare = track(await bareChild(db, dir));
    await bare.call('routes', {
      routes: routes.map((route) => ({ path: route.path, statements: captured.get(route.key)?.statements ?? [] })),
    });
    const bareRuns = await profiledRuns(load, bare, bare.ready.url as string, {}, routes);
    await bare.stop(); // writes bare.cpuprofile

    const serviceSummary = summarize(
      readProfile(join(dir, 'service.cpuprofile')),
      serviceRuns.map((run) => run.window),
    );
    const bareSummary = summarize(
      readProfile(join(dir, 'bare.cpuprofile')),
      bareRuns.map((run) => run.window),
    );
    const cpu = (runs: Run[]): number[] => runs.map((run) => run.result.cpuPerRequest);
    const serviceCpu = cpu(serviceRuns);
    const bareCpu = cpu(bareRuns);
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
    const rps = (runs: Run[]): string => runs.map((run) => `${run.window.label} ${fmt(run.result.rps)}`).join(', ');

    const out = [
      `### \`npm run profile\`: ${db.label}, ${CONNECTIONS} connections, ${SECONDS} s a route, ` +
        `sampled every ${INTERVAL_US} µs, ${host}`,
      '',
      `Service, self time per request by package (req/s while profiled: ${rps(serviceRuns)}):`,
      '',
      summaryTable(serviceSummary),
      '',
      `Other packages: ${otherPackages(serviceSummary) || 'none'}.`,
      '',
      `Bare node:http + ${db.kind === 'server' ? 'pg' : 'PGlite'} on the same SQL (req/s while profiled: ${rps(bareRuns)}):`,
      '',
      summaryTable(bareSummary, { showAll: false }),
      '',
      `CPU time per request (/proc, all threads), service / bare: ${routes
        .map((_, i) => `${serviceRuns[i].window.label} ${fmt(serviceCpu[i])} / ${fmt(bareCpu[i])} µs`)
        .join(', ')}; mean ${fmt(mean(serviceCpu))} / ${fmt(mean(bareCpu))} µs ` +
        `(bare / service = ${fmt(mean(bareCpu) / mean(serviceCpu), 2)}).`,
      '',
      `Profiles: ${join(dir, 'service.cpuprofile')}, ${join(dir, 'bare.cpuprofile')} ` +
        '(open in Chrome DevTools → Performance, or summarize again with `node dist/scripts/profile-summary.js <file>`).',
    ].join('\n');
    writeFileSync(join(dir, 'summary.md'), `${out}\n`);
    console.log(out);
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
