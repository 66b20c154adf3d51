import { rolesFrom, type Role } from '../auth/roles.js';
import { col, etag, ident, ifMatchHolds, sql, type Sql } from './sql.js';

/*
 * The start of every tenant statement: resolve the slugs in the path and the caller's role in one
 * pass, so a route needs no separate lookups. A scope is an object: `with` holds its CTEs (names
 * listed in its type), `found` the output columns that tell the service what it found, and the
 * fragments that read its CTEs take the scope itself as their parameter. A caller who is not a
 * member finds no `ns` row, exactly as if the namespace did not exist.
 */

/** Who asks, and about which namespace. */
export interface NamespaceTarget {
  userId: string;
  slug: string;
}

/** … and which project in it. */
export interface ProjectTarget extends NamespaceTarget {
  projectSlug: string;
}

/** … and which dataset or collection of it, by name. */
export interface NamedTarget extends ProjectTarget {
  name: string;
}

/**
 * Lookups a statement starts with: CTEs `with` (their names are the keys of `ctes`, so a fragment
 * that reads `pr` takes a `Scope<'pr'>`) and output columns `found`.
 */
export interface Scope<C extends string> {
  readonly ctes: Readonly<Record<C, true>>;
  readonly with: Sql;
  readonly found: Sql;
}

const namespaceCte = (at: NamespaceTarget, lock: Sql): Sql => sql`ns AS (
    SELECT n.id, m.role, n.project_count, n.version
    FROM namespace n
    JOIN namespace_member m ON m.namespace_id = n.id AND m.user_id = ${at.userId}::text
    WHERE n.slug = ${at.slug}::text AND n.deleted_at IS NULL
    ${lock}
  )`;

/** CTE `ns(id, role, project_count, version)`: the live namespace with the caller's role, or no row. */
export function namespaceScope(at: NamespaceTarget): Scope<'ns'> {
  return { ctes: { ns: true }, with: namespaceCte(at, sql``), found: sql`(SELECT role FROM ns) AS role` };
}

/**
 * `namespaceScope` with the namespace row locked (statements that add to it or change its
 * memberships: a concurrent delete of the namespace waits, and the row is re-read after the wait),
 * and CTE `me(role)`: the caller's role as committed after that wait, which `found` reports. Joined
 * through `ns`, so the namespace row is always locked before any membership row: membership changes
 * take their locks in one order and run one at a time per namespace.
 */
export function lockedNamespaceScope(at: NamespaceTarget): Scope<'ns' | 'me'> {
  return {
    ctes: { ns: true, me: true },
    with: sql`${namespaceCte(at, sql`FOR NO KEY UPDATE OF n`)},
  me AS (
    SELECT m.role FROM namespace_member m JOIN ns ON m.namespace_id = ns.id
    WHERE m.user_id = ${at.userId}::text
    FOR SHARE OF m
  )`,
    found: sql`(SELECT role FROM me) AS role`,
  };
}

/** CTEs `ns(id, role)` and `pr(namespace_id, id)`: the live project inside the caller's namespace. */
export function projectScope(at: ProjectTarget): Scope<'ns' | 'pr'> {
  const ns = namespaceScope(at);
  return {
    ctes: { ns: true, pr: true },
    with: sql`${ns.with},
  pr AS (
    SELECT p.namespace_id, p.id
    FROM project p
    JOIN ns ON p.namespace_id = ns.id
    WHERE p.slug = ${at.projectSlug}::text AND p.deleted_at IS NULL
  )`,
    found: sql`${ns.found}, EXISTS (SELECT 1 FROM pr) AS project_found`,
  };
}

/** Row locks a statement may take on the row it addresses. */
export type RowLock = 'none' | 'share' | 'update';

const LOCK: Record<RowLock, Sql> = {
  none: sql``,
  share: sql`FOR SHARE OF x`,
  update: sql`FOR NO KEY UPDATE OF x`,
};

/**
 * CTEs `ns`, `pr` and `t` (every column of the row): the live row of `table` named
 * `at.name` in the project, locked as asked when the statement must keep it from changing
 * meanwhile (a locked row's columns are the ones after any wait).
 */
export function targetScope(
  at: NamedTarget,
  table: 'dataset' | 'collection',
  lock: RowLock = 'none',
): Scope<'ns' | 'pr' | 't'> {
  const project = projectScope(at);
  return {
    ctes: { ns: true, pr: true, t: true },
    with: sql`${project.with},
  t AS (
    SELECT x.*
    FROM ${table === 'dataset' ? sql`dataset` : sql`collection`} x
    JOIN pr ON x.namespace_id = pr.namespace_id AND x.project_id = pr.id
    WHERE x.name = ${at.name}::text AND x.deleted_at IS NULL
    ${LOCK[lock]}
  )`,
    found: sql`${project.found}, EXISTS (SELECT 1 FROM t) AS target_found`,
  };
}

