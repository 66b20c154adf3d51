import { Inject, Injectable, ServiceUnavailableException, type BeforeApplicationShutdown } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { TooManyRequestsError } from './errors.js';

/** The most text a streamed answer hands the response at once: what waits in its buffers stays small. */
export const STREAM_SLICE = 64 * 1024;

/** After shutdown begins, answers still streaming get this long to finish before they are cut. */
export const SHUTDOWN_CUT_MS = 5000;

/** A waiting request's turn: granted a slot, or refused (its client left, or the service is stopping). */
interface Waiter {
  caller: string;
  grant: () => void;
  refuse: (error: Error) => void;
}

/** The client of a streamed answer left before it began: nothing is sent, and nothing is held. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
  constructor() {
    super('the client went away before the answer began');
  }
}

/**
 * A big answer to stream while holding a HEAVY_READS slot: `caller` (the token's `sub`) is whom
 * the slot counts against, `pieces` the answer's text (not started until the slot is granted),
 * `dispose` what to close besides (parts already read before the answer was returned).
 */
export class HeavyRead implements AsyncIterable<string> {
  constructor(
    private readonly owner: HeavyReads,
    readonly caller: string,
    readonly pieces: AsyncGenerator<string>,
    readonly dispose: (() => Promise<unknown>) | null = null,
  ) {}

  /** The answer's text as it goes to `reply`: released when the client leaves, stalls or the service stops. */
  to(reply: FastifyReply | null): AsyncGenerator<string> {
    return this.owner.send(this, reply);
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this.to(null);
  }
}

/**
 * The per-instance limit of full-member reads too big to build at once (HEAVY_READS at a time):
 * each holds a database connection and a snapshot while its client reads, so they are bounded,
 * shared fairly and never outlive the client's interest.
 *
 * - A caller holds at most half of the slots (rounded up) at once; other requests wait in a
 *   bounded queue (4× HEAVY_READS, at most half of it per caller; beyond: 429), and a freed slot
 *   goes to the next caller in turn (round-robin), not to whoever queued most.
 * - A waiting request whose client leaves leaves the queue at once.
 * - A streamed answer is released as soon as its client goes away, and cut (the connection closed)
 *   when its client stops reading for STREAM_SEND_TIMEOUT_MS; at shutdown waiting requests get
 *   503 and answers still streaming after SHUTDOWN_CUT_MS are cut.
 */
