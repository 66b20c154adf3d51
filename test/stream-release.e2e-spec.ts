import { connect, type AddressInfo, type Socket } from 'node:net';
import request from 'supertest';
import { testConfig, TestApp, tokenFor, uid } from './harness.js';

/*
 * Issue 21, rows 1 and 2: a streamed answer (a collection over 50,000 members) holds a HEAVY_READS
 * slot, and on a server database a pooled connection and its snapshot, only while its client
 * wants it. A client that hangs up, stops reading for STREAM_SEND_TIMEOUT_MS, or leaves while
 * queued gives everything back at once; a caller holds at most half of the slots, so another
 * tenant's big read is answered beside one caller's stalled ones. Read through /metrics.
 */

const user = (): string => `u-${uid()}`;
/** Long ids: the answer (about 8 MB) is far more than the socket buffers hold, so a reader that stops stalls it. */
const BIG = 60_000;
const SEND_TIMEOUT_MS = 3000;

/** The gauges of /metrics, by name. */
async function gauges(t: TestApp): Promise<Record<string, number>> {
  const res = await request(t.app.getHttpServer()).get('/metrics');
  expect(res.status).toBe(200);
  const values: Record<string, number> = {};
  for (const line of res.text.split('\n')) {
    const match = /^([a-z_]+) (-?[0-9.e+]+)$/.exec(line);
    if (match) values[match[1]] = Number(match[2]);
  }
  return values;
}

/** Polls the gauges until `ok` holds (or `ms` pass); answers the last reading. */
async function until(t: TestApp, ok: (g: Record<string, number>) => boolean, ms = 5000) {
  const end = Date.now() + ms;
  let last = await gauges(t);
  while (!ok(last) && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await gauges(t);
  }
  return last;
}

interface Raw {
  socket: Socket;
  /** Resolves with the status line once the answer's headers have arrived. */
  headers: Promise<string>;
  /** Resolves with the bytes received in all once the connection has closed. */
  closed: Promise<number>;
}

