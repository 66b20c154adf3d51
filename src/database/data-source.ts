import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { DataSourceOptions, Logger } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { DatabaseConfig } from '#src/config/config.js';
import { ENTITIES } from '#src/database/entities.js';
import { MIGRATIONS } from '#migrations/index.js';
import { lockDataDir } from './data-dir-lock.js';
import { PGLITE_EXTENSIONS, PGLITE_START_PARAMS } from './database.js';

type Callback = (error: Error | null, result?: unknown) => void;

/**
 * The `pg`-shaped pool TypeORM's postgres driver expects, over a PGlite instance the service
 * already opened (typeorm-pglite's own driver keeps one process-wide instance instead).
 */
function poolOver(pglite: PGlite): unknown {
  return class PglitePool extends EventEmitter {
    connect(callback: (error: Error | null, client: unknown, release: () => void) => void): void {
      callback(null, this, () => undefined);
    }

    query(sql: string, params: unknown[] | Callback | undefined, callback?: Callback): Promise<unknown> {
      const done = typeof params === 'function' ? params : callback;
      const values = Array.isArray(params) ? params : [];
      const result =
        values.length > 0
          ? pglite.query(sql, values)
          : pglite.exec(sql).then((results) => results.at(-1) ?? { rows: [] });
      return result.then(
        (value) => (done?.(null, value), value),
        (error: Error) => {
          done?.(error);
          throw error;
        },
      );
    }

    end(callback?: Callback): void {
      callback?.(null); // the instance belongs to the service, which closes it
    }
  };
}

/**
 * DataSource options for either engine: TypeORM describes the schema (entities, for
 * `migration:generate`) and runs the migrations; requests never go through it. With `pglite`,
 * TypeORM uses that instance; without it (the TypeORM CLI), it opens DATA_DIR itself.
 */
export function dataSourceOptions(db: DatabaseConfig, logger?: Logger, pglite?: PGlite): DataSourceOptions {
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
  };
  if (db.kind === 'embedded') {
    if (pglite) return { ...common, driver: { Pool: poolOver(pglite) } };
    let dataDir: string | undefined;
    if (db.dataDir !== null) {
      lockDataDir(db.dataDir);
      dataDir = join(db.dataDir, 'pgdata');
      mkdirSync(dataDir, { recursive: true });
    }
    const driver = new PGliteDriver({
      dataDir,
      relaxedDurability: false,
      extensions: PGLITE_EXTENSIONS,
      startParams: PGLITE_START_PARAMS,
    }).driver;
    return { ...common, driver };
  }
  return {
    ...common,
    url: db.url,
    poolSize: 2, // one holds the migration lock, one migrates
    connectTimeoutMS: db.connectTimeoutMs,
    applicationName: 'dreamlake-catalog-migrations',
  };
}