@Injectable()
export class HeavyReads implements BeforeApplicationShutdown {
  private running = 0;
  private waitingCount = 0;
  /** Slots held, by caller. */
  private readonly held = new Map<string, number>();
  /** Waiting requests by caller; the map's order is the callers' turn order. */
  private readonly queues = new Map<string, Waiter[]>();
  /** How to cut each answer being streamed (at shutdown). */
  private readonly open = new Set<() => void>();
  private closing = false;
  private readonly max: number;
  private readonly maxWaiting: number;
  /** Slots one caller may hold at once. */
  readonly perCaller: number;
  private readonly sendTimeoutMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.max = config.limits.heavyReads;
    this.maxWaiting = config.limits.heavyReads * 4;
    this.perCaller = Math.ceil(config.limits.heavyReads / 2);
    this.sendTimeoutMs = config.limits.streamSendTimeoutMs;
    metrics.gauge(
      'heavy_reads_running',
      'Heavy reads (big streamed answers) holding a HEAVY_READS slot',
      () => this.running,
    );
    metrics.gauge('heavy_reads_waiting', 'Heavy reads waiting for a HEAVY_READS slot', () => this.waitingCount);
    metrics.gauge('heavy_reads_waiting_callers', 'Callers with heavy reads waiting for a slot', () => this.queues.size);
    metrics.gauge('heavy_reads_waiting_max_per_caller', 'Heavy reads waiting of the caller with the most waiting', () =>
      Math.max(0, ...[...this.queues.values()].map((queue) => queue.length)),
    );
    metrics.gauge('heavy_reads_held_max_per_caller', 'HEAVY_READS slots held by the caller holding the most', () =>
      Math.max(0, ...this.held.values()),
    );
    metrics.gauge('streamed_answers_open', 'Streamed answers in progress (waiting, or sending)', () => this.open.size);
  }

  /** `pieces` as a big answer of `caller`'s (see HeavyRead); `dispose` closes what it read beforehand. */
  hold(caller: string, pieces: AsyncGenerator<string>, dispose: (() => Promise<unknown>) | null = null): HeavyRead {
    return new HeavyRead(this, caller, pieces, dispose);
  }

  /**
   * Waits for a slot of `caller`'s; the returned function gives it back (once). Refused with 429
   * when the queue (or the caller's part of it) is full, with ClientGoneError when `signal` aborts
   * while waiting, with 503 once shutdown has begun.
   */
  acquire(caller: string, signal: AbortSignal | null = null): Promise<() => void> {
    if (this.closing) return Promise.reject(new ServiceUnavailableException('The service is shutting down; retry'));
    if (signal?.aborted) return Promise.reject(new ClientGoneError());
    if (this.running < this.max && (this.held.get(caller) ?? 0) < this.perCaller && !this.queues.has(caller)) {
      return Promise.resolve(this.take(caller));
    }
    const queue = this.queues.get(caller) ?? [];
    if (this.waitingCount >= this.maxWaiting || queue.length >= this.max * 2) {
      this.metrics.refused('heavy-reads');
      return Promise.reject(new TooManyRequestsError('Too many large reads in progress; retry in a few seconds', 2));
    }
    return new Promise<() => void>((resolve, reject) => {
      const leave = (): void => {
        const mine = this.queues.get(caller);
        const at = mine?.indexOf(waiter) ?? -1;
        if (!mine || at < 0) return;
        mine.splice(at, 1);
        this.waitingCount--;
        if (mine.length === 0) this.queues.delete(caller);
      };
      const onAbort = (): void => {
        leave();
        reject(new ClientGoneError());
      };
      const waiter: Waiter = {
        caller,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.take(caller));
        },
        refuse: (error) => {
          signal?.removeEventListener('abort', onAbort);
          leave();
          reject(error);
        },
      };
      queue.push(waiter);
      this.queues.set(caller, queue);
      this.waitingCount++;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private take(caller: string): () => void {
    this.running++;
    this.held.set(caller, (this.held.get(caller) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const left = (this.held.get(caller) ?? 1) - 1;
      if (left > 0) this.held.set(caller, left);
      else this.held.delete(caller);
      this.dispatch();
    };
  }

  /** Gives free slots to waiting callers in turn, skipping those holding their share. */
  private dispatch(): void {
    while (this.running < this.max) {
      let next: Waiter | undefined;
      for (const [caller, queue] of this.queues) {
        if ((this.held.get(caller) ?? 0) >= this.perCaller) continue;
        next = queue.shift();
        this.queues.delete(caller);
        if (queue.length > 0) this.queues.set(caller, queue); // to the end of the turn order
        break;
      }
      if (!next) return;
      this.waitingCount--;
      next.grant();
    }
  }

  /**
   * The text of `read` as it goes out on `reply` (null: no client to watch), in slices of at most
   * STREAM_SLICE. Its slot, its database connection and its snapshot are released when it ends,
   * fails, its client goes away (or leaves while it waits for a slot), its client stops taking
   * what is sent for STREAM_SEND_TIMEOUT_MS (the connection is then closed), or at shutdown.
   */
  async *send(read: HeavyRead, reply: FastifyReply | null): AsyncGenerator<string> {
    const gone = new AbortController();
    const response = reply?.raw ?? null;
    const onClose = (): void => {
      if (!response?.writableFinished) gone.abort();
    };
    const cut = (): void => {
      gone.abort();
      if (response && !response.destroyed) response.destroy();
    };
    response?.once('close', onClose);
    this.open.add(cut);
    let release: (() => void) | null = null;
    let stall: NodeJS.Timeout | undefined;
    try {
      release = await this.acquire(read.caller, gone.signal);
      for await (const piece of read.pieces) {
        for (let at = 0; at < piece.length; at += STREAM_SLICE) {
          if (gone.signal.aborted) return;
          // Suspended below until the response takes more: a client that stops reading is cut.
          if (response) stall = setTimeout(cut, this.sendTimeoutMs);
          yield at === 0 && piece.length <= STREAM_SLICE ? piece : piece.slice(at, at + STREAM_SLICE);
          clearTimeout(stall);
        }
      }
    } finally {
      clearTimeout(stall);
      release?.();
      this.open.delete(cut);
      response?.off('close', onClose);
      await read.pieces.return(undefined);
      await read.dispose?.();
    }
  }

  /** Shutdown: waiting requests get 503; answers still streaming after SHUTDOWN_CUT_MS are cut. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const queue of [...this.queues.values()]) {
      for (const waiter of [...queue])
        waiter.refuse(new ServiceUnavailableException('The service is shutting down; retry'));
    }
    if (this.open.size > 0) {
      setTimeout(() => {
        for (const cut of [...this.open]) cut();
      }, SHUTDOWN_CUT_MS).unref();
    }
  }
}