/** Whether the caller's role (in `ns`) is `needs` or stronger. */
export const roleAllows = (scope: Scope<'ns'>, needs: Role): Sql =>
  sql`(SELECT role FROM ${'me' in scope.ctes ? sql`me` : sql`ns`}) = ANY(${rolesFrom(needs)}::text[])`;

/**
 * Row `alias` is live, stated as the list indexes' predicate: `version >= 1` holds for every row, but
 * only lists state it, so a lookup by key cannot take a list index (migration PlansWithoutStatistics).
 */
export const listed = (alias: string): Sql =>
  sql`${col(alias, 'deleted_at')} IS NULL AND ${col(alias, 'version')} >= 1`;

/** Whether row `alias` belongs to the scope's project, by the project's key read from `pr`. */
export const inProject = (_scope: Scope<'pr'>, alias: string): Sql =>
  sql`${col(alias, 'namespace_id')} = (SELECT namespace_id FROM pr) AND ${col(alias, 'project_id')} = (SELECT id FROM pr)`;

/** The live datasets or collections of the scope's project carrying `tag` (its counter). */
export const taggedTotal = (_scope: Scope<'pr'>, kind: 'dataset' | 'collection', tag: string): Sql =>
  sql`coalesce((SELECT t.live FROM tag_count t, pr
     WHERE t.namespace_id = pr.namespace_id AND t.project_id = pr.id AND t.kind = ${kind}::text AND t.tag = ${tag}::text), 0)`;

/**
 * A filtered list (a search, several tags, a dataset) read matches first: the rows `where` selects
 * are gathered once through the filter's own index (MATERIALIZED: no sort order is pushed into
 * that scan), counted for `total`, and the page is the first of them in `order` (over alias `m`),
 * joined back by key into `page`. Its cost is what the matches cost, which `total` has to read
 * anyway. Read in page order instead, a table without statistics looks nearly empty (every
 * condition's default selectivity multiplied), and the planner walks the sort index of the whole
 * project filtering row by row (issue 14: 16,000 buffers for a rare word in 200,000 collections).
 * `where` reads the table as `alias`; so do the page's rows.
 */
export function matchesFirst(
  table: 'collection' | 'dataset',
  alias: string,
  where: Sql,
  order: Sql,
  window: Sql,
): { with: Sql; total: Sql } {
  const [t, x] = [ident(table), ident(alias)];
  return {
    with: sql`matches AS MATERIALIZED (
         SELECT ${x}.namespace_id, ${x}.id, ${x}.name, ${x}.created_at, ${x}.updated_at FROM ${t} ${x} WHERE ${where}
       ),
       page AS (
         SELECT ${x}.* FROM (SELECT m.namespace_id, m.id FROM matches m ORDER BY ${order} ${window}) k
         JOIN ${t} ${x} ON ${x}.namespace_id = k.namespace_id AND ${x}.id = k.id
       )`,
    total: sql`(SELECT count(*) FROM matches)`,
  };
}

/**
 * The whole soft delete of the row `t` of a target scope found, when the caller's role allows it and
 * `ifMatch` is null or the row's ETag as it is when locked. Answers the scope's columns and
 * `deleted` (false also when someone deleted or changed it meanwhile).
 */
export function softDeleteTarget(
  at: NamedTarget,
  table: 'dataset' | 'collection',
  needs: Role,
  ifMatch: string[] | null,
  etagOf: (alias: string) => Sql,
  event: (gone: Sql) => Sql,
): Sql {
  const scope = targetScope(at, table);
  return sql`WITH ${scope.with},
    gone AS (
      UPDATE ${table === 'dataset' ? sql`dataset` : sql`collection`} x SET deleted_at = now(), updated_at = now()
      FROM t
      WHERE x.namespace_id = t.namespace_id AND x.id = t.id AND x.deleted_at IS NULL AND ${roleAllows(scope, needs)}
        AND ${ifMatchHolds(etagOf('x'), ifMatch)}
      RETURNING x.namespace_id, x.project_id, x.id, x.name
    )${event(sql`gone`)}
    SELECT ${scope.found}, EXISTS (SELECT 1 FROM gone) AS deleted`;
}

/** The ETag of a row whose answer shows only itself: its id and version. */
export const rowEtag = (alias: string): Sql => etag(col(alias, 'id'), col(alias, 'version'));
