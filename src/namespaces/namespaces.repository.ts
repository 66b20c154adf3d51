import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.js';
import type { Role } from '../auth/roles.js';
import type { ScopeResult } from '../auth/access.js';
import { orderBy, likePattern, type PageQuery, type SortedQuery } from '../common/pagination.js';
import {
  LOCKED_CALLER,
  LOCKED_CALLER_COLUMNS,
  NAMESPACE_SCOPE,
  NAMESPACE_SCOPE_COLUMNS,
  iso,
  namespaceScope,
} from '../database/scope.js';
import { namespaceEtag } from '../database/fragments.js';
import { ifMatchHolds, jsonArray, pageBody, pageWindow, patchAssignments, tagMatches } from '../database/sql.js';
import { keepAnswer, type Keep } from '../idempotency/keep.js';
import type { CreateNamespaceDto, MemberDto, UpdateNamespaceDto } from './dto/namespace.dto.js';

/** The namespace object of the contract, built from alias `n`; `extra` adds pairs after the timestamps. */
const namespaceJson = (extra = ''): string => `json_build_object(
    'id', n.id, 'slug', n.slug, 'name', n.name, 'description', n.description, 'metadata', n.metadata,
    'createdAt', ${iso('n.created_at')}, 'updatedAt', ${iso('n.updated_at')}${extra ? `, ${extra}` : ''})`;
const NAMESPACE_JSON = namespaceJson();

const MEMBER_JSON = `json_build_object('userId', m.user_id, 'role', m.role, 'createdAt', ${iso('m.created_at')})`;

/** CTE `cur(role)`: the membership of `$3` as committed once the namespace row is locked (locked itself). */
const LOCKED_TARGET = `cur AS (
    SELECT m.role FROM namespace_member m JOIN ns ON m.namespace_id = ns.id
    WHERE m.user_id = $3::text
    FOR NO KEY UPDATE OF m
  )`;

/** A membership carries its namespace's sort keys: the caller's namespaces are paged from its indexes. */
const MEMBERSHIP_SORT = {
  name: 'm.ns_name',
  createdAt: 'm.ns_created_at',
  updatedAt: 'm.ns_updated_at',
  id: 'm.namespace_id',
};
const PAGE_SORT = {
  name: 'n.ns_name',
  createdAt: 'n.ns_created_at',
  updatedAt: 'n.ns_updated_at',
  id: 'n.namespace_id',
};

export interface Page<T> {
  total: number;
  items: T[];
}

/** Every namespace statement; each route is one roundtrip. */
@Injectable()
export class NamespacesRepository {
  constructor(private readonly db: Database) {}

  /** Inserts the namespace and its first owner together; answers the namespace as JSON text. */
  async create(userId: string, dto: CreateNamespaceDto, keep?: Keep): Promise<{ body: string }> {
    const params: unknown[] = [userId, dto.slug, dto.name ?? null, dto.description ?? null, dto.metadata ?? null];
    const body = `(SELECT ${NAMESPACE_JSON}::text FROM n)`;
    const [row] = await (keep?.tx ?? this.db).query<{ body: string }>(
      `WITH n AS (
         INSERT INTO namespace (slug, name, description, metadata)
         VALUES ($2::text, coalesce($3::text, $2::text), $4::text, $5::jsonb)
         RETURNING *
       ), owner AS (
         INSERT INTO namespace_member (namespace_id, user_id, role)
         SELECT id, $1::text, 'owner' FROM n
       )${keepAnswer(keep, params, body)}
       SELECT ${body} AS body`,
      params,
    );
    return row;
  }

  /**
   * One page of the caller's live namespaces, read from the membership index of the sort order
   * (the namespaces of the page joined by key); `total` is the caller's counter, or, with `q`,
   * counted through the trigram indexes.
   */
  list(userId: string, query: SortedQuery): Promise<{ body: string }> {
    const order = orderBy(query.sort, MEMBERSHIP_SORT);
    const matches = `($2::text IS NULL OR n.name ILIKE $2::text OR n.slug ILIKE $2::text)`;
    return this.db.row(
      `WITH page AS (
         SELECT n.*, m.role, m.ns_name, m.ns_created_at, m.ns_updated_at, m.namespace_id
         FROM namespace_member m JOIN namespace n ON n.id = m.namespace_id
         WHERE m.user_id = $1::text AND m.ns_live AND n.deleted_at IS NULL AND ${matches}
         ORDER BY ${order} ${pageWindow('$3', '$4')}
       )
       SELECT ${pageBody(
         'namespaces',
         `(SELECT ${jsonArray(namespaceJson("'role', n.role"), orderBy(query.sort, PAGE_SORT))} FROM page n)`,
         `CASE WHEN $2::text IS NULL
            THEN coalesce((SELECT s.namespace_count FROM member_stats s WHERE s.user_id = $1::text), 0)
            ELSE (SELECT count(*) FROM namespace n JOIN namespace_member m ON m.namespace_id = n.id AND m.user_id = $1::text
                  WHERE n.deleted_at IS NULL AND ${matches})
          END`,
         '$3',
         '$4',
       )} AS body`,
      [userId, likePattern(query.q), query.page, query.pageSize],
    );
  }

