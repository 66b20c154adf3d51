import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * The built service (`node dist/src/main.js`) as a child process, for the tests that need the real
 * process: its start-up output, its JSON log lines, a kill -9 and a restart on the same database.
 * `npm run test:e2e` builds first (pretest:e2e); run alone, a test file needs `npm run build`.
 */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const MAIN = join(ROOT, 'dist', 'src', 'main.js');

/** Fails with a sentence saying what to do when dist/ is missing. */
export function requireBuild(file = MAIN): string {
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run build\` first (npm run test:e2e does it through pretest:e2e).`);
  }
  return file;
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

const made: string[] = [];

/** A fresh temporary directory (an embedded DATA_DIR, a cwd without .env); see removeTempDirs. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `dreamlake-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Removes the directories tempDir made (an embedded database is ~40 MB): in afterAll, once the services stopped. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** The environment a child starts with: PATH and HOME only, so the test's own settings do not leak in. */
export function cleanEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[name]) base[name] = process.env[name];
  return { ...base, ...env };
}

export class ServiceProcess {
  stdout = '';
  stderr = '';
  private exit: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exit = new Promise((done) => child.once('exit', (code, signal) => done(signal === null ? code : null)));
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Starts `node dist/src/main.js` in `cwd` (a temp dir: no .env there) with exactly `env` (plus
   * PATH/HOME and PORT) and waits until /health/ready answers 200.
   */
  static async start(env: Record<string, string>, options: { cwd?: string; timeoutMs?: number } = {}) {
    requireBuild();
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      cwd: options.cwd ?? tempDir('cwd'),
      env: cleanEnv({ PORT: String(port), HOST: '127.0.0.1', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, port);
    await service.ready(options.timeoutMs ?? 45_000);
    return service;
  }

  /** Polls /health/ready until 200; throws with the child's output if it exits or times out. */
  private async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exit.then(() => (exited = true));
    while (Date.now() < deadline && !exited) {
      try {
        const res = await fetch(`${this.base}/health/ready`);
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    this.child.kill('SIGKILL');
    throw new Error(
      `the service did not get ready (${exited ? 'it exited' : 'timed out'}):\n${this.stdout}\n${this.stderr}`,
    );
  }

  /** Sends `signal` and waits for the process to be gone; the exit code (null when killed by a signal). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exit;
  }

  /** The JSON log lines written so far (lines that are not JSON are left out). */
  logLines(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
