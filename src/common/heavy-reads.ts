import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { TooManyRequestsError } from './errors.js';

/**
 * The per-instance limit of full-member reads too big to build at once (HEAVY_READS at a time):
 * they hold a database connection while the client reads, so one tenant's big reads must not
 * take every connection. Others wait in a bounded queue; a full queue answers 429.
 */
@Injectable()
export class HeavyReads {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly max: number;
  private readonly maxWaiting: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.max = config.limits.heavyReads;
    this.maxWaiting = config.limits.heavyReads * 4;
  }

  /** Waits for a slot; the returned function gives it back (call it exactly once). */
  async acquire(): Promise<() => void> {
    if (this.running >= this.max) {
      if (this.waiting.length >= this.maxWaiting) {
        this.metrics.refused('heavy-reads');
        throw new TooManyRequestsError('Too many large reads in progress; retry in a few seconds', 2);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }

  /** `pieces` read while holding a slot, released when they end, fail or the client goes away. */
  async *hold<T>(pieces: AsyncIterable<T>): AsyncGenerator<T> {
    const release = await this.acquire();
    try {
      yield* pieces;
    } finally {
      release();
    }
  }
}
