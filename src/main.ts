import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.js';
import { printBesideLogs } from './http/logging.js';
import { signToken } from './auth/tokens.js';
import { ConfigError, loadConfig } from './config/config.js';
import { withDevSecret } from './config/dev-secret.js';
import { lockDataDir } from './database/data-dir-lock.js';

/** In-flight requests get this long to finish after SIGTERM/SIGINT. */
const SHUTDOWN_GRACE_MS = 10_000;

/** On SIGTERM or SIGINT: stop accepting, let in-flight requests finish (10 s at most), close the database, exit 0. */
function stopOnSignals(app: NestFastifyApplication, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: shutting down (in-flight requests get up to ${SHUTDOWN_GRACE_MS / 1000} s)`);
    const force = setTimeout(() => {
      logger.warn('in-flight requests did not finish in time; exiting');
      process.exit(0);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    app.close().then(
      () => {
        logger.log('stopped');
        process.exit(0); // the 'exit' handler releases the DATA_DIR lock
      },
      (error: unknown) => {
        logger.error(`shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function bootstrap(): Promise<void> {
  const config = withDevSecret(loadConfig());

  // Before Nest starts, so a second process on the same DATA_DIR stops with one sentence.
  if (config.database.kind === 'embedded' && config.database.dataDir !== null) lockDataDir(config.database.dataDir);
  const app = await createApp(config);
  stopOnSignals(app, new Logger('Shutdown'));
  await app.listen(config.port, config.host);

  const logger = new Logger('Bootstrap');
  const base = `http://localhost:${config.port}`;
  logger.log(`DreamLake catalog listening on ${base} (Swagger UI: ${base}/docs)`);
  if (config.generatedSecret) {
    const token = signToken(config.jwt, { sub: 'dev', username: 'dev', name: 'Developer' }, '30d');
    // Printed on stdout as plain text so it can be copied whatever LOG_LEVEL and LOG_FORMAT say.
    printBesideLogs(
      [
        '',
        'Development token (sub "dev", valid 30 days; signed with the secret generated in DATA_DIR):',
        `  ${token}`,
        `Try: curl -H "Authorization: Bearer ${token}" ${base}/me`,
        '',
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
