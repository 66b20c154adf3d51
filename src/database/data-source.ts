import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataSourceOptions, Logger } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { DatabaseConfig } from '#src/config/config.js';
import { ENTITIES } from '#src/database/entities.js';
import { MIGRATIONS } from '#migrations/index.js';
import { lockDataDir } from './data-dir-lock.js';

/** Statements slower than this are logged as warnings. */
const SLOW_STATEMENT_MS = 1000;

/**
 * DataSource options for either engine. Schema changes come only from migrations, which run at
 * start-up (`synchronize` stays off everywhere).
 */
export function dataSourceOptions(db: DatabaseConfig, logger?: Logger): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    installExtensions: false,
    // Generated uuid columns default to gen_random_uuid(), core since PostgreSQL 13 (PGlite has no uuid-ossp).
    uuidExtension: 'pgcrypto' as const,
    logger,
    maxQueryExecutionTime: SLOW_STATEMENT_MS,
  };
  if (db.kind === 'embedded') {
    let dataDir: string | undefined;
    if (db.dataDir !== null) {
      dataDir = join(db.dataDir, 'pgdata');
      mkdirSync(dataDir, { recursive: true });
      lockDataDir(db.dataDir);
    }
    // PGlite writes through to DATA_DIR before a statement returns, so a 2xx survives kill -9.
    return { ...common, driver: new PGliteDriver({ dataDir, relaxedDurability: false }).driver };
  }
  return {
    ...common,
    url: db.url,
    poolSize: db.poolSize,
    connectTimeoutMS: db.connectTimeoutMs,
    applicationName: 'dreamlake-catalog',
    extra: { statement_timeout: db.statementTimeoutMs || undefined },
  };
}
