import { Injectable } from '@nestjs/common';
import type { Role } from '../auth/roles.js';
import { recordChange } from '../changes/record.js';
import type { Found, ScopeRow } from '../common/outcome.js';
import { likePattern, orderBy, type PageQuery, type SortedQuery } from '../common/pagination.js';
import type { Caller, NamespaceAt } from '../common/target.js';
import { Database } from '../database/database.js';
import { jsonOf } from '../database/fragments.js';
import { GenerateSql } from '../database/generate-sql.js';
import { lockedNamespaceScope, namespaceScope, roleAllows } from '../database/scope.js';
import {
  col,
  etag,
  ifMatchHolds,
  ifMatchUntagged,
  iso,
  jsonArray,
  pageBody,
  pageWindow,
  patchAssignments,
  sql,
  tagMatches,
  type Sql,
} from '../database/sql.js';
import { keepAnswer, type Keep } from '../idempotency/keep.js';
import type {
  CreateNamespaceDto,
  MemberDto,
  NamespaceDetailDto,
  NamespaceDto,
  NamespaceListItemDto,
  UpdateNamespaceDto,
} from './dto/namespace.dto.js';

/** The namespace object of the contract, from row `n`. */
const NAMESPACE_FIELDS = {
  id: sql`n.id`,
  slug: sql`n.slug`,
  name: sql`n.name`,
  description: sql`n.description`,
  metadata: sql`n.metadata`,
  createdAt: iso(sql`n.created_at`),
  updatedAt: iso(sql`n.updated_at`),
};
const NAMESPACE_JSON = jsonOf<NamespaceDto>(NAMESPACE_FIELDS);

const MEMBER_JSON = jsonOf<MemberDto>({ userId: sql`m.user_id`, role: sql`m.role`, createdAt: iso(sql`m.created_at`) });

/** The ETag of namespace row `n` as the caller with `role` sees it (the answer shows the role). */
const namespaceEtag = (n: string, role: Sql): Sql => etag(col(n, 'id'), col(n, 'version'), role);

/** A membership carries its namespace's sort keys: the caller's namespaces are paged from its indexes. */
const MEMBERSHIP_SORT = {
  name: sql`m.ns_name`,
  createdAt: sql`m.ns_created_at`,
  updatedAt: sql`m.ns_updated_at`,
  id: sql`m.namespace_id`,
};
const PAGE_SORT = {
  name: sql`n.ns_name`,
  createdAt: sql`n.ns_created_at`,
  updatedAt: sql`n.ns_updated_at`,
  id: sql`n.namespace_id`,
};

/** What a namespace delete saw on the locked row: why it did not delete. */
export interface NamespaceDeleted extends ScopeRow {
  tag_holds: boolean | null;
  has_projects: boolean | null;
  deleted: boolean;
}

/** What a membership change saw on the locked rows (see putMember). */
export interface MembershipChanged extends ScopeRow {
  current: Role | null;
  /** If-Match (if any) held on the locked membership: a membership has no ETag, so only `*` on an existing one. */
  tag_holds: boolean;
  permitted?: boolean;
  member?: MemberDto | null;
  deleted?: boolean;
}

/** The `namespace.member.changed` event of membership CTE `m` (role null: removed). */
const memberChanged = (at: NamespaceAt, role: Sql): Sql =>
  recordChange(
    'ev',
    at,
    'namespace.member.changed',
    'member',
    sql`SELECT ns.id AS namespace_id, NULL::uuid AS project_id, NULL::text AS project, NULL::uuid AS target_id,
               m.user_id AS target_name, jsonb_build_object('userId', m.user_id, 'role', ${role}) AS data
        FROM m, ns`,
  );

/** Every namespace statement; each route is one roundtrip. */
@Injectable()
export class NamespacesRepository {
  constructor(private readonly db: Database) {}

  /** Inserts the namespace and its first owner together; answers the namespace as JSON text. */
  @GenerateSql({ params: (f) => [caller(f), { slug: f.slug, name: 'Acme Robotics' }], keyed: true })
  create(caller: Caller, dto: CreateNamespaceDto, keep?: Keep): Promise<Found> {
    const body = sql`(SELECT ${NAMESPACE_JSON}::text FROM n)`;
    return this.db.one(
      sql`WITH n AS (
         INSERT INTO namespace (slug, name, description, metadata)
         VALUES (${dto.slug}::text, coalesce(${dto.name ?? null}::text, ${dto.slug}::text), ${dto.description ?? null}::text,
                 ${dto.metadata ?? null}::jsonb)
         RETURNING *
       ), owner AS (
         INSERT INTO namespace_member (namespace_id, user_id, role)
         SELECT id, ${caller.userId}::text, 'owner' FROM n
       )${keepAnswer(keep, body)}
       SELECT 'owner' AS role, ${body} AS body`,
      { via: keep?.tx },
    );
  }

