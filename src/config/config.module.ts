import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './config.js';

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Provides the configuration that main.ts (or a test) loaded and validated before Nest started. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}
