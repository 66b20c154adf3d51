import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { dataSourceOptions } from './data-source.js';
import { EmbeddedMaintenance } from './embedded-maintenance.js';
import { StatementCounter } from './statement-counter.js';

/** Counts statements for the whole process; the e2e tests read it to prove one roundtrip per request. */
@Global()
@Module({ providers: [StatementCounter], exports: [StatementCounter] })
class StatementCounterModule {}

/** The one DataSource of the service; migrations run before the first request is served. */
@Module({
  imports: [
    StatementCounterModule,
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG, StatementCounter],
      useFactory: (config: AppConfig, counter: StatementCounter) => ({
        ...dataSourceOptions(config.database, counter),
        migrationsRun: true,
        retryAttempts: config.database.kind === 'server' ? 3 : 0,
        retryDelay: 1000,
      }),
    }),
  ],
  providers: [EmbeddedMaintenance],
  exports: [StatementCounterModule],
})
export class DatabaseModule {}
