import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { MAINTENANCE, StatementCounter } from './statement-counter.js';

/** How often to look for writes since the last run. */
const INTERVAL_MS = 15_000;

/**
 * PGlite runs no autovacuum: without it the planner never gets statistics (a list over a
 * million-member collection took 180 ms instead of 3 ms) and deleted rows are never reclaimed.
 * So, for the embedded engine only, run VACUUM (ANALYZE) at start and after writes. A PostgreSQL
 * server's own autovacuum does this there.
 */
@Injectable()
export class EmbeddedMaintenance implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Maintenance');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private seenWrites = -1;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly counter: StatementCounter,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.database.kind !== 'embedded') return;
    this.tick();
    this.timer = setInterval(() => this.tick(), INTERVAL_MS).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running || this.counter.writes === this.seenWrites) return;
    this.seenWrites = this.counter.writes;
    this.running = this.db
      .query(`${MAINTENANCE} VACUUM (ANALYZE)`)
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn(`VACUUM (ANALYZE) failed: ${(error as Error).message}`))
      .finally(() => (this.running = undefined));
  }
}