  /**
   * One page of the caller's live namespaces, read from the membership index of the sort order
   * (the namespaces of the page joined by key); `total` is the caller's counter, or, with `q`,
   * counted through the trigram indexes (partial on `deleted_at IS NULL`, so `q` states it). Without
   * `q` the page of memberships comes first (`m.ns_live` alone says the namespace is live: a
   * trigger keeps it equal to `deleted_at IS NULL`), then their namespaces by key.
   */
  @GenerateSql(
    { params: (f) => [caller(f), sorted({})], scaled: true },
    { name: 'sort=name, q', params: (f) => [caller(f), sorted({ sort: 'name', q: f.word })], scaled: true },
  )
  list(caller: Caller, query: SortedQuery): Promise<{ body: string }> {
    const q = likePattern(query.q);
    const matches = q === null ? sql`true` : sql`(n.name ILIKE ${q}::text OR n.slug ILIKE ${q}::text)`;
    const total =
      q === null
        ? sql`coalesce((SELECT s.namespace_count FROM member_stats s WHERE s.user_id = ${caller.userId}::text), 0)`
        : sql`(SELECT count(*) FROM namespace n JOIN namespace_member m ON m.namespace_id = n.id AND m.user_id = ${caller.userId}::text
                WHERE n.deleted_at IS NULL AND ${matches})`;
    const item = jsonOf<NamespaceListItemDto>({ ...NAMESPACE_FIELDS, role: sql`n.role` });
    return this.db.one(
      sql`WITH page AS (${
        q === null
          ? // The page of memberships first, then their namespaces: no join the planner could
            // run over every membership before the sort.
            sql`SELECT n.*, m.role, m.ns_name, m.ns_created_at, m.ns_updated_at, m.namespace_id
         FROM (SELECT m.* FROM namespace_member m WHERE m.user_id = ${caller.userId}::text AND m.ns_live
               ORDER BY ${orderBy(query.sort, MEMBERSHIP_SORT)} ${pageWindow(query)}) m
         JOIN namespace n ON n.id = m.namespace_id`
          : sql`SELECT n.*, m.role, m.ns_name, m.ns_created_at, m.ns_updated_at, m.namespace_id
         FROM namespace_member m JOIN namespace n ON n.id = m.namespace_id
         WHERE m.user_id = ${caller.userId}::text AND m.ns_live AND n.deleted_at IS NULL AND ${matches}
         ORDER BY ${orderBy(query.sort, MEMBERSHIP_SORT)} ${pageWindow(query)}`
      })
       SELECT ${pageBody('namespaces', sql`(SELECT ${jsonArray(item, orderBy(query.sort, PAGE_SORT))} FROM page n)`, total, query)} AS body`,
      { prepared: q !== null },
    );
  }

  /**
   * The namespace with the caller's role and its live project count (its counter), as JSON text,
   * and its ETag. Prepared: its plan is reused (see statementName).
   */
  @GenerateSql({ params: (f) => [at(f), null] })
  findWithProjectCount(at: NamespaceAt, ifNoneMatch: string[] | null): Promise<Found & { etag: string | null }> {
    const scope = namespaceScope(at);
    const current = tagMatches(sql`n.etag`, ifNoneMatch);
    const detail = jsonOf<NamespaceDetailDto>({
      ...NAMESPACE_FIELDS,
      role: sql`n.role`,
      projects: sql`n.project_count`,
    });
    return this.db.one(
      sql`WITH ${scope.with},
       n AS (SELECT n.*, ns.role, ${namespaceEtag('n', sql`ns.role`)} AS etag FROM namespace n JOIN ns ON ns.id = n.id)
       SELECT ${scope.found},
              (SELECT n.etag FROM n) AS etag,
              coalesce((SELECT ${current} FROM n), false) AS not_modified,
              (SELECT CASE WHEN ${current} THEN NULL ELSE ${detail}::text END FROM n) AS body`,
      { prepared: true },
    );
  }

