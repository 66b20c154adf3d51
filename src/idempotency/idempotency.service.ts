import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Answer } from '../common/answer.js';
import { ConflictError, TooManyRequestsError, UnprocessableError } from '../common/errors.js';
import { RawJson } from '../common/raw-json.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { Database } from '../database/database.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import type { Keep } from './keep.js';

/** A request carrying an Idempotency-Key: its caller, the key and the request's fingerprint. */
export interface IdempotencyRequest {
  userId: string;
  key: string;
  /** sha256 of method, path and body. */
  fingerprint: string;
}

/** How often expired keys are purged (any instance may; the DELETE is safe to run twice). */
const PURGE_EVERY_MS = 10 * 60_000;

/**
 * Idempotency keys (API.md, Safety for clients): the first request with a key runs and its answer
 * is kept in the same transaction as its change; a retry replays it; the key with another request
 * is 422; while the first still runs, 409.
 */
@Injectable()
export class IdempotencyService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Idempotency');
  private timer: NodeJS.Timeout | undefined;

  /** Live keys one caller may keep (IDEMPOTENCY_KEYS_PER_CALLER). */
  private readonly maxKeys: number;

  constructor(
    private readonly db: Database,
    private readonly keys: IdempotencyRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.maxKeys = config.limits.idempotencyKeysPerCaller;
  }

  /**
   * Runs `work` (one statement, which keeps its answer when given a Keep) once per key: without a
   * key as it is; with one, in a transaction that first claims the key, or replays what the key
   * already holds.
   */
  async run<T>(
    request: IdempotencyRequest | null,
    answer: { status: number; location?: string },
    work: (keep?: Keep) => Promise<RawJson<T>>,
  ): Promise<Answer<T>> {
    if (request === null) return new Answer(await work(), { location: answer.location });
    return this.db.transaction(async (tx) => {
      const { claimed, kept, full } = await this.keys.claim(tx, request.userId, request.key, this.maxKeys);
      if (!claimed) {
        throw new ConflictError('A request with this Idempotency-Key is still in progress; retry it shortly');
      }
      if (full) {
        throw new TooManyRequestsError(
          `You keep ${this.maxKeys} Idempotency-Keys from the last 24 h (IDEMPOTENCY_KEYS_PER_CALLER); send this request without a key, or retry later`,
          3600,
        );
      }
      if (kept !== null) {
        if (kept.fingerprint !== request.fingerprint) {
          throw new UnprocessableError(
            'This Idempotency-Key was used for a different request (method, path or body); use a new key',
          );
        }
        return new Answer(new RawJson<T>(kept.body), { location: kept.location ?? undefined, replayed: true });
      }
      const body = await work({ tx, ...request, status: answer.status, location: answer.location ?? null });
      return new Answer(body, { location: answer.location });
    });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.purge(), PURGE_EVERY_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async purge(): Promise<void> {
    try {
      while ((await this.keys.purgeExpired(1000)) === 1000);
    } catch (error) {
      this.logger.warn(`purging expired idempotency keys failed: ${(error as Error).message}`);
    }
  }
}
