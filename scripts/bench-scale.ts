import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { cliBatches } from './bench/cli-batches.js';
import { Child } from './bench/ipc.js';
import { versionFigures } from './bench/versions.js';
import {
  Api,
  assertPortFree,
  childScript,
  cleanupOnce,
  createDatabase,
  databaseExists,
  databaseUrl,
  dropDatabase,
  envNumber,
  machine,
  serviceEnv,
  tokenFor,
} from './bench/setup.js';
import { fmt, markdownTable, ms, percentile, size } from './bench/stats.js';
import {
  DEFAULT_SCALE_SIZES,
  prepareScaleDatabase,
  SCALE_TAG,
  SCALE_WORD,
  ScaleDataMismatchError,
  scaleNodeId,
  scaleSizesFromEnv,
  type PreparedScaleDatabase,
  type ScaleSide,
  type ScaleSides,
  type ScaleSizes,
} from './scale-data.js';

/*
 * `npm run bench:scale`: the same reads on a small project and on a big one (scripts/scale-data.ts),
 * through HTTP against the built service in a child process: p50/p99 of each, the ratio big/small,
 * and the service's RSS (sampled every 100 ms from /proc) while it sends the big member collection
 * whole. The small project is read twice: in a database of its own (the reference the ratio is
 * taken to) and beside the big one (a small tenant must not pay for a big neighbour). The data
 * stays in the databases for the next run with the same sizes.
 *
 *   SCALE_COLLECTIONS (1,000,000) SCALE_DATASETS (300,000) SCALE_MEMBERS (2,000,000) SCALE_NAMESPACES (200,000)
 *   SCALE_SMALL_COLLECTIONS (1,000) SCALE_SMALL_DATASETS (300) SCALE_SMALL_MEMBERS (1,000) SCALE_SMALL_NAMESPACES (10)
 *   SCALE_DATABASE_URL  a database to load both sides into / reuse; default bench_scale[_<sizes hash>] on
 *                       the local server, created when missing and re-created when it holds other or
 *                       unfinished data; SCALE_SMALL_DATABASE_URL the same for the small side alone
 *                       (default bench_scale_small[_<hash>])
 *   SCALE_RELOAD=1      drop and load the default databases again
 *   SCALE_REQUESTS (30) timed requests a read at most, SCALE_READ_SECONDS (10) a read at most (at least 3 requests)
 *   BENCH_PORT (4120)   the services listen on +1 (both sides) and +2 (the small side alone), +3 (CLI batches)
 *   SCALE_ONLY=cli      only the DreamLake CLI's big batches (scripts/bench/cli-batches.ts), on a fresh
 *                       server database and a fresh embedded one; SCALE_ONLY=versions only the figures of
 *                       frozen versions (scripts/bench/versions.ts: VERSION_MEMBERS, VERSION_LATER_CHANGES)
 */

const REQUESTS = envNumber('SCALE_REQUESTS', 30);
const READ_SECONDS = envNumber('SCALE_READ_SECONDS', 10);
const MIN_REQUESTS = 3;
const PORT = envNumber('BENCH_PORT', 4120);
/** Big/small p50 ratio a read must stay within (issue 6's bar). */
const WITHIN = 3;

const log = (message: string): void => void process.stderr.write(`${message}\n`);

/** The default database for these sizes and sides: the plain name for the default sizes, else one per size set. */
function defaultDatabaseName(sizes: ScaleSizes, sides: ScaleSides): string {
  const keys = (Object.keys(DEFAULT_SCALE_SIZES) as (keyof ScaleSizes)[]).filter(
    (key) => sides === 'both' || key.startsWith('small'),
  );
  const name = sides === 'both' ? 'bench_scale' : 'bench_scale_small';
  if (keys.every((key) => sizes[key] === DEFAULT_SCALE_SIZES[key])) return name;
  const relevant = Object.fromEntries(keys.map((key) => [key, sizes[key]]));
  return `${name}_${createHash('sha1').update(JSON.stringify(relevant)).digest('hex').slice(0, 10)}`;
}

