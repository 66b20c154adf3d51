import type { Queryable } from '../database/database.js';
import { sql, type Sql } from '../database/sql.js';

/**
 * What a request carrying an Idempotency-Key asks its statement to keep, in the same statement
 * as the change: its caller and key, the request's fingerprint, and the answer's status and
 * Location. `tx` is the transaction the key was claimed in.
 */
export interface Keep {
  tx: Queryable;
  userId: string;
  key: string;
  fingerprint: string;
  status: number;
  location: string | null;
}

/**
 * The CTE (with its leading comma) that stores the statement's answer `body` (an expression of the
 * statement's other CTEs, null when the statement changed nothing) under the key — over 64 KiB,
 * without its member lists (`kept_body`, issue 21 row 9); nothing without a key.
 */
export function keepAnswer(keep: Keep | undefined, body: Sql): Sql {
  if (keep === undefined) return sql``;
  return sql`, kept AS (
       INSERT INTO idempotency_key (user_id, key, fingerprint, status, body, location)
       SELECT ${keep.userId}::text, ${keep.key}::text, ${keep.fingerprint}::text, ${keep.status}::smallint, kept_body(b.body),
              ${keep.location}::text
       FROM (SELECT ${body} AS body) b WHERE b.body IS NOT NULL
     )`;
}