  /**
   * The namespace with the caller's role and its live project count (its counter), as JSON text,
   * and its ETag. Prepared: its plan is reused (see statementName).
   */
  findWithProjectCount(
    userId: string,
    slug: string,
    ifNoneMatch: string[] | null,
  ): Promise<ScopeResult & { etag: string | null; not_modified: boolean; body: string | null }> {
    return this.db.row(
      `WITH ${NAMESPACE_SCOPE},
       n AS (SELECT n.*, ns.role, ${namespaceEtag('n', 'ns.role')} AS etag FROM namespace n JOIN ns ON ns.id = n.id)
       SELECT ${NAMESPACE_SCOPE_COLUMNS},
              (SELECT n.etag FROM n) AS etag,
              coalesce((SELECT ${tagMatches('n.etag', '$3')} FROM n), false) AS not_modified,
              (SELECT CASE WHEN ${tagMatches('n.etag', '$3')} THEN NULL
                           ELSE ${namespaceJson(`'role', n.role, 'projects', n.project_count`)}::text END
               FROM n) AS body`,
      [userId, slug, ifNoneMatch],
      true,
    );
  }

  /** Changes the given fields if the caller's role is in `allowed`. */
  update(
    userId: string,
    slug: string,
    patch: UpdateNamespaceDto,
    allowed: Role[],
    ifMatch: string[] | null,
  ): Promise<ScopeResult & { etag: string | null; body: string | null }> {
    return this.db.row(
      `WITH ${NAMESPACE_SCOPE},
       n AS (
         UPDATE namespace n SET
           ${patchAssignments('n', '$3', ['slug', 'name', 'description', 'metadata'])},
           updated_at = now()
         FROM ns
         WHERE n.id = ns.id AND n.deleted_at IS NULL AND ns.role = ANY($4::text[])
           AND ${ifMatchHolds(namespaceEtag('n', 'ns.role'), '$5')}
         RETURNING n.*, ns.role
       )
       SELECT ${NAMESPACE_SCOPE_COLUMNS}, (SELECT ${namespaceEtag('n', 'n.role')} FROM n) AS etag,
              (SELECT ${NAMESPACE_JSON}::text FROM n) AS body`,
      [userId, slug, JSON.stringify(patch), allowed, ifMatch],
    );
  }

  /**
   * Soft-deletes the namespace if the caller's role is in `allowed`, `ifMatch` is null or its current
   * tag, and no live project is left. The namespace row is locked first and every check is made on
   * it as committed after any wait: of parallel deletes only the first finds a live namespace, and a
   * project created meanwhile (its create locks the row too) shows in the counter.
   */
  softDelete(
    userId: string,
    slug: string,
    allowed: Role[],
    ifMatch: string[] | null,
  ): Promise<ScopeResult & { tag_holds: boolean | null; has_projects: boolean | null; deleted: boolean }> {
    return this.db.row(
      `WITH ${namespaceScope(true, 'n.project_count, n.version')}, ${LOCKED_CALLER},
       cur AS (
         SELECT ns.id, ns.project_count, me.role, ${ifMatchHolds(namespaceEtag('ns', 'me.role'), '$4')} AS tag_holds
         FROM ns, me
       ),
       n AS (
         UPDATE namespace n SET deleted_at = now(), updated_at = now()
         FROM cur
         WHERE n.id = cur.id AND n.deleted_at IS NULL AND n.project_count = 0 AND cur.role = ANY($3::text[])
           AND cur.tag_holds
         RETURNING n.id
       )
       SELECT ${LOCKED_CALLER_COLUMNS}, (SELECT tag_holds FROM cur), (SELECT project_count > 0 FROM cur) AS has_projects,
              EXISTS (SELECT 1 FROM n) AS deleted`,
      [userId, slug, allowed, ifMatch],
    );
  }

