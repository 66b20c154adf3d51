import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { serveParent } from './ipc.js';
import { percentile } from './stats.js';

/*
 * The load generator: autocannon in a child process of its own, so it never shares the measured
 * server's CPU time. Latencies are kept per response (autocannon's histogram rounds to whole ms).
 */

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  /** A body sent as it is. */
  body?: string;
  /** A body built per request: every `{seq}` becomes a number no other request of this child used. */
  bodyTemplate?: string;
  connections: number;
  seconds: number;
  /** Return every 2xx latency too (to merge runs). */
  keepLatencies?: boolean;
}

export interface LoadResult {
  /** Answers with a 2xx status. */
  ok: number;
  /** Answers with another status, by status. */
  otherStatuses: Record<string, number>;
  errors: number;
  timeouts: number;
  seconds: number;
  /** 2xx answers a second. */
  rps: number;
  /** Latency of the 2xx answers, ms. */
  p50: number;
  p99: number;
  /** Mean bytes of a 2xx answer (headers and body). */
  bytes: number;
  /** Every 2xx latency, ms, ascending (when asked for). */
  latencies?: Float64Array;
}

let seq = 0;

function load(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  const otherStatuses: Record<string, number> = {};
  let bytes = 0;
  const template = spec.bodyTemplate;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url: spec.url,
        method: spec.method ?? 'GET',
        headers: spec.headers,
        body: spec.body,
        connections: spec.connections,
        duration: spec.seconds,
        requests:
          template === undefined
            ? undefined
            : [{ setupRequest: (request) => ({ ...request, body: template.replaceAll('{seq}', String(seq++)) }) }],
      },
      (error, result) => {
        if (error) {
          reject(error as Error);
          return;
        }
        const seconds = (performance.now() - started) / 1000;
        latencies.sort((a, b) => a - b);
        resolve({
          ok: latencies.length,
          otherStatuses,
          errors: result.errors,
          timeouts: result.timeouts,
          seconds,
          rps: latencies.length / seconds,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          bytes: latencies.length > 0 ? bytes / latencies.length : 0,
          latencies: spec.keepLatencies ? Float64Array.from(latencies) : undefined,
        });
      },
    );
    instance.on('response', (_client, statusCode, resBytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        latencies.push(responseTime);
        bytes += resBytes;
      } else {
        otherStatuses[statusCode] = (otherStatuses[statusCode] ?? 0) + 1;
      }
    });
  });
}

serveParent({
  run: (message) => load(message.spec as LoadSpec),
  stop: () => void setImmediate(() => process.exit(0)),
});
