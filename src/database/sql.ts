import type { DataSource } from 'typeorm';

/** Runs one statement that answers with exactly one row (every route's statement does). */
export async function queryRow<T>(db: DataSource, sql: string, params: unknown[]): Promise<T> {
  const rows = await db.query<T[]>(sql, params);
  if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
  return rows[0];
}

/** A JSON array aggregate that is `[]`, not null, when there are no rows. */
export const jsonArray = (expr: string, order: string): string => `coalesce(json_agg(${expr} ORDER BY ${order}), '[]')`;
