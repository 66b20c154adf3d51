import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Database } from '../database/database.js';

/** The channel change_stamp() notifies on commit: `<namespace id>:<cursor>`. */
export const CHANGES_CHANNEL = 'dreamlake_changes';

/**
 * Tells long polls and the webhook dispatcher when a change commits: one LISTEN connection per
 * instance (a connection of its own on a server, outside the pool), so a waiting request holds no
 * pooled connection.
 */
@Injectable()
export class ChangeNotifier implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChangeNotifier');
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly subscribers = new Set<(namespaceId: string) => void>();
  /** The newest cursor notified per namespace (a wait that starts late sees it already came). */
  private readonly latest = new Map<string, bigint>();
  private stop: (() => Promise<void>) | null = null;

  constructor(private readonly db: Database) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      this.stop = await this.db.listen(
        CHANGES_CHANNEL,
        (payload) => this.notified(payload),
        () => this.wakeAll(),
      );
    } catch (error) {
      // Long polls then wait their full time; webhooks still go out on their timer.
      this.logger.warn(`listening for changes failed: ${(error as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop?.();
    this.wakeAll();
  }

  /** Calls `fn` with the namespace of every change committed (the webhook dispatcher). */
  subscribe(fn: (namespaceId: string) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /**
   * Waits until a change newer than `cursor` commits in the namespace, or `ms` pass: true when one
   * did (as far as this instance heard).
   */
  wait(namespaceId: string, cursor: bigint, ms: number): Promise<boolean> {
    if ((this.latest.get(namespaceId) ?? 0n) > cursor) return Promise.resolve(true);
    return new Promise((resolve) => {
      const set = this.waiters.get(namespaceId) ?? new Set<() => void>();
      this.waiters.set(namespaceId, set);
      const done = (changed: boolean) => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0) this.waiters.delete(namespaceId);
        resolve(changed);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      set.add(wake);
    });
  }

  /** How many requests wait for a change now (for /metrics). */
  get waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  private notified(payload: string): void {
    const [namespaceId, cursor] = payload.split(':');
    if (!namespaceId || !/^[0-9]+$/.test(cursor ?? '')) return;
    const value = BigInt(cursor);
    if (value > (this.latest.get(namespaceId) ?? 0n)) this.latest.set(namespaceId, value);
    if (this.latest.size > 100_000) this.latest.clear(); // bounded; a late waiter then waits for the next one
    for (const wake of [...(this.waiters.get(namespaceId) ?? [])]) wake();
    for (const fn of this.subscribers) fn(namespaceId);
  }

  private wakeAll(): void {
    for (const set of this.waiters.values()) for (const wake of [...set]) wake();
  }
}
