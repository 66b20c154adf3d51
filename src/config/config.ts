import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Which database engine the service talks to. */
export type DatabaseConfig =
  | { kind: 'embedded'; dataDir: string | null }
  | {
      kind: 'server';
      url: string;
      poolSize: number;
      connectTimeoutMs: number;
      statementTimeoutMs: number;
    };

export interface JwtConfig {
  /** HS256 key; generated into DATA_DIR when unset and the database is embedded. */
  secret: string | null;
  /** PEM public key for RS256/ES256 tokens. */
  publicKey: string | null;
  issuer: string | null;
  audience: string | null;
  /** Tokens older than this by `iat` (seconds) are refused; null: no limit beyond `exp`. */
  maxAgeSeconds: number | null;
}

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  jwt: JwtConfig;
  logLevel: LogLevel;
  logFormat: 'json' | 'pretty';
  limits: LimitsConfig;
  /** Days a deleted dataset or collection stays restorable before it is purged. */
  trashRetentionDays: number;
  /** Allowed browser origins (`*` for any); empty: CORS off. */
  corsOrigins: string[];
  metrics: boolean;
  changes: ChangesConfig;
  /**
   * Fastify's `trustProxy`: false (the peer is the client), true (trust every X-Forwarded-For hop),
   * a number of hops, or the addresses and CIDRs of trusted proxies.
   */
  trustProxy: boolean | number | string[];
}

/** The change feed and its webhooks. */
export interface ChangesConfig {
  /** Days a change stays in the feed. */
  retentionDays: number;
  /** Hours a failing webhook is retried before it is disabled. */
  webhookRetryHours: number;
  /** Whether webhook URLs may be plain http (https only by default). */
  webhookAllowHttp: boolean;
  /** Hosts (names or addresses) a webhook may reach although they are loopback, private or link-local. */
  webhookAllowedHosts: string[];
}

export interface LimitsConfig {
  /** Requests a minute per caller (per client address before authentication: 10×); 0 turns limiting off. */
  ratePerMinute: number;
  /** Where rate-limit counters live: null keeps them in this process; a redis:// URL shares them between instances. */
  rateLimitRedisUrl: string | null;
  /** Full-member reads running at once in this instance; as many more may wait. */
  heavyReads: number;
  /** A streamed answer whose client takes nothing more for this long is cut (connection closed). */
  streamSendTimeoutMs: number;
  /** A PATCH or trash restore of a collection with more members answers the first 100 and membersTruncated. */
  fullAnswerMembers: number;
  /** Writes of one caller running at once per instance (others wait, holding no connection); 0: no limit. */
  writesPerCaller: number;
  /** A request must have arrived whole (headers and body) within this. */
  requestTimeoutMs: number;
  /** Live (24 h) Idempotency-Keys one caller may keep; a new key beyond them is 429. */
  idempotencyKeysPerCaller: number;
}

/** A bad setting: the message is one sentence naming the variable and what is wrong. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${raw}'.`);
  }
  return Number(raw);
}

function database(env: Env, dataDir: string): DatabaseConfig {
  const url = text(env, 'DATABASE_URL');
  if (url === null) return { kind: 'embedded', dataDir };
  if (url === 'memory://') return { kind: 'embedded', dataDir: null };
  if (!/^postgres(ql)?:\/\/.+/.test(url)) {
    throw new ConfigError(
      `DATABASE_URL must be a postgres:// or postgresql:// URL, or memory:// for a throw-away embedded database, got '${url.replace(/:[^:@/]*@/, ':***@')}'.`,
    );
  }
  try {
    new URL(url);
  } catch {
    throw new ConfigError('DATABASE_URL is not a valid URL.');
  }
  return {
    kind: 'server',
    url,
    poolSize: integer(env, 'DB_POOL_SIZE', 10, 1, 1000),
    connectTimeoutMs: integer(env, 'DB_CONNECT_TIMEOUT_MS', 5000, 1, 600_000),
    statementTimeoutMs: integer(env, 'DB_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
  };
}

/** The shortest HS256 key a server database accepts (RFC 7518 §3.2: at least the hash's 256 bits). */
const MIN_SECRET_BYTES = 32;

function jwt(env: Env, db: DatabaseConfig): JwtConfig {
  // PEM keys in one-line env files often carry literal "\n".
  const publicKey = text(env, 'JWT_PUBLIC_KEY')?.replace(/\\n/g, '\n') ?? null;
  if (publicKey !== null) {
    try {
      const key = createPublicKey(publicKey);
      if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') {
        throw new Error('unsupported key type');
      }
    } catch {
      throw new ConfigError('JWT_PUBLIC_KEY must be a PEM-encoded RSA or EC public key.');
    }
  }
  const secret = text(env, 'JWT_SECRET');
  if (db.kind === 'server' && secret === null && publicKey === null) {
    throw new ConfigError(
      'JWT_SECRET or JWT_PUBLIC_KEY must be set when DATABASE_URL points at a PostgreSQL server, so tokens are not signed with a throw-away key.',
    );
  }
  if (db.kind === 'server' && secret !== null && Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    throw new ConfigError(
      `JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes when DATABASE_URL points at a PostgreSQL server (a short HS256 key can be guessed offline from one token), got ${Buffer.byteLength(secret)}.`,
    );
  }
  const issuer = text(env, 'JWT_ISSUER');
  const audience = text(env, 'JWT_AUDIENCE');
  if (publicKey !== null && issuer === null && audience === null) {
    throw new ConfigError(
      'JWT_PUBLIC_KEY needs JWT_ISSUER or JWT_AUDIENCE (or both), so tokens your identity provider issued for other services are refused.',
    );
  }
  return { secret, publicKey, issuer, audience, maxAgeSeconds: duration(env, 'JWT_MAX_AGE') };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A duration such as `90s`, `15m`, `24h`, `7d` (or plain seconds), in seconds. */
