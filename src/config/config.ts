import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
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
}

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  jwt: JwtConfig;
  logLevel: LogLevel;
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
  return { secret, publicKey, issuer: text(env, 'JWT_ISSUER'), audience: text(env, 'JWT_AUDIENCE') };
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
  };
}