async function scaleDatabase(
  sizes: ScaleSizes,
  sides: ScaleSides,
): Promise<{ url: string; prepared: PreparedScaleDatabase }> {
  const given = sides === 'both' ? process.env.SCALE_DATABASE_URL : process.env.SCALE_SMALL_DATABASE_URL;
  if (given) return { url: given, prepared: await prepareScaleDatabase(given, sizes, log, sides) };
  const name = defaultDatabaseName(sizes, sides);
  const url = databaseUrl(name);
  if (process.env.SCALE_RELOAD === '1') await dropDatabase(name);
  if (!(await databaseExists(name))) await createDatabase(name);
  try {
    return { url, prepared: await prepareScaleDatabase(url, sizes, log, sides) };
  } catch (error) {
    if (!(error instanceof ScaleDataMismatchError)) throw error;
    log(`${name}: ${error.message}; loading it again`);
    await dropDatabase(name);
    await createDatabase(name);
    return { url, prepared: await prepareScaleDatabase(url, sizes, log, sides) };
  }
}

interface Read {
  label: string;
  method: 'GET' | 'DELETE';
  path: string;
  body?: unknown;
}

/** The reads, for one side: what the path names differs, the request shapes do not. */
function readsOf(side: ScaleSide): Read[] {
  const project = `/namespaces/${side.namespace}/projects/${side.project}`;
  const members = `${project}/collections/${side.memberCollection}/members`;
  const absent = Array.from({ length: 1000 }, (_, i) => `absent-${i}`);
  const late = Math.max(1, side.members - 200);
  return [
    { label: 'collections list, page 1', method: 'GET', path: `${project}/collections` },
    { label: 'collections `sort=name`', method: 'GET', path: `${project}/collections?sort=name` },
    {
      label: `collections \`q=${SCALE_WORD}\` (a tenth match)`,
      method: 'GET',
      path: `${project}/collections?q=${SCALE_WORD}`,
    },
    {
      label: `collections \`tag=${SCALE_TAG}\` (a tenth match)`,
      method: 'GET',
      path: `${project}/collections?tag=${SCALE_TAG}`,
    },
    { label: 'collections deep page (`page=20`, offset 950)', method: 'GET', path: `${project}/collections?page=20` },
    { label: 'datasets list, page 1', method: 'GET', path: `${project}/datasets` },
    { label: 'datasets `sort=name`', method: 'GET', path: `${project}/datasets?sort=name` },
    { label: `datasets \`q=${SCALE_WORD}\``, method: 'GET', path: `${project}/datasets?q=${SCALE_WORD}` },
    { label: `datasets \`tag=${SCALE_TAG}\``, method: 'GET', path: `${project}/datasets?tag=${SCALE_TAG}` },
    { label: 'member page 1', method: 'GET', path: members },
    {
      label: 'member cursor page after an early id (#10)',
      method: 'GET',
      path: `${members}?after=${scaleNodeId(10)}&limit=100`,
    },
    {
      label: 'member cursor page after a late id (n − 200)',
      method: 'GET',
      path: `${members}?after=${scaleNodeId(late)}&limit=100`,
    },
    { label: 'batch remove of 1,000 absent ids', method: 'DELETE', path: members, body: { remove: absent } },
    { label: '`GET /me`', method: 'GET', path: '/me' },
    { label: '`GET /namespaces`', method: 'GET', path: '/namespaces' },
    { label: 'project `GET` (counts)', method: 'GET', path: project },
  ];
}

interface Timing {
  n: number;
  p50: number;
  p99: number;
  /** Statuses other than 2xx, if any. */
  failures: string[];
  bytes: number;
}

/** One warm-up request, then sequential timed requests until REQUESTS or READ_SECONDS (at least 3). */
async function time(api: Api, read: Read): Promise<Timing> {
  const failures: string[] = [];
  const note = (status: number, text: string): void => {
    if (status >= 300) failures.push(`${status} ${text.slice(0, 120)}`);
  };
  const warm = await api.send(read.method, read.path, read.body);
  note(warm.status, warm.text);
  const latencies: number[] = [];
  const started = performance.now();
  while (
    latencies.length < MIN_REQUESTS ||
    (latencies.length < REQUESTS && performance.now() - started < READ_SECONDS * 1000)
  ) {
    const answer = await api.send(read.method, read.path, read.body);
    note(answer.status, answer.text);
    latencies.push(answer.ms);
  }
  latencies.sort((a, b) => a - b);
  return {
    n: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failures: [...new Set(failures)],
    bytes: Buffer.byteLength(warm.text),
  };
}