/** A GET on a raw connection (no compression asked for); the reader stops at the headers when `stall`. */
function rawGet(port: number, path: string, sub: string, stall: boolean): Raw {
  const socket = connect(port, '127.0.0.1');
  let received = 0;
  let head = '';
  let gotHeaders: (line: string) => void = () => undefined;
  const headers = new Promise<string>((resolve) => (gotHeaders = resolve));
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(received)));
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (head.includes('\r\n\r\n')) return;
    head += chunk.toString('latin1');
    if (head.includes('\r\n\r\n')) {
      if (stall) socket.pause();
      gotHeaders(head.slice(0, head.indexOf('\r\n')));
    }
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${tokenFor(sub)}\r\n\r\n`);
  return { socket, headers, closed };
}

const idle = (g: Record<string, number>, poolInUse: number) =>
  g.heavy_reads_running === 0 &&
  g.heavy_reads_waiting === 0 &&
  g.streamed_answers_open === 0 &&
  g.db_stream_connections === 0 &&
  g.db_pool_in_use <= poolInUse;

describe('Streamed answers release what they hold (issue 21, rows 1-2)', () => {
  let t: TestApp;
  let port: number;
  let owner: string;
  let other: string;
  let big: string;
  let baseline: Record<string, number>;

  beforeAll(async () => {
    t = await TestApp.start(testConfig({ HEAVY_READS: '2', STREAM_SEND_TIMEOUT_MS: String(SEND_TIMEOUT_MS) }));
    const server = t.app.getHttpServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
    const ids = Array.from({ length: BIG }, (_, i) => `${'n'.repeat(120)}-${String(i).padStart(6, '0')}`);
    owner = user();
    other = user(); // another tenant: a reader of the same namespace, with its own token
    const project = await t.project(await t.namespace(owner, { [other]: 'reader' }), owner);
    expect((await t.post(`${project}/collections`, owner, { name: 'big' })).status).toBe(201);
    for (let at = 0; at < BIG; at += 30_000) {
      const add = await t.post(`${project}/collections/big/members`, owner, { add: ids.slice(at, at + 30_000) });
      expect(add.status).toBe(200);
    }
    big = `${project}/collections/big`;
    baseline = await gauges(t);
  }, 180_000);
  afterAll(async () => {
    await t.close();
  });

  it('12 clients hanging up early leave no slot, connection or snapshot held', async () => {
    for (let i = 0; i < 12; i++) {
      const raw = rawGet(port, big, owner, true);
      // Half hang up after the headers, half 0-150 ms after asking (before or around the first piece).
      if (i % 2 === 0) expect(await raw.headers).toBe('HTTP/1.1 200 OK');
      else await new Promise((resolve) => setTimeout(resolve, i * 15));
      raw.socket.destroy();
      await raw.closed;
    }
    const after = await until(t, (g) => idle(g, baseline.db_pool_in_use));
    expect(after).toMatchObject({
      heavy_reads_running: 0,
      heavy_reads_waiting: 0,
      streamed_answers_open: 0,
      db_stream_connections: 0,
    });
    expect(after.db_pool_in_use).toBeLessThanOrEqual(baseline.db_pool_in_use);
    // Another tenant's big read is answered whole.
    const res = await request(t.app.getHttpServer())
      .get(big)
      .set('Authorization', `Bearer ${tokenFor(other)}`);
    expect(res.status).toBe(200);
    expect(res.body.members).toHaveLength(BIG);
  });

  it('a reader that stops reading is cut after STREAM_SEND_TIMEOUT_MS, and gives its slot back', async () => {
    const started = Date.now();
    const raw = rawGet(port, big, owner, true);
    expect(await raw.headers).toBe('HTTP/1.1 200 OK');
    const holding = await gauges(t);
    expect(holding.heavy_reads_running).toBe(1);
    const after = await until(t, (g) => idle(g, baseline.db_pool_in_use), SEND_TIMEOUT_MS + 4000);
    expect(after).toMatchObject({ heavy_reads_running: 0, streamed_answers_open: 0, db_stream_connections: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(SEND_TIMEOUT_MS);
    // The connection was closed before the whole answer was sent.
    raw.socket.resume();
    const received = await raw.closed;
    expect(received).toBeLessThan(BIG * 128);
  });

  it('a caller holds at most half of the slots: another tenant is answered beside its stalled reads', async () => {
    // HEAVY_READS=2: the caller's first stalled read holds a slot, its second waits.
    const first = rawGet(port, big, owner, true);
    expect(await first.headers).toBe('HTTP/1.1 200 OK');
    const second = rawGet(port, big, owner, true);
    const queued = await until(t, (g) => g.heavy_reads_waiting === 1);
    expect(queued).toMatchObject({
      heavy_reads_running: 1,
      heavy_reads_waiting: 1,
      heavy_reads_waiting_callers: 1,
      heavy_reads_waiting_max_per_caller: 1,
      heavy_reads_held_max_per_caller: 1,
    });
    // Another tenant's big read takes the free slot at once, and is answered whole.
    const res = await request(t.app.getHttpServer())
      .get(big)
      .set('Authorization', `Bearer ${tokenFor(other)}`);
    expect(res.status).toBe(200);
    expect(res.body.members).toHaveLength(BIG);
    // The waiting request whose client leaves leaves the queue at once, before the first is cut.
    second.socket.destroy();
    const left = await until(t, (g) => g.heavy_reads_waiting === 0, 1000);
    expect(left).toMatchObject({ heavy_reads_waiting: 0, heavy_reads_running: 1 });
    first.socket.destroy();
    const after = await until(t, (g) => idle(g, baseline.db_pool_in_use));
    expect(after).toMatchObject({ heavy_reads_running: 0, heavy_reads_waiting: 0, streamed_answers_open: 0 });
  });
});