  /** One page of the namespace's members, newest first, from its index; the total from its counter. */
  listMembers(userId: string, slug: string, query: PageQuery): Promise<ScopeResult & { body: string | null }> {
    return this.db.row(
      `WITH ${NAMESPACE_SCOPE},
       page AS (
         SELECT m.* FROM ns CROSS JOIN LATERAL (
           SELECT m.* FROM namespace_member m WHERE m.namespace_id = ns.id
           ORDER BY m.created_at DESC, m.user_id DESC ${pageWindow('$3', '$4')}
         ) m
       )
       SELECT ${NAMESPACE_SCOPE_COLUMNS},
              ${pageBody(
                'members',
                `(SELECT ${jsonArray(MEMBER_JSON, 'm.created_at DESC, m.user_id DESC')} FROM page m)`,
                '(SELECT n.member_count FROM namespace n JOIN ns ON ns.id = n.id)',
                '$3',
                '$4',
              )} AS body`,
      [userId, slug, query.page, query.pageSize],
    );
  }

  /**
   * Creates or changes a membership when the caller may: `manage` roles may change members below
   * owner, `owners` roles may also grant or change `owner`. The namespace row is locked first, so
   * membership changes of one namespace run one at a time, and the rules are checked against the
   * caller's and the target's memberships as committed after that wait (locked reads), never
   * against the statement's snapshot. A membership added meanwhile is invisible to the snapshot but
   * is the upsert's conflicting row, and its WHERE checks the owner rule on it: `permitted` with no
   * `member` means exactly that row refused (an owner, and the caller is not). The last owner is
   * kept by a trigger.
   */
  putMember(
    userId: string,
    slug: string,
    memberId: string,
    role: Role,
    allowed: { manage: Role[]; owners: Role[] },
  ): Promise<ScopeResult & { current: Role | null; permitted: boolean; member: MemberDto | null }> {
    return this.db.row(
      `WITH ${namespaceScope(true)}, ${LOCKED_CALLER}, ${LOCKED_TARGET},
       ok AS (
         SELECT ns.id FROM ns, me
         WHERE me.role = ANY($5::text[])
           AND (me.role = ANY($6::text[]) OR ($4::text <> 'owner' AND coalesce((SELECT role FROM cur), '') <> 'owner'))
       ),
       m AS (
         INSERT INTO namespace_member (namespace_id, user_id, role)
         SELECT ok.id, $3::text, $4::text FROM ok
         ON CONFLICT ON CONSTRAINT pk_namespace_member
         DO UPDATE SET role = EXCLUDED.role, updated_at = CASE WHEN namespace_member.role = EXCLUDED.role THEN namespace_member.updated_at ELSE now() END
         WHERE namespace_member.role <> 'owner' OR (SELECT role FROM me) = ANY($6::text[])
         RETURNING *
       )
       SELECT ${LOCKED_CALLER_COLUMNS}, (SELECT role FROM cur) AS current, EXISTS (SELECT 1 FROM ok) AS permitted,
              (SELECT ${MEMBER_JSON} FROM m) AS member`,
      [userId, slug, memberId, role, allowed.manage, allowed.owners],
    );
  }

  /**
   * Removes a membership when the caller may (same rules as putMember, checked on the locked rows):
   * `current` is the target's role as committed after the wait, null when it is not there (also
   * when a parallel removal took it meanwhile).
   */
  deleteMember(
    userId: string,
    slug: string,
    memberId: string,
    allowed: { manage: Role[]; owners: Role[] },
  ): Promise<ScopeResult & { current: Role | null; deleted: boolean }> {
    return this.db.row(
      `WITH ${namespaceScope(true)}, ${LOCKED_CALLER}, ${LOCKED_TARGET},
       m AS (
         DELETE FROM namespace_member m USING ns, me, cur
         WHERE m.namespace_id = ns.id AND m.user_id = $3::text
           AND me.role = ANY($4::text[]) AND (me.role = ANY($5::text[]) OR cur.role <> 'owner')
         RETURNING 1
       )
       SELECT ${LOCKED_CALLER_COLUMNS}, (SELECT role FROM cur) AS current, EXISTS (SELECT 1 FROM m) AS deleted`,
      [userId, slug, memberId, allowed.manage, allowed.owners],
    );
  }
}
