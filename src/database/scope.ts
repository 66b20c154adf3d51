import { ifMatchHolds } from './sql.js';

/*
 * The start of every tenant statement: resolve the slugs in the path and the caller's role in one
 * pass, so a route needs no separate lookups. Parameters: $1 caller (JWT sub), $2 namespace slug,
 * and for projects $3 project slug. A caller who is not a member finds no `ns` row, exactly as if
 * the namespace did not exist.
 */

/**
 * CTE `ns(id, role)`: the live namespace with the caller's role, or no row. `lock` locks the
 * namespace row (statements that add to it, so a concurrent delete of the namespace waits, and the
 * row is re-read after the wait); `columns` adds columns of `n`, as locked.
 */
export const namespaceScope = (lock = false, columns = ''): string => `ns AS (
    SELECT n.id, m.role${columns ? `, ${columns}` : ''}
    FROM namespace n
    JOIN namespace_member m ON m.namespace_id = n.id AND m.user_id = $1::text
    WHERE n.slug = $2::text AND n.deleted_at IS NULL
    ${lock ? 'FOR NO KEY UPDATE OF n' : ''}
  )`;
export const NAMESPACE_SCOPE = namespaceScope();

/**
 * CTE `me(role)`: the caller's role as committed once `namespaceScope(true)` holds the namespace
 * row. The scope's own join reads the membership in the statement's snapshot, which is stale when
 * a change of it committed while the statement waited for the lock; a locked read is re-read after
 * the wait (and finds no row if the membership went meanwhile). Joined through `ns`, so the
 * namespace row is always locked before any membership row: statements that change memberships
 * take their locks in one order and run one at a time per namespace.
 */
export const LOCKED_CALLER = `me AS (
    SELECT m.role FROM namespace_member m JOIN ns ON m.namespace_id = ns.id
    WHERE m.user_id = $1::text
    FOR SHARE OF m
  )`;

/** Output column: the caller's role after the lock (null: not a member, or no such live namespace). */
export const LOCKED_CALLER_COLUMNS = `(SELECT role FROM me) AS role`;

/** CTEs `ns(id, role)` and `pr(namespace_id, id)`: the live project inside the caller's namespace. */
export const PROJECT_SCOPE = `${NAMESPACE_SCOPE},
  pr AS (
    SELECT p.namespace_id, p.id
    FROM project p
    JOIN ns ON p.namespace_id = ns.id
    WHERE p.slug = $3::text AND p.deleted_at IS NULL
  )`;

/**
 * `alias` is a row of the scope's project, by the project's key read from `pr` (not a join with
 * it: a count over a bitmap then needs no heap row of an all-visible page).
 */
export const IN_PROJECT = (alias: string): string =>
  `${alias}.namespace_id = (SELECT namespace_id FROM pr) AND ${alias}.project_id = (SELECT id FROM pr)`;

/** The live datasets or collections of the scope's project carrying the tag `$tag` (its counter). */
export const taggedTotal = (kind: 'dataset' | 'collection', tag: string): string =>
  `coalesce((SELECT t.live FROM tag_count t, pr
     WHERE t.namespace_id = pr.namespace_id AND t.project_id = pr.id AND t.kind = '${kind}' AND t.tag = ${tag}), 0)`;

/** Output columns telling the service what the scope CTEs found. */
export const NAMESPACE_SCOPE_COLUMNS = `(SELECT role FROM ns) AS role`;
export const PROJECT_SCOPE_COLUMNS = `${NAMESPACE_SCOPE_COLUMNS}, EXISTS (SELECT 1 FROM pr) AS project_found`;

/** ISO-8601 UTC with milliseconds, for JSON built in SQL (iso_time() is created by a migration). */
export const iso = (column: string): string => `iso_time(${column})`;

/**
 * CTE `t(namespace_id, project_id, id, version)`: the live row named $4 in table `table` of the
 * project, with `lock` (e.g. `FOR SHARE OF x`) when the statement must keep it from changing
 * meanwhile; a locked row's `version` is the one after any wait.
 */
export function namedTarget(table: 'dataset' | 'collection', lock = ''): string {
  return `t AS (
    SELECT x.namespace_id, x.project_id, x.id, x.version
    FROM ${table} x
    JOIN pr ON x.namespace_id = pr.namespace_id AND x.project_id = pr.id
    WHERE x.name = $4::text AND x.deleted_at IS NULL
    ${lock}
  )`;
}

/** Output column: whether `t` found the named row. */
export const TARGET_FOUND = `EXISTS (SELECT 1 FROM t) AS target_found`;

/**
 * The whole soft delete of the row `t` found: `$5` holds the roles allowed to delete, `$6` the
 * If-Match tag (null: none) compared with `etagOf(x)` on the row as it is when locked. Answers the
 * scope columns, `target_found` and `deleted` (false also when someone deleted or changed it
 * meanwhile).
 */
export function softDeleteTarget(table: 'dataset' | 'collection', etagOf: (alias: string) => string): string {
  return `WITH ${PROJECT_SCOPE}, ${namedTarget(table)},
    gone AS (
      UPDATE ${table} x SET deleted_at = now(), updated_at = now()
      FROM t, ns
      WHERE x.namespace_id = t.namespace_id AND x.id = t.id AND x.deleted_at IS NULL AND ns.role = ANY($5::text[])
        AND ${ifMatchHolds(etagOf('x'), '$6')}
      RETURNING x.id
    )
    SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND}, EXISTS (SELECT 1 FROM gone) AS deleted`;
}
