import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig, readEnv } from '#src/config/config.js';
import { dataSourceOptions } from '#src/database/data-source.js';

// Migrations need no signing key; a placeholder keeps the server-database key check quiet here only.
const config = loadConfig({ JWT_SECRET: 'not-used-by-migrations-placeholder-key', ...readEnv() });

/** The DataSource the TypeORM CLI uses (`npm run migration:*`), configured like the service. */
export default new DataSource(dataSourceOptions(config.database));