  /** Changes the given fields if the caller's role allows it and `ifMatch` is null or the current tag. */
  @GenerateSql({ params: (f) => [at(f), { name: 'Acme Robotics Lab' }, 'admin', null] })
  update(
    at: NamespaceAt,
    patch: UpdateNamespaceDto,
    needs: Role,
    ifMatch: string[] | null,
  ): Promise<Found & { etag: string | null }> {
    const scope = namespaceScope(at);
    return this.db.one(
      sql`WITH ${scope.with},
       n AS (
         UPDATE namespace n SET
           ${patchAssignments('n', patch, ['slug', 'name', 'description', 'metadata'])},
           updated_at = now()
         FROM ns
         WHERE n.id = ns.id AND n.deleted_at IS NULL AND ${roleAllows(scope, needs)}
           AND ${ifMatchHolds(namespaceEtag('n', sql`ns.role`), ifMatch)}
         RETURNING n.*, ns.role
       ),
       ${recordChange(
         'ev',
         at,
         'namespace.updated',
         'namespace',
         sql`SELECT n.id AS namespace_id, NULL::uuid AS project_id, NULL::text AS project, n.id AS target_id,
                    n.slug AS target_name, ${JSON.stringify({ changed: Object.keys(patch) })}::jsonb AS data FROM n`,
       )}
       SELECT ${scope.found}, (SELECT ${namespaceEtag('n', sql`n.role`)} FROM n) AS etag,
              (SELECT ${NAMESPACE_JSON}::text FROM n) AS body`,
    );
  }

  /**
   * Soft-deletes the namespace if the caller's role allows it, `ifMatch` is null or its current
   * tag, and no live project is left. The namespace row is locked first and every check is made on
   * it as committed after any wait: of parallel deletes only the first finds a live namespace, and a
   * project created meanwhile (its create locks the row too) shows in the counter.
   */
  @GenerateSql({ params: (f) => [at(f), 'owner', null] })
  softDelete(at: NamespaceAt, needs: Role, ifMatch: string[] | null): Promise<NamespaceDeleted> {
    const scope = lockedNamespaceScope(at);
    return this.db.one(
      sql`WITH ${scope.with},
       cur AS (
         SELECT ns.id, ns.project_count, me.role, ${ifMatchHolds(namespaceEtag('ns', sql`me.role`), ifMatch)} AS tag_holds
         FROM ns, me
       ),
       n AS (
         UPDATE namespace n SET deleted_at = now(), updated_at = now()
         FROM cur
         WHERE n.id = cur.id AND n.deleted_at IS NULL AND n.project_count = 0 AND ${roleAllows(scope, needs)}
           AND cur.tag_holds
         RETURNING n.id
       )
       SELECT ${scope.found}, (SELECT tag_holds FROM cur), (SELECT project_count > 0 FROM cur) AS has_projects,
              EXISTS (SELECT 1 FROM n) AS deleted`,
    );
  }

  /** One page of the namespace's members, newest first, from its index; the total from its counter. */
  @GenerateSql({ params: (f) => [at(f), { page: 1, pageSize: 50 }], scaled: true })
  listMembers(at: NamespaceAt, query: PageQuery): Promise<Found> {
    const scope = namespaceScope(at);
    return this.db.one(
      sql`WITH ${scope.with},
       page AS (
         SELECT m.* FROM ns CROSS JOIN LATERAL (
           SELECT m.* FROM namespace_member m WHERE m.namespace_id = ns.id AND m.ns_live
           ORDER BY m.created_at DESC, m.user_id DESC ${pageWindow(query)}
         ) m
       )
       SELECT ${scope.found},
              ${pageBody(
                'members',
                sql`(SELECT ${jsonArray(MEMBER_JSON, sql`m.created_at DESC, m.user_id DESC`)} FROM page m)`,
                sql`(SELECT n.member_count FROM namespace n JOIN ns ON ns.id = n.id)`,
                query,
              )} AS body`,
    );
  }

