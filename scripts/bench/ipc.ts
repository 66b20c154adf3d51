import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

/*
 * The benchmarks run the service, the bare server and the load generator each in a child process
 * of its own (so none shares the others' CPU time); they talk to the parent over Node's IPC
 * channel: the parent sends `{id, type, ...}`, the child answers `{id, result}` or `{id, error}`.
 */

interface Call {
  id: number;
  type: string;
  [key: string]: unknown;
}

interface Answer {
  id: number;
  result?: unknown;
  error?: string;
}

/** What a child sends once, when it is ready to be called (e.g. its listening URL). */
export interface Ready {
  ready: true;
  [key: string]: unknown;
}

type Handler = (message: Record<string, unknown>) => unknown;

/** Child side: answers the parent's calls with `handlers[type]`, then tells the parent it is ready. */
export function serveParent(handlers: Record<string, Handler>, ready: Omit<Ready, 'ready'> = {}): void {
  if (!process.send) throw new Error('this script runs as a child of a benchmark script (it needs an IPC channel)');
  process.on('message', (message: Call) => {
    const handler = handlers[message.type];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown call '${message.type}'`);
        return handler(message);
      })
      .then(
        (result) => process.send?.({ id: message.id, result } satisfies Answer),
        (error: unknown) =>
          process.send?.({
            id: message.id,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          } satisfies Answer),
      );
  });
  // The parent going away (it crashed or was interrupted) ends the child too.
  process.on('disconnect', () => process.exit(0));
  process.send({ ...ready, ready: true } satisfies Ready);
}

export interface ChildOptions {
  /** Shown in error messages. */
  name: string;
  env?: NodeJS.ProcessEnv;
  /** Node flags, e.g. `--cpu-prof`. */
  execArgv?: string[];
  /** Where the child's stdout goes: nowhere (default; the service's access log is written, then dropped) or ours. */
  stdout?: 'ignore' | 'inherit';
  /** How long the child may take to get ready. */
  readyTimeoutMs?: number;
}

/** Parent side: one child process, called over IPC. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private exited: Error | null = null;

  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
    readonly ready: Ready,
  ) {
    process.on('message', (message: Answer) => {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) call.reject(new Error(`${name}: ${message.error}`));
      else call.resolve(message.result);
    });
    process.on('exit', (code, signal) => {
      this.exited = new Error(`${name} exited (${signal ?? `code ${code}`})`);
      for (const call of this.pending.values()) call.reject(this.exited);
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  /** Forks `script` and waits for its ready message. */
  static async start(script: string, options: ChildOptions): Promise<Child> {
    const child = fork(script, [], {
      env: options.env ?? process.env,
      execArgv: options.execArgv ?? [],
      stdio: ['ignore', options.stdout ?? 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const timeoutMs = options.readyTimeoutMs ?? 120_000;
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${options.name} was not ready within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      child.once('message', (message: Ready) => {
        clearTimeout(timer);
        resolve(message);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited before it was ready (${signal ?? `code ${code}`})`));
      });
    });
    return new Child(options.name, child, ready);
  }

  /** Calls `type` in the child and waits for its answer. */
  call<T>(type: string, args: Record<string, unknown> = {}): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.process.send({ ...args, id, type } satisfies Call);
    });
  }

  /** Asks the child to stop (`stop` call: it closes what it opened and exits), killing it if it does not. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.exited || this.process.exitCode !== null) return;
    const exit = once(this.process, 'exit');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    this.call('stop').catch(() => undefined);
    await exit;
    clearTimeout(timer);
  }

  /** Resident set size of the child now, in bytes, from /proc/<pid>/status (Linux). */
  rssBytes(): number {
    return rssOf(this.pid);
  }

  /** CPU time the child has used so far (user + system, all its threads), µs. */
  cpuMicros(): number {
    return cpuMicrosOf(this.pid);
  }
}

/** Clock ticks a second in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU time (user + system, all threads) a process has used, µs, from /proc/<pid>/stat (NaN when unreadable). */
export function cpuMicrosOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / USER_HZ;
  } catch {
    return NaN;
  }
}

/** Resident set size of a process, in bytes, from /proc/<pid>/status (0 when it cannot be read). */
export function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
