import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.js';
import { signToken } from './auth/tokens.js';
import { ConfigError, loadConfig } from './config/config.js';
import { withDevSecret } from './config/dev-secret.js';
import { lockDataDir } from './database/data-dir-lock.js';

async function bootstrap(): Promise<void> {
  const config = withDevSecret(loadConfig());

  // Before Nest starts, so a second process on the same DATA_DIR stops with one sentence.
  if (config.database.kind === 'embedded' && config.database.dataDir !== null) lockDataDir(config.database.dataDir);
  const app = await createApp(config);
  await app.listen(config.port, config.host);

  const logger = new Logger('Bootstrap');
  const base = `http://localhost:${config.port}`;
  const where = config.database.kind === 'server' ? 'PostgreSQL server' : (config.database.dataDir ?? 'memory');
  logger.log(`DreamLake catalog listening on ${base} (database: ${where})`);
  logger.log(`Swagger UI: ${base}/docs`);
  if (config.generatedSecret) {
    const token = signToken(config.jwt, { sub: 'dev', username: 'dev', name: 'Developer' }, '30d');
    // Printed on stdout so it can be copied whatever LOG_LEVEL says.
    console.log(
      [
        '',
        'Development token (sub "dev", valid 30 days; signed with the secret generated in DATA_DIR):',
        `  ${token}`,
        `Try: curl -H "Authorization: Bearer ${token}" ${base}/me`,
        '',
      ].join('\n'),
    );
  }
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(1);
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    console.error(`Cannot listen: ${(error as Error).message}; set PORT (and HOST) to a free address.`);
  } else if (typeof code === 'string' && /^(E[A-Z]+|08...|28...|3D000)$/.test(code)) {
    // Unreachable server, refused login, unknown database: one sentence, no stack.
    console.error(`Cannot use the database in DATABASE_URL: ${(error as Error).message} (${code}).`);
  } else {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  }
  process.exit(1);
});
