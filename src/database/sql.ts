import sqlTag, { empty, join, raw, Sql } from 'sql-template-tag';

/*
 * Statements are tagged templates (sql-template-tag): a value is written where it is used,
 * `sql`… WHERE n.slug = ${slug}::text``, and becomes a bound parameter; a nested `sql` fragment is
 * spliced in with its own values, renumbered. Identifiers and fixed keywords that must not be
 * parameters (table aliases, ASC/DESC) go through `ident` / `keyword`, which take only the names
 * this file allows, never request text.
 */
export const sql = sqlTag;
export { empty, join, Sql };

/** A table alias or CTE name: lowercase letters, digits and underscores only (never request text). */
export function ident(name: string): Sql {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not an identifier: ${name}`);
  return raw(name);
}

/** `alias.column` for a fixed alias and column. */
export function col(alias: string, column: string): Sql {
  if (!/^[a-z_][a-z0-9_]*$/.test(alias) || !/^[a-z_][a-z0-9_]*$/.test(column)) {
    throw new Error(`not an identifier: ${alias}.${column}`);
  }
  return raw(`${alias}.${column}`);
}

/** One of a fixed set of SQL keywords (sort directions and the like). */
export function keyword<K extends 'ASC' | 'DESC' | 'NULLS FIRST' | 'NULLS LAST'>(word: K): Sql {
  return raw(word);
}

/** A literal integer known at build time (a LIMIT the code fixes, not the request). */
export function int(value: number): Sql {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return raw(String(value));
}

/** ISO-8601 UTC with milliseconds, for JSON built in SQL (iso_time() is created by a migration). */
export const iso = (column: Sql): Sql => sqlTag`iso_time(${column})`;

/**
 * `json_build_object('key', value, …)` from an object of SQL expressions, keys in its order. Repositories
 * declare these objects `satisfies Record<keyof SomeDto, Sql>`, so a DTO field without SQL behind
 * it (or SQL without a DTO field) fails the type check.
 */
export function jsonObject(fields: Record<string, Sql>): Sql {
  const pairs = Object.entries(fields).map(([key, value]) => {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) throw new Error(`not a JSON key: ${key}`);
    return sqlTag`'${raw(key)}', ${value}`;
  });
  return sqlTag`json_build_object(${join(pairs, ', ')})`;
}

/** A JSON array aggregate that is `[]`, not null, when there are no rows. */
export const jsonArray = (expr: Sql, order: Sql): Sql => sqlTag`coalesce(json_agg(${expr} ORDER BY ${order}), '[]')`;

/** A 1-based page of `size` rows. */
export interface PageWindow {
  page: number;
  pageSize: number;
}

/** LIMIT/OFFSET of a page (bigint arithmetic: any page number the API accepts is safe). */
export const pageWindow = ({ page, pageSize }: PageWindow): Sql =>
  sqlTag`LIMIT ${pageSize}::int OFFSET (${page}::bigint - 1) * ${pageSize}::int`;

/**
 * The JSON text of a page answer, `{"<key>": [...], page, pageSize, total, totalPages}`, from the
 * items' JSON array and the exact total. The total is computed once (OFFSET 0 keeps the planner
 * from copying its subquery into both uses).
 */
export function pageBody(key: string, items: Sql, total: Sql, { page, pageSize }: PageWindow): Sql {
  return sqlTag`(SELECT json_build_object('${raw(key.replace(/[^A-Za-z]/g, ''))}', ${items},
            'page', ${page}::bigint, 'pageSize', ${pageSize}::int,
            'total', tot.n, 'totalPages', (tot.n + ${pageSize}::int - 1) / ${pageSize}::int)::text
          FROM (SELECT (${total})::int AS n OFFSET 0) tot)`;
}

/** Columns a PATCH may set, by how their JSON value becomes a column value. */
type PatchColumn = 'slug' | 'name' | 'description' | 'tags' | 'metadata';

const PATCH_VALUE: Record<PatchColumn, (patch: Sql) => Sql> = {
  slug: (patch) => sqlTag`${patch}->>'slug'`,
  name: (patch) => sqlTag`${patch}->>'name'`,
  description: (patch) => sqlTag`${patch}->>'description'`,
  tags: (patch) => sqlTag`ARRAY(SELECT jsonb_array_elements_text(${patch}->'tags'))`,
  metadata: (patch) => sqlTag`nullif(${patch}->'metadata', 'null')`,
};

/**
 * SET assignments for a PATCH of the row `alias`, from the request body: a column changes only
 * when its key is present in the body, so an absent field keeps its value (and concurrent PATCHes
 * of different fields both stick, as each re-reads the row it updates).
 */
export function patchAssignments(alias: string, body: object, columns: PatchColumn[]): Sql {
  const patch = sqlTag`${JSON.stringify(body)}::jsonb`;
  return join(
    columns.map(
      (c) =>
        sqlTag`${raw(c)} = CASE WHEN ${patch} ? '${raw(c)}' THEN ${PATCH_VALUE[c](patch)} ELSE ${col(alias, c)} END`,
    ),
    ',\n           ',
  );
}

/** Whether the ETag expression `etag` is among conditional-header `tags` (`*` is any). */
export const tagMatches = (etag: Sql, tags: string[] | null): Sql =>
  sqlTag`(${etag} = ANY(${tags}::text[]) OR '*' = ANY(${tags}::text[]))`;

/** Whether a change may go ahead under If-Match `tags` (null: no If-Match). */
export const ifMatchHolds = (etag: Sql, tags: string[] | null): Sql =>
  tags === null ? sqlTag`true` : tagMatches(etag, tags);

/**
 * Whether a change may go ahead under If-Match `tags` (null: no If-Match) on a target that carries
 * no ETag of its own (a membership, a trash item) and exists when `exists` holds. RFC 9110 §13.1.1:
 * `*` matches any current representation, so it holds exactly when the target exists; a list of
 * tags can match no tag, so it never holds.
 */
export const ifMatchUntagged = (exists: Sql, tags: string[] | null): Sql =>
  tags === null ? sqlTag`true` : sqlTag`('*' = ANY(${tags}::text[]) AND ${exists})`;

/** A strong ETag (quoted) from the version counters an answer depends on. */
export const etag = (...parts: Sql[]): Sql => sqlTag`('"' || md5(concat_ws(':', ${join(parts, ', ')})) || '"')`;

/** Joins the non-empty fragments with AND (`true` when there are none). */
export function and(...conditions: (Sql | null | false | undefined)[]): Sql {
  const kept = conditions.filter((c): c is Sql => c instanceof Sql);
  return kept.length === 0 ? sqlTag`true` : join(kept, ' AND ');
}
