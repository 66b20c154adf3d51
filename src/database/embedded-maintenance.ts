import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { Database } from './database.js';

/** The least time between two runs, whatever the load: VACUUM holds the single embedded connection. */
const INTERVAL_MS = 60_000;

/**
 * PGlite runs no autovacuum: without it the planner never gets statistics (a list over a
 * million-member collection took 180 ms instead of 3 ms) and deleted rows are never reclaimed.
 * So, for the embedded engine only, run VACUUM (ANALYZE) once after start and then at most once a
 * minute, when some transaction changed data since the last run. "Changed data" is read from the
 * transaction-id counter, which only a writing transaction advances: a read, a lock attempt or a
 * write its own statement refused (role, visibility, If-Match: no row matched) leaves it where it
 * was. A write refused by a unique index or trigger (409) did begin and was rolled back; it leaves
 * a dead row version behind, which is what VACUUM is for, and the once-a-minute floor bounds what
 * any caller can make the engine do.
 */
@Injectable()
export class EmbeddedMaintenance implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Maintenance');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private seenXid = '';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(Database) private readonly db: Database,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.database.kind !== 'embedded') return;
    // After start-up, not during it: the service answers at once.
    this.timer = setTimeout(() => {
      this.tick();
      this.timer = setInterval(() => this.tick(), INTERVAL_MS).unref();
    }, 1000).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.run()
      .catch((error: unknown) => this.logger.warn(`VACUUM (ANALYZE) failed: ${(error as Error).message}`))
      .finally(() => (this.running = undefined));
  }

  private async run(): Promise<void> {
    if ((await this.nextXid()) === this.seenXid) return;
    await this.db.maintenance('VACUUM (ANALYZE)');
    this.seenXid = await this.nextXid(); // after ANALYZE's own transaction
  }

  private async nextXid(): Promise<string> {
    const [row] = await this.db.maintenance<{ xid: string }>(
      'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xid',
    );
    return row.xid;
  }
}
