import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import jwt from 'jsonwebtoken';
import pg from 'pg';

/*
 * Issue 21, rows 1-3, measured on a PostgreSQL server through the built service (a child process):
 * 12 aborted streams, 4 stalled readers and 30 concurrent PATCHes of a big collection by one
 * caller, each followed or accompanied by another tenant's reads (p50/p99) and /metrics gauges.
 *
 *   node dist/scripts/stream-abuse.js postgres://postgres@127.0.0.1:5432/postgres
 *   ABUSE_MEMBERS (1,000,000) members of the big collection; ABUSE_PORT (4190); ABUSE_SEND_TIMEOUT_MS (5000)
 *   ABUSE_PATCH_ROUNDS (3) bursts of 30 PATCHes, one after the other
 *
 * It creates (and drops afterwards) a database of its own, named helper_streams_abuse_<pid>.
 */

const admin = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MEMBERS = Number(process.env.ABUSE_MEMBERS ?? 1_000_000);
const PORT = Number(process.env.ABUSE_PORT ?? 4190);
const SEND_TIMEOUT_MS = Number(process.env.ABUSE_SEND_TIMEOUT_MS ?? 5000);
const PATCH_ROUNDS = Number(process.env.ABUSE_PATCH_ROUNDS ?? 3);
const SECRET = 'stream-abuse-secret-that-is-long-enough';
const token = (sub: string) => jwt.sign({ sub }, SECRET, { algorithm: 'HS256', expiresIn: '1h' });

interface Res {
  status: number;
  body: string;
  ms: number;
}

