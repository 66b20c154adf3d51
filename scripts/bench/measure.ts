import type { Child } from './ipc.js';
import type { LoadResult, LoadSpec } from './load-child.js';
import type { CapturedStatement } from './service-child.js';
import type { Api } from './setup.js';
import { percentile } from './stats.js';

export interface LoadOptions {
  connections: number;
  seconds: number;
  /** Seconds of load before the measured run, not counted. */
  warmup: number;
}

export interface Measured extends LoadResult {
  /** All answers, whatever their status. */
  requests: number;
  /** CPU time (user + system, all threads) the measured server used per request, µs; NaN when not measured. */
  cpuPerRequest: number;
}

/**
 * Runs the load child against `spec.url` (a warm-up first), and returns the measured run, with
 * the CPU time `server` (the child process answering) used for it per request.
 */
export async function measure(
  load: Child,
  spec: Omit<LoadSpec, 'connections' | 'seconds'>,
  options: LoadOptions,
  server?: Child,
): Promise<Measured> {
  if (options.warmup > 0) {
    await load.call<LoadResult>('run', {
      spec: { ...spec, connections: options.connections, seconds: options.warmup },
    });
  }
  const cpuBefore = server?.cpuMicros() ?? NaN;
  const result = await load.call<LoadResult>('run', {
    spec: { ...spec, connections: options.connections, seconds: options.seconds },
  });
  const cpuAfter = server?.cpuMicros() ?? NaN;
  const requests = result.ok + Object.values(result.otherStatuses).reduce((a, b) => a + b, 0);
  return { ...result, requests, cpuPerRequest: requests > 0 ? (cpuAfter - cpuBefore) / requests : NaN };
}

/** One side of an alternating measurement: what to load and the process answering it. */
export interface Side {
  spec: Omit<LoadSpec, 'connections' | 'seconds'>;
  server: Child;
}

/**
 * Measures two or more servers on the same route in alternating rounds (A B, B A, A B, …), each
 * round `seconds / rounds` long, after a warm-up of each, so that a change in what else the
 * machine runs weighs on all of them alike. Returns one merged result per side.
 */
export async function measureAlternating(
  load: Child,
  sides: Side[],
  options: LoadOptions & { rounds: number },
): Promise<Measured[]> {
  const { connections, rounds } = options;
  if (options.warmup > 0) {
    for (const side of sides) {
      await load.call<LoadResult>('run', { spec: { ...side.spec, connections, seconds: options.warmup } });
    }
  }
  const runs: { result: LoadResult; cpu: number }[][] = sides.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = sides.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const side = sides[i];
      const cpuBefore = side.server.cpuMicros();
      const result = await load.call<LoadResult>('run', {
        spec: { ...side.spec, connections, seconds: options.seconds / rounds, keepLatencies: true },
      });
      runs[i].push({ result, cpu: side.server.cpuMicros() - cpuBefore });
    }
  }
  return runs.map((parts) => {
    const latencies = Float64Array.from(parts.flatMap(({ result }) => [...(result.latencies ?? [])])).sort();
    const otherStatuses: Record<string, number> = {};
    for (const { result } of parts) {
      for (const [status, count] of Object.entries(result.otherStatuses)) {
        otherStatuses[status] = (otherStatuses[status] ?? 0) + count;
      }
    }
    const sum = (pick: (part: { result: LoadResult; cpu: number }) => number): number =>
      parts.reduce((total, part) => total + pick(part), 0);
    const ok = sum((part) => part.result.ok);
    const requests = ok + Object.values(otherStatuses).reduce((a, b) => a + b, 0);
    const seconds = sum((part) => part.result.seconds);
    const sorted = Array.from(latencies);
    return {
      ok,
      otherStatuses,
      errors: sum((part) => part.result.errors),
      timeouts: sum((part) => part.result.timeouts),
      seconds,
      rps: ok / seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      bytes: ok > 0 ? sum((part) => part.result.bytes * part.result.ok) / ok : 0,
      requests,
      cpuPerRequest: requests > 0 ? sum((part) => part.cpu) / requests : NaN,
    };
  });
}

export interface Captured {
  /** The statements one request sent, with their parameters. */
  statements: CapturedStatement[];
  /** Statements a request sends, counted over several sequential requests. */
  perRequest: number;
  /** Body bytes of the service's answer. */
  bytes: number;
}

/** The SQL and parameters the service sends for `path` (Database.onStatement), and how many a request. */
export async function captureRoute(service: Child, api: Api, path: string, method = 'GET'): Promise<Captured> {
  await service.call('captureStart');
  const answer = await api.send(method, path);
  const statements = await service.call<CapturedStatement[]>('captureStop');
  if (answer.status !== 200) throw new Error(`${method} ${path} → ${answer.status} ${answer.text.slice(0, 300)}`);
  const before = await service.call<number>('statements');
  const probes = 10;
  for (let i = 0; i < probes; i++) await api.send(method, path);
  const after = await service.call<number>('statements');
  return { statements, perRequest: (after - before) / probes, bytes: Buffer.byteLength(answer.text) };
}

/**
 * Waits until the service has sent no statement for a while: a load run ends with requests still
 * queued in the service, and they must not count for what follows.
 */
export async function settle(service: Child, quietMs = 300): Promise<void> {
  let last = await service.call<number>('statements');
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = await service.call<number>('statements');
    if (now === last) return;
    last = now;
  }
}

/** A short note when a run had answers other than 2xx, or errors. */
export function problems(result: LoadResult): string {
  const other = Object.entries(result.otherStatuses)
    .map(([status, count]) => `${count}× ${status}`)
    .join(', ');
  const parts = [
    other,
    result.errors > 0 ? `${result.errors} errors` : '',
    result.timeouts ? `${result.timeouts} timeouts` : '',
  ];
  return parts.filter(Boolean).join(', ');
}
