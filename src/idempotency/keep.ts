import type { Queryable } from '../database/database.js';

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
 * The CTE (with its leading comma) that stores the statement's answer `body` (a SQL expression
 * of the statement's other CTEs, null when the statement changed nothing) under the key; its
 * parameters are appended to `params`. Empty without a key.
 */
export function keepAnswer(keep: Keep | undefined, params: unknown[], body: string): string {
  if (keep === undefined) return '';
  const at = params.push(keep.userId, keep.key, keep.fingerprint, keep.status, keep.location) - 4;
  return `, kept AS (
       INSERT INTO idempotency_key (user_id, key, fingerprint, status, body, location)
       SELECT $${at}::text, $${at + 1}::text, $${at + 2}::text, $${at + 3}::smallint, b.body, $${at + 4}::text
       FROM (SELECT ${body} AS body) b WHERE b.body IS NOT NULL
     )`;
}
