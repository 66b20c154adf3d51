import { Logger as NestLogger } from '@nestjs/common';
import { Logger as TypeOrmLogger } from 'typeorm';

/** Prefix of statements that maintenance (not a request) sends. */
export const MAINTENANCE = '/* maintenance */';

/**
 * TypeORM logger that counts every statement sent to the database (the e2e tests assert one per
 * request with it) and reports failed and slow statements to the application log.
 */
export class StatementCounter implements TypeOrmLogger {
  private readonly logger = new NestLogger('Database');
  private count = 0;
  private writeCount = 0;

  /** Statements sent since the last reset. */
  get statements(): number {
    return this.count;
  }

  /** Data-changing statements since start (never reset); embedded maintenance watches it. */
  get writes(): number {
    return this.writeCount;
  }

  reset(): void {
    this.count = 0;
  }

  logQuery(query: string): void {
    // Background maintenance is not a request's statement: it is neither counted nor a write.
    if (query.startsWith(MAINTENANCE)) return;
    this.count++;
    if (/\b(INSERT|UPDATE|DELETE)\b/.test(query)) this.writeCount++;
    this.logger.verbose(query);
  }

  logQueryError(error: string | Error, query: string): void {
    // Constraint violations are expected answers (409); anything else is worth a warning.
    const code = (error as { code?: string }).code;
    const level = code === '23505' || code === '23514' || code === '23503' ? 'debug' : 'warn';
    this.logger[level](`${error instanceof Error ? error.message : error} -- ${query.replace(/\s+/g, ' ')}`);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`slow statement (${time} ms): ${query.replace(/\s+/g, ' ').slice(0, 500)}`);
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    this.logger[level === 'warn' ? 'warn' : 'debug'](String(message));
  }
}
