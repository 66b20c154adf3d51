import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import { ChangesModule } from './changes/changes.module.js';
import { CollectionsModule } from './collections/collections.module.js';
import { CommonModule } from './common/common.module.js';
import { ConfigModule } from './config/config.module.js';
import type { AppConfig } from './config/config.js';
import { DatabaseModule } from './database/database.module.js';
import { DatasetsModule } from './datasets/datasets.module.js';
import { HealthModule } from './health/health.module.js';
import { IdempotencyModule } from './idempotency/idempotency.module.js';
import { MeModule } from './me/me.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { NamespacesModule } from './namespaces/namespaces.module.js';
import { ProjectsModule } from './projects/projects.module.js';
import { TrashModule } from './trash/trash.module.js';
import { VersionsModule } from './versions/versions.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

/** Wires the feature modules around the configuration main.ts (or a test) validated. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MetricsModule.forRoot(config.metrics),
        CommonModule,
        IdempotencyModule,
        AuthModule,
        HealthModule,
        MeModule,
        NamespacesModule,
        ProjectsModule,
        DatasetsModule,
        CollectionsModule,
        TrashModule,
        VersionsModule,
        ChangesModule,
        WebhooksModule,
      ],
    };
  }
}
