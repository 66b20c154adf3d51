import type { PGlite } from '@electric-sql/pglite';
import { Logger as NestLogger } from '@nestjs/common';
import { DataSource, type Logger } from 'typeorm';
import type { DatabaseConfig } from '../config/config.js';
import { dataSourceOptions } from './data-source.js';
import type { Database } from './database.js';

/** Any fixed number: instances starting together on one server run the migrations one at a time. */
const MIGRATION_LOCK = 7_406_114_011;

/** TypeORM's messages while migrating: failures as warnings, the rest at debug. */
class MigrationLogger implements Logger {
  private readonly logger = new NestLogger('Migrations');
  logQuery(): void {}
  logQueryError(error: string | Error, query: string): void {
    this.logger.warn(
      `${error instanceof Error ? error.message : error} -- ${query.replace(/\s+/g, ' ').slice(0, 300)}`,
    );
  }
  logQuerySlow(): void {}
  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }
  logMigration(message: string): void {
    this.logger.debug(message);
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
    else this.logger.debug(String(message));
  }
}

/**
 * Brings the schema up to date through TypeORM's migrations; returns the names of those it
 * applied. On a server, a session advisory lock makes concurrent starts wait for each other.
 */
export async function migrate(database: Database, config: DatabaseConfig, pglite?: PGlite): Promise<string[]> {
  const source = new DataSource(dataSourceOptions(config, new MigrationLogger(), pglite));
  await source.initialize();
  const lock = source.createQueryRunner();
  try {
    if (database.kind === 'server') await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await source.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    if (database.kind === 'server') await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => 0);
    await lock.release();
    await source.destroy();
  }
}
