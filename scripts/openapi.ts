import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { createApp, openApiDocument } from '#src/app.js';
import { loadConfig } from '#src/config/config.js';

/** Writes openapi.json from the controllers and DTOs (`npm run openapi`); CI fails when it drifts. */
async function main(): Promise<void> {
  const config = loadConfig({ DATABASE_URL: 'memory://', JWT_SECRET: 'openapi', LOG_LEVEL: 'error' });
  const app = await createApp(config);
  await app.init();
  const document = openApiDocument(app);
  writeFileSync(process.argv[2] ?? 'openapi.json', JSON.stringify(document, null, 2) + '\n');
  await app.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