function duration(env: Env, name: string): number | null {
  const raw = text(env, name);
  if (raw === null) return null;
  const match = /^(\d+)\s*([smhd]?)$/.exec(raw);
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2] || 's'] : 0;
  if (!match || seconds < 1 || !Number.isSafeInteger(seconds)) {
    throw new ConfigError(`${name} must be a duration such as 3600, 90s, 15m, 24h or 7d, got '${raw}'.`);
  }
  return seconds;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got '${raw}'.`);
}

function corsOrigins(env: Env): string[] {
  const raw = text(env, 'CORS_ORIGINS');
  if (raw === null) return [];
  const origins = raw
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError(
        `CORS_ORIGINS must be '*' or comma-separated origins such as https://app.example.com, got '${origin}'.`,
      );
    }
  }
  return origins;
}

/** TRUST_PROXY: true/false, a number of hops, or comma-separated proxy addresses and CIDRs. */
function trustProxy(env: Env): boolean | number | string[] {
  const raw = text(env, 'TRUST_PROXY');
  if (raw === null || ['false', '0', 'no', 'off'].includes(raw.toLowerCase())) return false;
  if (['true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (/^\d+$/.test(raw)) return integer(env, 'TRUST_PROXY', 0, 1, 100);
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || rest.length > 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) {
      throw new ConfigError(
        `TRUST_PROXY must be true, false, a number of hops or comma-separated addresses and CIDRs such as 10.0.0.0/8, got '${entry}'.`,
      );
    }
  }
  return entries;
}

function logFormat(env: Env): 'json' | 'pretty' {
  const raw = text(env, 'LOG_FORMAT')?.toLowerCase();
  if (raw === 'json' || raw === 'pretty') return raw;
  if (raw !== undefined) throw new ConfigError(`LOG_FORMAT must be json or pretty, got '${raw}'.`);
  return env.NODE_ENV === 'production' || !process.stdout.isTTY ? 'json' : 'pretty';
}

function limits(env: Env, db: DatabaseConfig): LimitsConfig {
  const redis = text(env, 'RATE_LIMIT_REDIS_URL');
  if (redis !== null && !/^rediss?:\/\/.+/.test(redis)) {
    throw new ConfigError(`RATE_LIMIT_REDIS_URL must be a redis:// or rediss:// URL, got '${redis}'.`);
  }
  return {
    ratePerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 6000, 0, 100_000_000),
    rateLimitRedisUrl: redis,
    heavyReads: integer(env, 'HEAVY_READS', 4, 1, 1000),
    streamSendTimeoutMs: integer(env, 'STREAM_SEND_TIMEOUT_MS', 30_000, 100, 3_600_000),
    fullAnswerMembers: integer(env, 'FULL_ANSWER_MEMBERS', 50_000, 100, 50_000),
    // Half of the pool: one caller's writes waiting on one row lock leave the rest to others.
    writesPerCaller: integer(
      env,
      'DB_WRITES_PER_CALLER',
      db.kind === 'server' ? Math.ceil(db.poolSize / 2) : 0,
      0,
      1000,
    ),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    idempotencyKeysPerCaller: integer(env, 'IDEMPOTENCY_KEYS_PER_CALLER', 1000, 1, 1_000_000),
  };
}

/** Reads `.env` (when present) under the real environment, which wins. */
export function readEnv(cwd = process.cwd()): Env {
  const file = resolve(cwd, '.env');
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  return { ...fromFile, ...process.env };
}

/** Builds the typed configuration, or throws a ConfigError naming the first bad variable. */
export function loadConfig(env: Env = readEnv()): AppConfig {
  const logLevel = (text(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'.`);
  }
  const dataDir = resolve(text(env, 'DATA_DIR') ?? './.data');
  const db = database(env, dataDir);
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: text(env, 'HOST') ?? '0.0.0.0',
    dataDir,
    database: db,
    jwt: jwt(env, db),
    logLevel: logLevel as LogLevel,
    logFormat: logFormat(env),
    limits: limits(env, db),
    trashRetentionDays: integer(env, 'TRASH_RETENTION_DAYS', 30, 1, 36_500),
    corsOrigins: corsOrigins(env),
    metrics: boolean(env, 'METRICS', true),
    trustProxy: trustProxy(env),
    changes: {
      retentionDays: integer(env, 'CHANGES_RETENTION_DAYS', 30, 1, 36_500),
      webhookRetryHours: integer(env, 'WEBHOOK_RETRY_HOURS', 72, 1, 8760),
      webhookAllowHttp: boolean(env, 'WEBHOOK_ALLOW_HTTP', false),
      webhookAllowedHosts: (text(env, 'WEBHOOK_ALLOWED_HOSTS') ?? '')
        .split(',')
        .map((host) => host.trim().toLowerCase())
        .filter(Boolean),
    },
  };
}
