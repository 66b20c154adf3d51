import { parseArgs } from 'node:util';
import { signToken } from '#src/auth/tokens.js';
import { ConfigError, loadConfig } from '#src/config/config.js';
import { withDevSecret } from '#src/config/dev-secret.js';

/** `npm run token -- --sub alice [--username alice] [--name …] [--email …] [--ttl 1h]` */
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
  const ttl = /^\d+$/.test(values.ttl) ? Number(values.ttl) : values.ttl;
  const config = withDevSecret(loadConfig());
  const { sub, username, name, email } = values;
  console.log(signToken(config.jwt, { sub, username, name, email }, ttl));
}

try {
  main();
} catch (error) {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : (error as Error).message);
  process.exit(1);
}
