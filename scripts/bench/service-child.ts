import 'reflect-metadata';
import { createApp } from '#src/app.js';
import { loadConfig } from '#src/config/config.js';
import { Database } from '#src/database/database.js';
import { serveParent } from './ipc.js';

/*
 * The service as `npm start` runs it (createApp + listen, configured from the environment the
 * benchmark sets), in a child process of its own, plus what the benchmark asks over IPC: the SQL and
 * parameters each request sends (Database.onStatement, set only while capturing), the statement
 * count, and a clean stop (so `node --cpu-prof` writes its profile).
 */

export interface CapturedStatement {
  sql: string;
  params: unknown[];
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  const db = app.get(Database);
  let captured: CapturedStatement[] = [];

  serveParent(
    {
      captureStart: () => {
        captured = [];
        db.onStatement = (sql, params) => captured.push({ sql, params: [...params] });
      },
      captureStop: () => {
        db.onStatement = null;
        return captured;
      },
      statements: () => db.statements,
      stop: async () => {
        await app.close();
        setImmediate(() => process.exit(0));
      },
    },
    { url: `http://${config.host}:${config.port}`, engine: config.database.kind },
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
