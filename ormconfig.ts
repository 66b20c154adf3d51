import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '#src/config/config.js';
import { dataSourceOptions } from '#src/database/data-source.js';

/** The DataSource the TypeORM CLI uses (`npm run migration:*`), configured like the service. */
export default new DataSource(dataSourceOptions(loadConfig().database));
