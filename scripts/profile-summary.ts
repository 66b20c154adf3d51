import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, markdownTable } from './bench/stats.js';

/*
 * Summarizes a V8 CPU profile (`node --cpu-prof`) by package: the self time of every sample is
 * given to the package its function's script belongs to (node_modules/<package>/, dist/src/ for
 * the service's own code, node:… for Node's internals, GC and idle by their pseudo-frames), within
 * time windows (one per benchmarked route), divided by the requests served in the window. Each
 * sample in a window stands for an equal share of the window's wall time.
 *
 * What a sample cannot tell: Node marks the thread idle for the whole of libuv's poll phase, so
 * native work done there before any JavaScript runs (socket reads and writes, TLS, the start of
 * HTTP parsing) counts as idle; and on a loaded machine a thread waiting for a core is sampled as
 * whatever it was doing. So the process's CPU time from /proc is printed beside the samples.
 *
 * Native builtins such as JSON.parse and JSON.stringify have no frame of their own: V8 counts
 * their time to the JavaScript function calling them. So time on a source line that calls
 * JSON.parse or JSON.stringify (the profile's positionTicks, read against the script's source) is
 * counted as "JSON parse/serialize" instead of to that function's package.
 *
 *   node dist/scripts/profile-summary.js <file.cpuprofile> [requests]
 */

interface CallFrame {
  functionName: string;
  url: string;
  scriptId: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  /** µs on the monotonic clock (process.hrtime), like the windows. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A stretch of the profile: one route's measured run. Times in µs on the monotonic clock. */
export interface Window {
  label: string;
  start: number;
  end: number;
  requests: number;
  /** CPU time the process used in the window (user + system, all threads, from /proc), µs, when known. */
  cpuMicros?: number;
}

export const IDLE = '(idle)';
export const JSON_NATIVE = 'JSON.parse / JSON.stringify (native)';

/** Table rows in this order; a category without time in any window is left out unless it is in ALWAYS_SHOWN. */
export const CATEGORIES = [
  'fastify (+ @fastify/*, find-my-way, avvio…)',
  '@nestjs/core + common + platform-fastify (router, guards, pipes, interceptors)',
  'rxjs',
  'passport + passport-jwt (+ @nestjs/passport)',
  'jsonwebtoken (+ jws, jwa)',
  'class-validator (+ validator)',
  'class-transformer',
  'typeorm',
  'pg (+ pg-protocol, pg-pool, pg-types, pg-cursor)',
  'PGlite (JS and WebAssembly)',
  'pino (+ sonic-boom, redact)',
  'prom-client',
  'other packages',
  'service code (dist/src)',
  'benchmark glue (dist/scripts)',
  'node internals (http, net, streams, timers…)',
  JSON_NATIVE,
  'native, no JS frame ((program): libuv, syscalls, HTTP parser, C++)',
  'garbage collector',
] as const;
export type Category = (typeof CATEGORIES)[number] | typeof IDLE;

/** The parts issue 8 asks about are shown even when they cost nothing. */
const OPTIONAL: ReadonlySet<Category> = new Set<Category>([
  'rxjs',
  'PGlite (JS and WebAssembly)',
  'prom-client',
  'other packages',
  'benchmark glue (dist/scripts)',
]);

const PACKAGE_GROUPS: [Category, RegExp][] = [
  [
    CATEGORIES[0],
    /^(fastify|@fastify\/.*|find-my-way|avvio|light-my-request|fast-json-stringify|fast-querystring|fast-uri|fast-decode-uri-component|secure-json-parse|toad-cache|process-warning|rfdc|abstract-logging|@lukeed\/ms|fast-content-type-parse|safe-regex2|ret|fastq|reusify|json-schema-ref-resolver|ajv|ajv-formats|fast-deep-equal|encoding-negotiator|vary|mime|proxy-addr|forwarded|ipaddr\.js|content-disposition)$/,
  ],
  [CATEGORIES[1], /^(@nestjs\/(core|common|platform-fastify|swagger)|reflect-metadata|iterare|uid|tslib|load-esm)$/],
  [CATEGORIES[2], /^rxjs$/],
  [CATEGORIES[3], /^(passport|passport-jwt|passport-strategy|@nestjs\/passport|utils-merge|pause)$/],
  [CATEGORIES[4], /^(jsonwebtoken|jws|jwa|ecdsa-sig-formatter|buffer-equal-constant-time|lodash\.[a-z]+)$/],
  [CATEGORIES[5], /^(class-validator|validator|libphonenumber-js)$/],
  [CATEGORIES[6], /^class-transformer$/],
  [CATEGORIES[7], /^(typeorm|typeorm-pglite)$/],
  [
    CATEGORIES[8],
    /^(pg|pg-protocol|pg-pool|pg-types|pg-cursor|pg-connection-string|pgpass|pg-int8|postgres-array|postgres-bytea|postgres-date|postgres-interval|split2|buffer-writer|packet-reader)$/,
  ],
  [CATEGORIES[9], /^@electric-sql\/pglite$/],
  [
    CATEGORIES[10],
    /^(pino|pino-std-serializers|sonic-boom|fast-redact|@pinojs\/redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free|thread-stream|safe-stable-stringify|real-require|pino-abstract-transport)$/,
  ],
  [CATEGORIES[11], /^(prom-client|tdigest|bintrees)$/],
];

/** The package a script belongs to (the innermost node_modules/<name> of its path), or null. */
export function packageOf(url: string): string | null {
  const match = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return match ? match[1] : null;
}

/** The category of a call frame, by its script's URL (and pseudo-frame names). */
export function categoryOf(frame: Pick<CallFrame, 'url' | 'functionName'>): Category {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(idle)') return IDLE;
    if (functionName === '(garbage collector)') return 'garbage collector';
    // (program), (root) and builtins the profiler names without a script.
    return 'native, no JS frame ((program): libuv, syscalls, HTTP parser, C++)';
  }
  // The embedded engine's PostgreSQL compiled to WebAssembly.
  if (url.startsWith('wasm://')) return 'PGlite (JS and WebAssembly)';
  if (url.startsWith('node:') || !url.includes('/')) return 'node internals (http, net, streams, timers…)';
  const pkg = packageOf(url);
  if (pkg !== null) {
    for (const [category, names] of PACKAGE_GROUPS) if (names.test(pkg)) return category;
    return 'other packages';
  }
  if (url.includes('/dist/src/')) return 'service code (dist/src)';
  if (url.includes('/dist/scripts/')) return 'benchmark glue (dist/scripts)';
  return 'other packages';
}

