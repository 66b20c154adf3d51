import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults: port 3000, embedded database under ./.data, info logs, no key', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ kind: 'embedded', dataDir: expect.stringMatching(/\.data$/) as unknown });
    expect(config.logLevel).toBe('info');
    expect(config.jwt).toEqual({ secret: null, publicKey: null, issuer: null, audience: null });
  });

  it('memory:// is a throw-away embedded database', () => {
    expect(loadConfig({ DATABASE_URL: 'memory://' }).database).toEqual({ kind: 'embedded', dataDir: null });
  });

  it('a server URL with pool and timeout settings', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      JWT_SECRET: 's',
      DB_POOL_SIZE: '4',
      DB_STATEMENT_TIMEOUT_MS: '0',
    });
    expect(config.database).toEqual({
      kind: 'server',
      url: 'postgres://u:p@db:5432/x',
      poolSize: 4,
      connectTimeoutMs: 5000,
      statementTimeoutMs: 0,
    });
  });

  it.each([
    [{ PORT: 'abc' }, "PORT must be an integer from 0 to 65535, got 'abc'."],
    [{ PORT: '70000' }, "PORT must be an integer from 0 to 65535, got '70000'."],
    [{ LOG_LEVEL: 'loud' }, "LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, got 'loud'."],
    [
      { DATABASE_URL: 'mysql://x' },
      "DATABASE_URL must be a postgres:// or postgresql:// URL, or memory:// for a throw-away embedded database, got 'mysql://x'.",
    ],
    [
      { DATABASE_URL: 'postgres://u@db/x' },
      'JWT_SECRET or JWT_PUBLIC_KEY must be set when DATABASE_URL points at a PostgreSQL server, so tokens are not signed with a throw-away key.',
    ],
    [{ JWT_PUBLIC_KEY: 'not a key' }, 'JWT_PUBLIC_KEY must be a PEM-encoded RSA or EC public key.'],
    [
      { DATABASE_URL: 'postgres://u@db/x', JWT_SECRET: 's', DB_POOL_SIZE: '0' },
      "DB_POOL_SIZE must be an integer from 1 to 1000, got '0'.",
    ],
  ])('%j stops the boot with one sentence', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(message));
  });

  it('a server database with only a public key is fine; escaped newlines are accepted', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db/x', JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n') });
    expect(config.jwt.publicKey).toBe(pem);
  });
});