interface FullGet {
  bytes: number;
  ms: number;
  rssBefore: number;
  rssPeak: number;
  status: number;
}

/** GET of the whole member collection, read as a stream, with the service's RSS every 100 ms. */
async function fullGet(api: Api, service: Child, side: ScaleSide): Promise<FullGet> {
  const path = `/namespaces/${side.namespace}/projects/${side.project}/collections/${side.memberCollection}`;
  const rssBefore = service.rssBytes();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, service.rssBytes())), 100);
  const started = performance.now();
  let bytes = 0;
  let status = 0;
  try {
    const response = await fetch(api.base + path, { headers: api.headers });
    status = response.status;
    if (response.body) for await (const chunk of response.body) bytes += (chunk as Uint8Array).byteLength;
  } finally {
    clearInterval(sampler);
  }
  rssPeak = Math.max(rssPeak, service.rssBytes());
  return { bytes, ms: performance.now() - started, rssBefore, rssPeak, status };
}

function startService(url: string, port: number): Promise<Child> {
  return Child.start(childScript('service-child'), {
    name: `service on ${url.replace(/.*\//, '')}`,
    env: serviceEnv({ kind: 'server', url, label: '', cleanup: () => Promise.resolve() }, port, 10, {
      DB_STATEMENT_TIMEOUT_MS: '0',
    }),
  });
}

const loadNote = ({ reused, marker }: PreparedScaleDatabase): string =>
  reused
    ? `reused (loaded ${marker.loadedAt} in ${marker.loadSeconds.toFixed(0)} s)`
    : `loaded in ${marker.loadSeconds.toFixed(0)} s`;

