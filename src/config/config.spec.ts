import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults: port 3000, embedded database under ./.data, info logs, no key', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ kind: 'embedded', dataDir: expect.stringMatching(/\.data$/) as unknown });
    expect(config.logLevel).toBe('info');
    expect(config.jwt).toEqual({ secret: null, publicKey: null, issuer: null, audience: null, maxAgeSeconds: null });
    expect(config.limits).toEqual({
      ratePerMinute: 6000,
      rateLimitRedisUrl: null,
      heavyReads: 4,
      streamSendTimeoutMs: 30_000,
      fullAnswerMembers: 50_000,
      writesPerCaller: 0,
      requestTimeoutMs: 30_000,
      idempotencyKeysPerCaller: 1000,
    });
    expect(config.trashRetentionDays).toBe(30);
    expect(config.corsOrigins).toEqual([]);
    expect(config.metrics).toBe(true);
  });

  it('JSON logs in production or when stdout is not a terminal; LOG_FORMAT wins', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(loadConfig({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
  });

  it('JWT_MAX_AGE takes seconds or a unit; CORS_ORIGINS a list or *', () => {
    expect(loadConfig({ JWT_MAX_AGE: '24h' }).jwt.maxAgeSeconds).toBe(86_400);
    expect(loadConfig({ JWT_MAX_AGE: '90' }).jwt.maxAgeSeconds).toBe(90);
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173/' }).corsOrigins).toEqual([
      'https://a.example',
      'http://localhost:5173',
    ]);
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    expect(loadConfig({ METRICS: 'false', RATE_LIMIT_PER_MINUTE: '0' })).toMatchObject({
      metrics: false,
      limits: { ratePerMinute: 0 },
    });
  });

  it('TRUST_PROXY: off by default; true, hops, or addresses and CIDRs as Fastify takes them (issue 21 row 8)', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,::1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      '::1',
    ]);
    expect(loadConfig({ DATABASE_URL: 'memory://', JWT_SECRET: 'a' }).jwt.secret).toBe('a');
  });

  it('memory:// is a throw-away embedded database', () => {
    expect(loadConfig({ DATABASE_URL: 'memory://' }).database).toEqual({ kind: 'embedded', dataDir: null });
  });

  it('a server URL with pool and timeout settings', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      JWT_SECRET: 'a-server-secret-of-at-least-32-bytes',
      DB_POOL_SIZE: '4',
      DB_STATEMENT_TIMEOUT_MS: '0',
    });
    // One caller's writes take at most half of the pool (issue 21, row 3).
    expect(config.limits.writesPerCaller).toBe(2);
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
    [{ JWT_MAX_AGE: 'forever' }, "JWT_MAX_AGE must be a duration such as 3600, 90s, 15m, 24h or 7d, got 'forever'."],
    [{ LOG_FORMAT: 'xml' }, "LOG_FORMAT must be json or pretty, got 'xml'."],
    [{ METRICS: 'maybe' }, "METRICS must be true or false, got 'maybe'."],
    [
      { CORS_ORIGINS: 'example.com' },
      "CORS_ORIGINS must be '*' or comma-separated origins such as https://app.example.com, got 'example.com'.",
    ],
    [
      { DATABASE_URL: 'postgres://u@db/x', JWT_SECRET: 'a' },
      'JWT_SECRET must be at least 32 bytes when DATABASE_URL points at a PostgreSQL server (a short HS256 key can be guessed offline from one token), got 1.',
    ],
    [
      { TRUST_PROXY: '10.0.0.0/33' },
      "TRUST_PROXY must be true, false, a number of hops or comma-separated addresses and CIDRs such as 10.0.0.0/8, got '10.0.0.0/33'.",
    ],
    [
      { TRUST_PROXY: 'balancer.internal' },
      "TRUST_PROXY must be true, false, a number of hops or comma-separated addresses and CIDRs such as 10.0.0.0/8, got 'balancer.internal'.",
    ],
    [{ TRUST_PROXY: '1000' }, "TRUST_PROXY must be an integer from 1 to 100, got '1000'."],
    [{ HEAVY_READS: '0' }, "HEAVY_READS must be an integer from 1 to 1000, got '0'."],
    [{ RATE_LIMIT_REDIS_URL: 'http://x' }, "RATE_LIMIT_REDIS_URL must be a redis:// or rediss:// URL, got 'http://x'."],
    [
      { DATABASE_URL: 'postgres://u@db/x', JWT_SECRET: 'a-server-secret-of-at-least-32-bytes', DB_POOL_SIZE: '0' },
      "DB_POOL_SIZE must be an integer from 1 to 1000, got '0'.",
    ],
  ])('%j stops the boot with one sentence', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(message));
  });

  it('a server database with only a public key is fine; escaped newlines are accepted', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@db/x',
      JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n'),
      JWT_AUDIENCE: 'catalog',
    });
    expect(config.jwt.publicKey).toBe(pem);
  });

  it('a public key without JWT_ISSUER or JWT_AUDIENCE stops the boot', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => loadConfig({ JWT_PUBLIC_KEY: pem })).toThrow(
      new ConfigError(
        'JWT_PUBLIC_KEY needs JWT_ISSUER or JWT_AUDIENCE (or both), so tokens your identity provider issued for other services are refused.',
      ),
    );
  });
});