/** Fraction of a node's self time spent on source lines that call JSON.parse/JSON.stringify. */
function jsonFractions(profile: CpuProfile): Map<number, number> {
  const sources = new Map<string, string[] | null>();
  const linesOf = (url: string): string[] | null => {
    if (!sources.has(url)) {
      let lines: string[] | null = null;
      try {
        const path = url.startsWith('file://') ? fileURLToPath(url) : url;
        if (path.startsWith('/') && existsSync(path)) lines = readFileSync(path, 'utf8').split('\n');
      } catch {
        lines = null;
      }
      sources.set(url, lines);
    }
    return sources.get(url) ?? null;
  };
  const fractions = new Map<number, number>();
  for (const node of profile.nodes) {
    if (!node.positionTicks || node.positionTicks.length === 0 || node.callFrame.url === '') continue;
    const lines = linesOf(node.callFrame.url);
    if (!lines) continue;
    let all = 0;
    let json = 0;
    for (const { line, ticks } of node.positionTicks) {
      all += ticks;
      if (/\bJSON\.(parse|stringify)\s*\(/.test(lines[line - 1] ?? '')) json += ticks;
    }
    if (json > 0 && all > 0) fractions.set(node.id, json / all);
  }
  return fractions;
}

export interface WindowSummary {
  window: Window;
  /** Self time by category, µs. */
  micros: Map<Category, number>;
  /** Self time by package name for 'other packages', µs. */
  others: Map<string, number>;
  /** On-CPU time (all but idle), µs. */
  busy: number;
  idle: number;
}

/** Self time by category in each window. */
export function summarize(profile: CpuProfile, windows: Window[]): WindowSummary[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const json = jsonFractions(profile);
  const summaries: WindowSummary[] = windows.map((window) => ({
    window,
    micros: new Map(),
    others: new Map(),
    busy: 0,
    idle: 0,
  }));
  const add = (summary: WindowSummary, category: Category, micros: number): void => {
    summary.micros.set(category, (summary.micros.get(category) ?? 0) + micros);
  };
  // Sample i was taken at startTime + timeDeltas[0..i]. Each sample of a window stands for an equal
  // part of the window's wall time: on a busy machine the sampler thread is late now and then, and a
  // long gap says nothing about what ran during it.
  const times: number[] = [];
  let time = profile.startTime;
  for (const delta of profile.timeDeltas) times.push((time += delta));
  for (const summary of summaries) {
    const { start, end } = summary.window;
    const inside: number[] = [];
    for (let i = 0; i < times.length; i++) if (times[i] >= start && times[i] < end) inside.push(i);
    if (inside.length === 0) continue;
    const weight = (end - start) / inside.length;
    for (const i of inside) {
      const node = nodes.get(profile.samples[i]);
      if (!node) continue;
      const category = categoryOf(node.callFrame);
      if (category === IDLE) {
        summary.idle += weight;
        add(summary, IDLE, weight);
        continue;
      }
      summary.busy += weight;
      const jsonShare = (json.get(node.id) ?? 0) * weight;
      if (jsonShare > 0) add(summary, JSON_NATIVE, jsonShare);
      add(summary, category, weight - jsonShare);
      if (category === 'other packages') {
        const name = packageOf(node.callFrame.url) ?? node.callFrame.url;
        summary.others.set(name, (summary.others.get(name) ?? 0) + weight - jsonShare);
      }
    }
  }
  return summaries;
}

/**
 * The markdown table: a row per category, a column per window with its self time per request
 * (µs), the mean over the windows and the share of the busy time; then busy, idle and (when
 * measured) the process's CPU time per request. `showAll: false` leaves out every part that cost nothing.
 */
export function summaryTable(summaries: WindowSummary[], { showAll = true } = {}): string {
  const perRequest = (summary: WindowSummary, micros: number): number =>
    summary.window.requests > 0 ? micros / summary.window.requests : NaN;
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  const micros = (value: number): string => fmt(value, value !== 0 && Math.abs(value) < 10 ? 1 : 0);
  const busyMean = mean(summaries.map((summary) => perRequest(summary, summary.busy)));
  const rows: string[][] = [];
  for (const category of CATEGORIES) {
    const values = summaries.map((summary) => perRequest(summary, summary.micros.get(category) ?? 0));
    if ((!showAll || OPTIONAL.has(category)) && values.every((value) => value === 0)) continue;
    const average = mean(values);
    rows.push([category, ...values.map(micros), micros(average), `${fmt((100 * average) / busyMean, 1)}%`]);
  }
  rows.push([
    '**busy (all samples but idle)**',
    ...summaries.map((summary) => `**${fmt(perRequest(summary, summary.busy))}**`),
    `**${fmt(busyMean)}**`,
    '100%',
  ]);
  rows.push([
    'idle (event loop waiting)',
    ...summaries.map((summary) => fmt(perRequest(summary, summary.idle))),
    fmt(mean(summaries.map((summary) => perRequest(summary, summary.idle)))),
    '',
  ]);
  if (summaries.every((summary) => summary.window.cpuMicros !== undefined)) {
    const cpu = summaries.map((summary) => perRequest(summary, summary.window.cpuMicros ?? NaN));
    rows.push(['CPU time, /proc/<pid>/stat (all threads)', ...cpu.map((value) => fmt(value)), fmt(mean(cpu)), '']);
  }
  return markdownTable(
    ['µs per request (self time)', ...summaries.map((summary) => summary.window.label), 'mean', 'share'],
    rows,
    ['l', ...summaries.map(() => 'r' as const), 'r', 'r'],
  );
}

/** The biggest packages counted as 'other packages', for a footnote. */
export function otherPackages(summaries: WindowSummary[], top = 8): string {
  const totals = new Map<string, number>();
  let requests = 0;
  for (const summary of summaries) {
    requests += summary.window.requests;
    for (const [name, micros] of summary.others) totals.set(name, (totals.get(name) ?? 0) + micros);
  }
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, micros]) => `${name} ${fmt(requests > 0 ? (micros * summaries.length) / requests : 0, 1)} µs`)
    .join(', ');
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

// Run directly: summarize one whole profile, per request when a request count is given.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [file, requests] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node dist/scripts/profile-summary.js <file.cpuprofile> [requests]');
    process.exit(2);
  }
  const profile = readProfile(file);
  const window: Window = {
    label: requests ? `${fmt(Number(requests))} requests` : 'whole profile (µs, not per request)',
    start: profile.startTime,
    end: profile.endTime + 1,
    requests: requests ? Number(requests) : 1,
  };
  const summaries = summarize(profile, [window]);
  console.log(summaryTable(summaries));
  const others = otherPackages(summaries);
  if (others) console.log(`\nother packages: ${others}`);
}
