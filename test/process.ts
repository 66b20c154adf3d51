import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { TEST_SECRET } from './harness.js';

/*
 * The built service (dist/src/main.js) as a child process, for what only a real process shows:
 * start-up on a fresh DATA_DIR, signals, the pid file, the log lines it prints.
 */

/** Builds dist/ when a source changed since the last build (what `npm start` does). */
export function buildIfStale(): void {
  execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], { stdio: 'inherit' });
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
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
export async function spawnService(env: Record<string, string | undefined>): Promise<ServiceProcess> {
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
export function killIfRunning(service: ServiceProcess | undefined): void {
  if (service && service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
}
