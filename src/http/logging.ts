import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import type { AppConfig } from '../config/config.js';

let latest: Logger | null = null;

/**
 * Prints plain text (lines of its own, not a log record) on stdout after the log lines written so
 * far: through the logger's own stream, since pino writes asynchronously and text written to
 * stdout directly would overtake them (pino-pretty passes such lines through as they are).
 */
export function printBesideLogs(text: string): void {
  const stream = (latest as unknown as Record<symbol, { write(chunk: string): unknown } | undefined> | null)?.[
    pino.symbols.streamSym
  ];
  if (stream) stream.write(text);
  else process.stdout.write(text);
}

/**
 * The one logger of the process: pino, which Fastify uses for its request logs and Nest (through
 * NestPinoLogger) for everything else. JSON lines (time, level, msg, requestId…) unless
 * LOG_FORMAT is pretty, which a terminal gets by default outside production.
 */
export function createLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat'>): Logger {
  latest = pino({
    level: config.logLevel,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['req.headers.authorization', 'headers.authorization'], remove: true },
    ...(config.logFormat === 'pretty'
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true },
          },
        }
      : {}),
  });
  return latest;
}

/** Nest's own start-up chatter (a line per module and per route) is debug, not info. */
const CHATTY = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

/** Nest's LoggerService over pino: `context` becomes a field, Nest's start-up chatter goes to debug. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = this.context(rest);
    this.write(context !== undefined && CHATTY.has(context) ? 'debug' : 'info', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    const context = this.context(rest);
    const stack = rest.find((item) => typeof item === 'string' && item.includes('\n    at '));
    this.write('error', message, context, typeof stack === 'string' ? stack : undefined);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, this.context(rest));
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, this.context(rest));
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, this.context(rest));
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, this.context(rest));
  }

  /** Nest passes the context as the last string argument. */
  private context(rest: unknown[]): string | undefined {
    const last = rest.at(-1);
    return typeof last === 'string' && !last.includes('\n') ? last : undefined;
  }

  private write(level: pino.Level, message: unknown, context?: string, stack?: string): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    if (context !== undefined) fields.context = context;
    if (stack !== undefined) fields.stack = stack;
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }
}
