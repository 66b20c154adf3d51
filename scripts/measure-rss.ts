import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import type pg from 'pg';
import { signToken } from '#src/auth/tokens.js';
import { EmbeddedDatabase, openPglite } from '#src/database/database.js';
import { migrate } from '#src/database/migrate.js';
import { envNumber } from './bench/setup.js';
import { percentile } from './bench/stats.js';
import { loadScaleData, scaleSizesFromEnv } from './scale-data.js';

/*
 * `npm run measure:rss [-- --loaded]`: what `npm start` holds in memory on the embedded engine.
 * Starts `npm start` on a fresh temporary DATA_DIR (with --loaded: first loaded with the scale data
 * of scripts/scale-data.ts, SCALE_* sizes), waits for /health/ready, sends MEASURE_REQUESTS (200)
 * requests one after another (create a namespace, a project, collections, add members, then reads),
 * waits MEASURE_SETTLE_MS (3000) and reads the service's RSS from /proc/<pid>/status (the pid from
 * DATA_DIR/service.pid, so the figure is the service's, not npm's). Prints RSS at rest, its peak
 * (VmHWM), the engine's WASM memory from /metrics, and the requests' p50/p99.
 *
 *   MEASURE_PORT (4140)       where the service listens
 *   MEASURE_PAUSE_MS (0)      before reading RSS at rest, keep the service that long (its pid on stderr)
 */

const PORT = envNumber('MEASURE_PORT', 4140);
const REQUESTS = envNumber('MEASURE_REQUESTS', 200);
const SETTLE_MS = envNumber('MEASURE_SETTLE_MS', 3000);
const PAUSE_MS = envNumber('MEASURE_PAUSE_MS', 0);
const BASE = `http://127.0.0.1:${PORT}`;
const log = (message: string): void => void process.stderr.write(`${message}\n`);
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** Loads the scale data into the embedded database of `dataDir` (migrated first), through a `pg`-shaped client. */
async function loadEmbedded(dataDir: string): Promise<void> {
  Logger.overrideLogger(['error', 'warn']);
  const pglite = await openPglite(join(dataDir, 'pgdata'));
  const database = new EmbeddedDatabase(pglite);
  try {
    await migrate(database, { kind: 'embedded', dataDir }, pglite);
    const client = {
      query: async (sql: string, params: unknown[] = []) => {
        const result = await pglite.query(sql, params);
        return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
      },
    } as unknown as pg.ClientBase;
    const seconds = await loadScaleData(client, scaleSizesFromEnv(), log);
    log(`scale data loaded in ${seconds.toFixed(0)} s`);
  } finally {
    await database.close();
  }
}

function status(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

async function waitReady(child: { exitCode: number | null }): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${BASE}/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error('the service was not ready within 300 s');
}

async function main(): Promise<void> {
  const loaded = process.argv.includes('--loaded');
  const dataDir = mkdtempSync(join(tmpdir(), 'measure-rss-'));
  try {
    if (loaded) await loadEmbedded(dataDir);
    const started = performance.now();
    const child = spawn('npm', ['start'], {
      cwd: resolve(import.meta.dirname, '..', '..'),
      env: { ...process.env, DATA_DIR: dataDir, PORT: String(PORT), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
      detached: true, // its own process group: npm's shell does not pass SIGTERM on, so the group gets it
    });
    try {
      await waitReady(child);
      const startSeconds = (performance.now() - started) / 1000;
      const pid = Number(readFileSync(join(dataDir, 'service.pid'), 'utf8').trim());
      const secret = readFileSync(join(dataDir, 'jwt-secret'), 'utf8').trim();
      const jwt = { secret, publicKey: null, issuer: null, audience: null, maxAgeSeconds: null };
      const token = signToken(jwt, { sub: 'measure', username: 'measure' }, '1h');
      const afterStart = status(pid);

      const times: number[] = [];
      const send = async (method: string, path: string, body?: unknown): Promise<void> => {
        const t0 = performance.now();
        const response = await fetch(`${BASE}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
        await response.arrayBuffer();
        times.push(performance.now() - t0);
        if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status}`);
      };
      const p = '/namespaces/measure/projects/rss';
      await send('POST', '/namespaces', { slug: 'measure', name: 'Measure' });
      await send('POST', '/namespaces/measure/projects', { name: 'rss' });
      for (let i = 0; times.length < REQUESTS; i++) {
        const step = i % 6;
        if (step === 0) {
          await send('POST', `${p}/collections`, { name: `c-${i}`, members: [`n-${i}-a`, `n-${i}-b`] });
        } else if (step === 1) {
          const add = Array.from({ length: 50 }, (_, k) => `n-${i}-${k}`);
          await send('POST', `${p}/collections/c-${i - 1}/members`, { add });
        } else if (step === 2) await send('GET', `${p}/collections?pageSize=20`);
        else if (step === 3) await send('GET', `${p}/collections/c-${i - 3}/members?limit=20`);
        else if (step === 4) await send('GET', `${p}/collections?q=c-1`);
        else await send('GET', '/me');
      }
      await new Promise((done) => setTimeout(done, SETTLE_MS));
      if (PAUSE_MS > 0) {
        log(`service pid ${pid}: paused ${PAUSE_MS} ms (read /proc/${pid}/smaps now)`);
        await new Promise((done) => setTimeout(done, PAUSE_MS));
      }
      const rest = status(pid);
      const metrics = await (await fetch(`${BASE}/metrics`)).text();
      const wasm = /^db_embedded_wasm_memory_bytes (\d+)/m.exec(metrics)?.[1];
      const heap = /^nodejs_heap_size_used_bytes (\d+)/m.exec(metrics)?.[1];
      const sorted = [...times].sort((a, b) => a - b);
      const lines = [
        `embedded engine, ${loaded ? 'loaded with the scale data' : 'empty DATA_DIR'}; ready in ${startSeconds.toFixed(1)} s`,
        `RSS after start-up:                ${mb(afterStart.rss)}`,
        `RSS at rest after ${times.length} requests:  ${mb(rest.rss)} (peak ${mb(rest.hwm)})`,
        `engine WASM memory:                ${wasm ? mb(Number(wasm)) : 'not reported'}`,
        `V8 heap used:                      ${heap ? mb(Number(heap)) : 'not reported'}`,
        `latency p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
      await new Promise((done) => (child.exitCode !== null ? done(undefined) : child.once('exit', done)));
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
