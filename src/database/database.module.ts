import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { lockDataDir } from './data-dir-lock.js';
import { Database, EmbeddedDatabase, openPglite, openServerPool, ServerDatabase } from './database.js';
import { EmbeddedMaintenance } from './embedded-maintenance.js';
import { migrate } from './migrate.js';
import { join } from 'node:path';

/** Opens the configured engine and migrates it before the first request is served. */
async function openDatabase(config: AppConfig): Promise<Database> {
  const logger = new Logger('Database');
  const db = config.database;
  let database: Database;
  if (db.kind === 'server') {
    database = new ServerDatabase(openServerPool(db));
  } else {
    if (db.dataDir !== null) lockDataDir(db.dataDir);
    const pglite = await openPglite(db.dataDir === null ? null : join(db.dataDir, 'pgdata'));
    database = new EmbeddedDatabase(pglite);
  }
  try {
    const applied = await migrate(database, db, database instanceof EmbeddedDatabase ? database.pglite : undefined);
    const where = db.kind === 'server' ? 'PostgreSQL server' : `embedded PostgreSQL (${db.dataDir ?? 'in memory'})`;
    logger.log(`${where}: ${applied.length > 0 ? `applied migrations ${applied.join(', ')}` : 'schema up to date'}`);
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
  return database;
}

/** The one Database of the service, closed when the application shuts down. */
@Global()
@Module({
  providers: [{ provide: Database, inject: [APP_CONFIG], useFactory: openDatabase }, EmbeddedMaintenance],
  exports: [Database],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(Database) private readonly database: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}
