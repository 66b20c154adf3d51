import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from '../database/database.js';
import { GenerateSql } from '../database/generate-sql.js';
import { sql } from '../database/sql.js';

/** An answer kept under an Idempotency-Key. */
export interface KeptAnswer {
  fingerprint: string;
  status: number;
  body: string;
  location: string | null;
}

/** How long a kept answer is replayed. */
const KEPT_FOR = sql`interval '24 hours'`;

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly db: Database) {}

  /**
   * In the request's transaction: takes the key (an advisory lock held until it ends; `claimed`
   * false while another request holds it) and, after the lock, reads the answer kept under it,
   * dropping one past its 24 hours so the key can be used again. `idempotency_claim` reads with a
   * snapshot taken after the lock (issue 21 row 5), so a request that committed just before is seen;
   * `full` when the key is new and the caller already keeps `maxKeys` live ones (row 9).
   */
  @GenerateSql({ params: (f) => [null, f.user, 'retry-7', 1000] })
  async claim(
    tx: Queryable | null,
    userId: string,
    key: string,
    maxKeys: number,
  ): Promise<{ claimed: boolean; kept: KeptAnswer | null; full: boolean }> {
    const statement = sql`SELECT c.claimed, c.kept, c.full
       FROM idempotency_claim(${userId}::text, ${key}::text, ${KEPT_FOR}, ${maxKeys}::int) c`;
    return this.db.one(statement, { via: tx ?? undefined });
  }

  /** Drops up to `batch` answers kept longer than 24 hours; how many went. */
  @GenerateSql({ params: () => [1000] })
  async purgeExpired(batch: number): Promise<number> {
    const statement = sql`WITH gone AS (
         DELETE FROM idempotency_key WHERE (user_id, key) IN (
           SELECT user_id, key FROM idempotency_key WHERE created_at <= now() - ${KEPT_FOR} LIMIT ${batch}::int)
         RETURNING 1
       )
       SELECT count(*)::int AS purged FROM gone`;
    const [row] = await this.db.maintenance<{ purged: number }>(statement.text, statement.values);
    return row.purged;
  }
}
