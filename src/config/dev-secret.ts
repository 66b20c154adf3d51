import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from './config.js';

export const DEV_SECRET_FILE = 'jwt-secret';

/**
 * With the embedded database and no key configured, the service signs with a secret generated
 * once into DATA_DIR, so a fresh clone runs with nothing to set and tokens survive restarts.
 */
export function withDevSecret(config: AppConfig): AppConfig & { generatedSecret: boolean } {
  if (config.jwt.secret !== null || config.jwt.publicKey !== null || config.database.kind !== 'embedded') {
    return { ...config, generatedSecret: false };
  }
  const file = join(config.dataDir, DEV_SECRET_FILE);
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  }
  const secret = readFileSync(file, 'utf8').trim();
  return { ...config, jwt: { ...config.jwt, secret }, generatedSecret: true };
}
