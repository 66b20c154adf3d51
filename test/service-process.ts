import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_SECRET } from './harness.js';

/*
 * The built service (`node dist/src/main.js`) as a child process, for the tests that need the real
 * process: its start-up output, its JSON log lines, a kill -9 and a restart on the same database.
 * `npm run test:e2e` builds first (pretest:e2e); run alone, a test file needs `npm run build`.
 */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const MAIN = join(ROOT, 'dist', 'src', 'main.js');

/** Builds dist/ when a source changed since the last build (what `npm start` does). */
export function buildIfStale(): void {
  execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], { stdio: 'inherit' });
}

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
    await service.ready(options.timeoutMs ?? 120_000);
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

/*
 * The same process watched through its output instead of /health/ready: for start-up that may fail,
 * signals and the log lines it prints.
 */

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedService {
  child: ChildProcess;
  port: number;
  base: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Its JSON log lines so far (lines that are not JSON are left out). */
  logLines(): Record<string, unknown>[];
  exited: Promise<Exit>;
  /** Resolves when the output matches `pattern`; rejects when the process exits first or after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
}

/**
 * Starts `node dist/src/main.js` with the given environment over a clean one (JSON logs, the test
 * secret, a free port; no DATABASE_URL or DATA_DIR unless given). `undefined` removes a variable.
 */
export async function spawnService(env: Record<string, string | undefined>): Promise<SpawnedService> {
  const port = await freePort();
  const base: Record<string, string | undefined> = { ...process.env };
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'JWT_PUBLIC_KEY', 'JWT_ISSUER', 'JWT_AUDIENCE', 'NODE_ENV']) {
    delete base[name];
  }
  const merged: Record<string, string | undefined> = {
    ...base,
    PORT: String(port),
    HOST: '127.0.0.1',
    JWT_SECRET: TEST_SECRET,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    ...env,
  };
  const clean: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
  const child = spawn(process.execPath, ['dist/src/main.js'], { env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const listener of listeners) listener();
  });
  const waitFor = (pattern: RegExp, ms = 60_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(text)) finish(null);
        else if (done) finish(new Error(`the service exited before printing ${pattern}; it printed:\n${text}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`no ${pattern} within ${ms} ms; the service printed:\n${text}`)),
        ms,
      );
      const finish = (error: Error | null): void => {
        clearTimeout(timer);
        listeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      listeners.add(check);
      check();
    });
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    output: () => text,
    logLines: () =>
      text
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    exited,
    waitFor,
  };
}

/** The line main.ts prints once the service listens. */
export const LISTENING = /DreamLake catalog listening on/;

/** Stops a child that a failed test left running (SIGKILL: the test is over). */
export function killIfRunning(service: SpawnedService | undefined): void {
  if (service && service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
}