async function main(): Promise<void> {
  const host = machine();
  await assertPortFree(PORT + 1);
  await assertPortFree(PORT + 2);
  await assertPortFree(PORT + 3);
  const only = process.env.SCALE_ONLY;
  const cli =
    only === undefined || only === 'cli'
      ? [
          "### The DreamLake CLI's big batches on databases never analyzed",
          '',
          markdownTable(['engine', 'batch', 'answer', 'ms'], await cliBatches(PORT + 3, log), ['l', 'l', 'l', 'r']),
          '',
        ]
      : [];
  const versions = only === undefined || only === 'versions' ? await versionFigures(PORT + 3, log) : [];
  if (only !== undefined) {
    console.log([...cli, ...versions].join('\n'));
    return;
  }
  const sizes = scaleSizesFromEnv();
  const started = performance.now();
  const bothDb = await scaleDatabase(sizes, 'both');
  log(`both sides: ${loadNote(bothDb.prepared)}`);
  const aloneDb = await scaleDatabase(sizes, 'small');
  log(`small side alone: ${loadNote(aloneDb.prepared)}`);
  const { layout } = bothDb.prepared;

  const children: Child[] = [];
  const cleanup = cleanupOnce(async () => {
    for (const child of children.reverse()) await child.stop().catch(() => undefined);
  });
  try {
    const service = await startService(bothDb.url, PORT + 1);
    children.push(service);
    const reference = await startService(aloneDb.url, PORT + 2);
    children.push(reference);
    const apis = {
      alone: new Api(reference.ready.url as string, tokenFor(layout.small.user)),
      small: new Api(service.ready.url as string, tokenFor(layout.small.user)),
      big: new Api(service.ready.url as string, tokenFor(layout.big.user)),
    };
    const smallReads = readsOf(layout.small);
    const bigReads = readsOf(layout.big);
    const rows: string[][] = [];
    let over = 0;
    for (const [i, read] of smallReads.entries()) {
      log(`  ${read.label}`);
      const alone = await time(apis.alone, read);
      const small = await time(apis.small, read);
      const big = await time(apis.big, bigReads[i]);
      const ratio = big.p50 / alone.p50;
      const neighbour = small.p50 / alone.p50;
      if (!(ratio <= WITHIN)) over++;
      const failures = [
        ...alone.failures.map((f) => `small alone: ${f}`),
        ...small.failures.map((f) => `small: ${f}`),
        ...big.failures.map((f) => `big: ${f}`),
      ];
      rows.push([
        read.label + (failures.length > 0 ? ` (!) ${failures.join('; ')}` : ''),
        `${ms(alone.p50)} / ${ms(alone.p99)}`,
        `${ms(small.p50)} / ${ms(small.p99)}`,
        `${ms(big.p50)} / ${ms(big.p99)}`,
        `**${fmt(ratio, 1)}×**${ratio <= WITHIN ? '' : ' ✗'}`,
        `${fmt(neighbour, 1)}×${neighbour <= WITHIN ? '' : ' ✗'}`,
        `${alone.n} / ${small.n} / ${big.n}`,
        `${size(alone.bytes)} / ${size(big.bytes)}`,
      ]);
    }

    // Each full GET on a service just started (and warmed by one small read), so the reads above
    // (GET /me of the big caller builds megabytes) have not grown its heap already.
    log('  full GET of the member collections, each on a service started afresh');
    const fresh = async (url: string, port: number, api: Api, side: ScaleSide): Promise<FullGet> => {
      const index = children.findIndex((child) => child.ready.url === api.base);
      await children[index].stop();
      const child = await startService(url, port);
      children[index] = child;
      await api.send('GET', `/namespaces/${side.namespace}/projects/${side.project}`);
      return fullGet(api, child, side);
    };
    const smallFull = await fresh(aloneDb.url, PORT + 2, apis.alone, layout.small);
    const bigFull = await fresh(bothDb.url, PORT + 1, apis.big, layout.big);
    const fullRow = (side: ScaleSide, full: FullGet): string[] => [
      `${side.label}: ${fmt(side.members)} members${full.status === 200 ? '' : ` (!) status ${full.status}`}`,
      size(full.bytes),
      ms(full.ms),
      size(full.rssBefore),
      size(full.rssPeak),
      `+${size(full.rssPeak - full.rssBefore)}`,
    ];

    const n = (value: number): string => fmt(value);
    const out = [
      `### \`npm run bench:scale\`: PostgreSQL server, ${host}`,
      '',
      `Big: ${n(sizes.collections)} collections and ${n(sizes.datasets)} datasets in the project, ` +
        `a collection of ${n(sizes.members)} members, the caller in ${n(sizes.namespaces)} namespaces. ` +
        `Small: ${n(sizes.smallCollections)} collections, ${n(sizes.smallDatasets)} datasets, ` +
        `${n(sizes.smallMembers)} members, ${n(sizes.smallNamespaces)} namespaces, read in a database of its own ` +
        `and beside the big one. One client, sequential requests after one warm-up (at most ${REQUESTS} or ` +
        `${READ_SECONDS} s a read). Data: both sides ${loadNote(bothDb.prepared)}, small alone ${loadNote(aloneDb.prepared)}.`,
      '',
      markdownTable(
        [
          'read',
          'small alone p50 / p99 ms',
          'small beside big',
          'big p50 / p99 ms',
          'big / small alone (p50)',
          'small beside big / alone',
          'requests',
          'answer small / big',
        ],
        rows,
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
      '',
      `${over === 0 ? 'Every read' : `${rows.length - over} of ${rows.length} reads`} within ${WITHIN}× of the small ` +
        `project's at p50${over === 0 ? '.' : ' (✗: beyond).'}`,
      '',
      'Full GET of the member collection, on a service just started (its RSS from /proc every 100 ms):',
      '',
      markdownTable(
        ['collection', 'answer', 'ms', 'RSS before', 'RSS peak', 'growth'],
        [fullRow(layout.small, smallFull), fullRow(layout.big, bigFull)],
        ['l', 'r', 'r', 'r', 'r', 'r'],
      ),
      '',
      `(run took ${fmt((performance.now() - started) / 1000)} s; databases kept for the next run: ` +
        `${[bothDb.url, aloneDb.url].map((url) => url.replace(/:[^:@/]*@/, ':***@')).join(', ')})`,
    ];
    console.log([...out, '', ...cli, ...versions].join('\n'));
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