function call(method: string, path: string, sub: string | null, body?: unknown): Promise<Res> {
  const started = performance.now();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: PORT,
        method,
        path,
        agent: false,
        headers: {
          ...(sub ? { authorization: `Bearer ${token(sub)}` } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

async function gauges(): Promise<Record<string, number>> {
  const res = await call('GET', '/metrics', null);
  const values: Record<string, number> = {};
  for (const line of res.body.split('\n')) {
    const m = /^([a-z_]+) (-?[0-9.e+]+)$/.exec(line);
    if (m) values[m[1]] = Number(m[2]);
  }
  return values;
}

const pick = (g: Record<string, number>) =>
  `pool in use ${g.db_pool_in_use}, stream connections ${g.db_stream_connections}, heavy reads running ${g.heavy_reads_running} / waiting ${g.heavy_reads_waiting}, streams open ${g.streamed_answers_open}`;

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

async function latency(path: string, sub: string, n = 50): Promise<string> {
  const times: number[] = [];
  const statuses = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const r = await call('GET', path, sub);
    times.push(r.ms);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  }
  return `p50 ${pct(times, 50).toFixed(1)} ms, p99 ${pct(times, 99).toFixed(1)} ms (${[...statuses].map(([s, c]) => `${c}×${s}`).join(', ')})`;
}

/** A raw GET; resolves once the headers are in (then the reader stops when `stall`). */
function rawGet(path: string, sub: string, stall: boolean) {
  const socket = connect(PORT, '127.0.0.1');
  socket.on('error', () => undefined);
  let head = '';
  const headers = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      if (head.includes('\r\n\r\n')) return;
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        if (stall) socket.pause();
        resolve();
      }
    });
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token(sub)}\r\n\r\n`);
  return { socket, headers };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const name = `helper_streams_abuse_${process.pid}`;
  const pool = new pg.Pool({ connectionString: admin, max: 1 });
  await pool.query(`CREATE DATABASE ${name}`);
  const url = admin.replace(/\/[^/]*$/, `/${name}`);
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      JWT_SECRET: SECRET,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      STREAM_SEND_TIMEOUT_MS: String(SEND_TIMEOUT_MS),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await call('GET', '/health/ready', null)).status === 200) break;
      } catch {
        /* not listening yet */
      }
      if (i > 300) throw new Error('the service did not start');
      await sleep(200);
    }
    const owner = 'abuser';
    const other = 'neighbour';
    await call('POST', '/namespaces', owner, { slug: 'big' });
    await call('PUT', '/namespaces/big/members/neighbour', owner, { role: 'reader' });
    await call('POST', '/namespaces/big/projects', owner, { name: 'p' });
    await call('POST', '/namespaces', other, { slug: 'small' });
    await call('POST', '/namespaces/small/projects', other, { name: 'p' });
    const big = '/namespaces/big/projects/p/collections/big';
    const small = '/namespaces/small/projects/p/collections/small';
    await call('POST', '/namespaces/big/projects/p/collections', owner, { name: 'big' });
    await call('POST', '/namespaces/small/projects/p/collections', other, {
      name: 'small',
      members: Array.from({ length: 10 }, (_, i) => `s-${i}`),
    });
    const seedStart = performance.now();
    for (let at = 0; at < MEMBERS; at += 100_000) {
      const ids = Array.from(
        { length: Math.min(100_000, MEMBERS - at) },
        (_, i) => `node-${String(at + i).padStart(8, '0')}`,
      );
      const r = await call('POST', `${big}/members`, owner, { add: ids });
      if (r.status !== 200) throw new Error(`seeding: ${r.status} ${r.body}`);
    }
    console.log(`seeded ${MEMBERS} members in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
    await pool.query(`ANALYZE`).catch(() => undefined);

    console.log(`baseline: ${pick(await gauges())}`);
    console.log(`  neighbour small GET: ${await latency(small, other)}`);

    // Row 1: 12 aborted streams, at 0-150 ms or after the headers.
    for (let i = 0; i < 12; i++) {
      const raw = rawGet(big, owner, true);
      if (i % 2 === 0) await raw.headers;
      else await sleep(i * 12);
      raw.socket.destroy();
    }
    await sleep(500);
    console.log(`after 12 aborted streams (+0.5 s): ${pick(await gauges())}`);
    console.log(`  neighbour small GET: ${await latency(small, other)}`);
    const ready = await call('GET', '/health/ready', null);
    console.log(`  /health/ready ${ready.status} in ${ready.ms.toFixed(1)} ms`);

    // Row 2: 4 stalled readers of one caller.
    const stalled = Array.from({ length: 4 }, () => rawGet(big, owner, true));
    await Promise.race([Promise.all(stalled.map((s) => s.headers)), sleep(3000)]);
    await sleep(500);
    console.log(`4 stalled readers: ${pick(await gauges())}`);
    console.log(`  neighbour small GET: ${await latency(small, other, 30)}`);
    const neighbourBig = await call('GET', big, other);
    console.log(
      `  neighbour big GET (${MEMBERS} members): ${neighbourBig.status} in ${neighbourBig.ms.toFixed(0)} ms, ${(neighbourBig.body.length / 1048576).toFixed(1)} MiB`,
    );
    await sleep(SEND_TIMEOUT_MS + 1500);
    console.log(`after STREAM_SEND_TIMEOUT_MS (${SEND_TIMEOUT_MS} ms) + 1.5 s: ${pick(await gauges())}`);
    for (const s of stalled) s.socket.destroy();

    // Row 3: 30 concurrent PATCHes of the big collection by one caller, the neighbour reading
    // meanwhile; ABUSE_PATCH_ROUNDS bursts one after the other, so the neighbour's p99 rests on
    // more than 30 samples. The slowest neighbour reads are printed with when they started.
    const neighbour: { at: number; ms: number }[] = [];
    const statuses = new Map<number, number>();
    const patchMs: number[] = [];
    const patchStatuses = new Set<number>();
    let answerBytes = 0;
    const patchStart = performance.now();
    for (let round = 0; round < PATCH_ROUNDS; round++) {
      const burstStart = performance.now();
      const patches = Promise.all(
        Array.from({ length: 30 }, (_, i) => call('PATCH', big, owner, { description: `d${round}-${i}` })),
      );
      let done = false;
      void patches.then(() => (done = true));
      const sampled = neighbour.length;
      while (!done || neighbour.length - sampled < 30) {
        const at = performance.now() - burstStart;
        const r = await call('GET', small, other);
        neighbour.push({ at, ms: r.ms });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
      for (const r of await patches) {
        patchMs.push(r.ms);
        patchStatuses.add(r.status);
        answerBytes = r.body.length;
      }
    }
    const times = neighbour.map((n) => n.ms);
    console.log(
      `${PATCH_ROUNDS} × 30 concurrent PATCHes of ${MEMBERS} members: all done in ${(performance.now() - patchStart).toFixed(0)} ms; ` +
        `PATCH p50 ${pct(patchMs, 50).toFixed(0)} ms p99 ${pct(patchMs, 99).toFixed(0)} ms; statuses ${[...patchStatuses].join(',')}; ` +
        `answer ${answerBytes} B`,
    );
    console.log(
      `  neighbour small GET meanwhile: ${neighbour.length} requests, p50 ${pct(times, 50).toFixed(1)} ms, p99 ${pct(times, 99).toFixed(1)} ms (${[...statuses].map(([s, c]) => `${c}×${s}`).join(', ')})`,
    );
    const slowest = [...neighbour].sort((a, b) => b.ms - a.ms).slice(0, 3);
    console.log(
      `  slowest: ${slowest.map((n) => `${n.ms.toFixed(0)} ms (started ${n.at.toFixed(0)} ms into its burst)`).join(', ')}`,
    );
    console.log(`end: ${pick(await gauges())}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
