import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenFor, uid } from './harness.js';
import { buildIfStale, killIfRunning, LISTENING, spawnService, type SpawnedService } from './service-process.js';

/*
 * Graceful shutdown (API.md, Abuse limits; issue 7 row 16): on SIGTERM the built service stops
 * accepting, finishes in-flight requests (up to 10 s), closes the pool, releases the DATA_DIR lock
 * (the pid file) and exits 0, saying so in its log. Runs the built service as a child process, on
 * the server in DATABASE_URL when it is set, else on the embedded engine in a fresh DATA_DIR.
 */

const server = process.env.DATABASE_URL;

/** An open socket with what it has received so far and a promise of everything until it closes. */
function openSocket(port: number): Promise<{ socket: Socket; received: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const received = new Promise<string>((done) => {
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      socket.on('close', () => done(text));
    });
    socket.once('error', reject);
    socket.once('connect', () => resolve({ socket, received }));
  });
}

/** Whether a new TCP connection to the port is refused now. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('lifecycle of the built service', () => {
  let service: SpawnedService | undefined;
  let dataDir: string | undefined;

  beforeAll(() => {
    buildIfStale();
  }, 180_000);
  afterEach(() => {
    killIfRunning(service);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('row 16: SIGTERM → stops accepting, finishes the in-flight request, exits 0 within 12 s, pid file gone, shutdown logged', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dreamlake-lifecycle-'));
    const pidFile = join(dataDir, 'service.pid');
    service = await spawnService(server ? { DATABASE_URL: server } : { DATA_DIR: dataDir });
    await service.waitFor(LISTENING, 90_000);
    // The embedded engine locks DATA_DIR with the process's pid; a server database takes no lock.
    expect(existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : null).toBe(
      server ? null : String(service.child.pid),
    );

    // A request whose body is still arriving when SIGTERM comes.
    const slug = `ns-${uid()}`;
    const body = JSON.stringify({ slug, name: 'Still arriving' });
    const half = Math.floor(body.length / 2);
    const inFlight = await openSocket(service.port);
    inFlight.socket.write(
      `POST /namespaces HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tokenFor('lifecycle-owner')}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: in-flight-1\r\n\r\n` +
        body.slice(0, half),
    );
    await sleep(300); // the headers reach the service before the signal

    const signalled = Date.now();
    service.child.kill('SIGTERM');
    await service.waitFor(/SIGTERM: shutting down/, 10_000);
    // New connections are refused (polled: the listener closes a moment after the log line).
    let isRefused = false;
    for (let i = 0; i < 50 && !isRefused; i++) {
      isRefused = await refused(service.port);
      if (!isRefused) await sleep(100);
    }
    expect(isRefused).toBe(true);
    expect(service.child.exitCode).toBeNull(); // still running: the in-flight request holds it

    inFlight.socket.write(body.slice(half));
    const answer = await inFlight.received;
    const [head, json] = answer.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 201 Created');
    expect(head).toMatch(/\r\nx-request-id: in-flight-1\r\n/i);
    // Answered while closing: the connection does not stay open for keep-alive (it would hold the exit).
    expect(head).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(json)).toMatchObject({ slug, name: 'Still arriving' });

    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(12_000);
    expect(existsSync(pidFile)).toBe(false);
    const messages = service.logLines().map((line) => line.msg);
    expect(messages).toEqual(
      expect.arrayContaining([
        'SIGTERM: shutting down (in-flight requests get up to 10 s)',
        'request', // the in-flight request's access line
        'stopped',
      ]),
    );
    expect(messages).not.toContain('in-flight requests did not finish in time; exiting');
    const access = service.logLines().find((line) => line.requestId === 'in-flight-1' && line.msg === 'request');
    expect(access).toMatchObject({ method: 'POST', route: '/namespaces', status: 201 });
  }, 150_000);

  it('row 16: an idle service stops on SIGINT the same way (exit 0, pid file gone, "stopped" logged)', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dreamlake-lifecycle-'));
    service = await spawnService(server ? { DATABASE_URL: server } : { DATA_DIR: dataDir });
    await service.waitFor(LISTENING, 90_000);
    const ready = await fetch(`${service.base}/health/ready`);
    expect(ready.status).toBe(200);
    const signalled = Date.now();
    service.child.kill('SIGINT');
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(12_000);
    expect(existsSync(join(dataDir, 'service.pid'))).toBe(false);
    const messages = service.logLines().map((line) => line.msg);
    expect(messages).toEqual(
      expect.arrayContaining(['SIGINT: shutting down (in-flight requests get up to 10 s)', 'stopped']),
    );
    expect(messages).not.toContain('in-flight requests did not finish in time; exiting');
    expect(await refused(service.port)).toBe(true);
  }, 150_000);
});
