import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from '../database/database.js';

/** An answer kept under an Idempotency-Key. */
export interface KeptAnswer {
  fingerprint: string;
  status: number;
  body: string;
  location: string | null;
}

/** How long a kept answer is replayed. */
export const KEPT_FOR = `interval '24 hours'`;

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly db: Database) {}

  /**
   * In the request's transaction: takes the key (an advisory lock held until it ends; `claimed`
   * false while another request holds it) and reads the answer kept under it, dropping one past
   * its 24 hours so the key can be used again.
   */
  async claim(tx: Queryable, userId: string, key: string): Promise<{ claimed: boolean; kept: KeptAnswer | null }> {
    const [row] = await tx.query<{ claimed: boolean; kept: KeptAnswer | null }>(
      `WITH expired AS (
         DELETE FROM idempotency_key WHERE user_id = $1::text AND key = $2::text AND created_at <= now() - ${KEPT_FOR}
       )
       SELECT pg_try_advisory_xact_lock(hashtextextended($1::text || chr(31) || $2::text, 0)) AS claimed,
              (SELECT json_build_object('fingerprint', k.fingerprint, 'status', k.status, 'body', k.body, 'location', k.location)
               FROM idempotency_key k
               WHERE k.user_id = $1::text AND k.key = $2::text AND k.created_at > now() - ${KEPT_FOR}) AS kept`,
      [userId, key],
    );
    return row;
  }

  /** Drops up to `batch` answers kept longer than 24 hours; how many went. */
  async purgeExpired(batch: number): Promise<number> {
    const [row] = await this.db.maintenance<{ purged: number }>(
      `WITH gone AS (
         DELETE FROM idempotency_key WHERE (user_id, key) IN (
           SELECT user_id, key FROM idempotency_key WHERE created_at <= now() - ${KEPT_FOR} LIMIT $1)
         RETURNING 1
       )
       SELECT count(*)::int AS purged FROM gone`,
      [batch],
    );
    return row.purged;
  }
}
