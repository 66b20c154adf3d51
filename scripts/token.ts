import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { signToken } from '#src/auth/tokens.js';
import { ConfigError, loadConfig } from '#src/config/config.js';
import { DEV_SECRET_FILE, withDevSecret } from '#src/config/dev-secret.js';

/**
 * `npm run token -- --sub alice [--username alice] [--name …] [--email …] [--ttl 1h]`: a token
 * signed with the key the service uses, read from the same environment, `.env` and DATA_DIR;
 * which key it used is said on stderr, so the token goes alone to stdout.
 */
function main(): void {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      username: { type: 'string' },
      name: { type: 'string' },
      email: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
    },
  });
  if (!values.sub) {
    console.error(
      'Usage: npm run token -- --sub <user> [--username <name>] [--name <name>] [--email <email>] [--ttl 1h]',
    );
    process.exit(2);
  }
  const loaded = loadConfig();
  if (loaded.jwt.secret === null) {
    const file = join(loaded.dataDir, DEV_SECRET_FILE);
    if (loaded.jwt.publicKey !== null) {
      throw new Error('Only JWT_PUBLIC_KEY is set: tokens for it come from your identity provider, not from here.');
    }
    if (loaded.database.kind !== 'embedded' || !existsSync(file)) {
      throw new Error(
        `No signing key: set JWT_SECRET (as the service has it), or start the service once (npm start) so it generates ` +
          `one in ${file} (DATA_DIR=${loaded.dataDir}).`,
      );
    }
  }
  const config = withDevSecret(loaded);
  const ttl = /^\d+$/.test(values.ttl) ? Number(values.ttl) : values.ttl;
  const { sub, username, name, email } = values;
  console.log(signToken(config.jwt, { sub, username, name, email }, ttl));
  console.error(
    config.generatedSecret
      ? `Signed with the development secret in ${join(config.dataDir, DEV_SECRET_FILE)}; valid for ${values.ttl}.`
      : `Signed with JWT_SECRET; valid for ${values.ttl}.`,
  );
}

try {
  main();
} catch (error) {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : (error as Error).message);
  process.exit(1);
}