  /**
   * Creates or changes a membership when the caller may: `manage` roles may change members below
   * owner, `owners` roles may also grant or change `owner`. The namespace row is locked first, so
   * membership changes of one namespace run one at a time, and the rules are checked against the
   * caller's and the target's memberships as committed after that wait (locked reads), never
   * against the statement's snapshot. A membership added meanwhile is invisible to the snapshot but
   * is the upsert's conflicting row, and its WHERE checks the owner rule on it: `permitted` with no
   * `member` and a holding tag means exactly that row refused (an owner, and the caller is not).
   * Under If-Match only `*` on a membership there when locked holds (change, never add). The last
   * owner is kept by a trigger.
   */
  @GenerateSql(
    { params: (f) => [at(f), 'bob', 'writer', MEMBER_RULES, null] },
    { name: 'If-Match', params: (f) => [at(f), 'bob', 'writer', MEMBER_RULES, ['*']] },
  )
  putMember(
    at: NamespaceAt,
    memberId: string,
    role: Role,
    allowed: { manage: Role[]; owners: Role[] },
    ifMatch: string[] | null,
  ): Promise<MembershipChanged> {
    const scope = lockedNamespaceScope(at);
    const holds = ifMatchUntagged(sql`EXISTS (SELECT 1 FROM cur)`, ifMatch);
    return this.db.one(
      sql`WITH ${scope.with}, ${lockedMembership(memberId)},
       ok AS (
         SELECT ns.id FROM ns, me
         WHERE me.role = ANY(${allowed.manage}::text[])
           AND (me.role = ANY(${allowed.owners}::text[]) OR (${role}::text <> 'owner' AND coalesce((SELECT role FROM cur), '') <> 'owner'))
       ),
       m AS (
         INSERT INTO namespace_member (namespace_id, user_id, role)
         SELECT ok.id, ${memberId}::text, ${role}::text FROM ok WHERE ${holds}
         ON CONFLICT ON CONSTRAINT pk_namespace_member
         DO UPDATE SET role = EXCLUDED.role, updated_at = CASE WHEN namespace_member.role = EXCLUDED.role THEN namespace_member.updated_at ELSE now() END
         WHERE namespace_member.role <> 'owner' OR (SELECT role FROM me) = ANY(${allowed.owners}::text[])
         RETURNING *
       ),
       ${memberChanged(at, sql`m.role`)}
       SELECT ${scope.found}, (SELECT role FROM cur) AS current, EXISTS (SELECT 1 FROM ok) AS permitted,
              ${holds} AS tag_holds, (SELECT ${MEMBER_JSON} FROM m) AS member`,
    );
  }

  /**
   * Removes a membership when the caller may (same rules as putMember, checked on the locked rows):
   * `current` is the target's role as committed after the wait, null when it is not there (also
   * when a parallel removal took it meanwhile). Under If-Match only `*` holds (the membership is there).
   */
  @GenerateSql(
    { params: (f) => [at(f), 'bob', MEMBER_RULES, null] },
    { name: 'If-Match', params: (f) => [at(f), 'bob', MEMBER_RULES, ['"0f3c"']] },
  )
  deleteMember(
    at: NamespaceAt,
    memberId: string,
    allowed: { manage: Role[]; owners: Role[] },
    ifMatch: string[] | null,
  ): Promise<MembershipChanged> {
    const scope = lockedNamespaceScope(at);
    const holds = ifMatchUntagged(sql`EXISTS (SELECT 1 FROM cur)`, ifMatch);
    return this.db.one(
      sql`WITH ${scope.with}, ${lockedMembership(memberId)},
       m AS (
         DELETE FROM namespace_member m USING ns, me, cur
         WHERE m.namespace_id = ns.id AND m.user_id = ${memberId}::text
           AND me.role = ANY(${allowed.manage}::text[]) AND (me.role = ANY(${allowed.owners}::text[]) OR cur.role <> 'owner')
           AND ${holds}
         RETURNING m.user_id
       ),
       ${memberChanged(at, sql`NULL::text`)}
       SELECT ${scope.found}, (SELECT role FROM cur) AS current, ${holds} AS tag_holds, EXISTS (SELECT 1 FROM m) AS deleted`,
    );
  }
}

/** CTE `cur(role)`: the membership of `memberId` as committed once the namespace row is locked (locked itself). */
const lockedMembership = (memberId: string): Sql => sql`cur AS (
    SELECT m.role FROM namespace_member m JOIN ns ON m.namespace_id = ns.id
    WHERE m.user_id = ${memberId}::text
    FOR NO KEY UPDATE OF m
  )`;

/** Example targets for GenerateSql. */
const MEMBER_RULES: { manage: Role[]; owners: Role[] } = { manage: ['admin', 'owner'], owners: ['owner'] };
const caller = (f: { user: string; requestId: string }): Caller => ({ userId: f.user, requestId: f.requestId });
const at = (f: { user: string; requestId: string; slug: string }): NamespaceAt => ({ ...caller(f), slug: f.slug });
const sorted = (query: Partial<SortedQuery>): SortedQuery => ({ page: 1, pageSize: 50, sort: '-createdAt', ...query });
