import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.js';
import type { Role } from '../auth/roles.js';
import type { ScopeResult } from '../auth/access.js';
import { orderBy, likePattern, pageWindow, type PageQuery, type SortedQuery } from '../common/pagination.js';
import { NAMESPACE_SCOPE, NAMESPACE_SCOPE_COLUMNS, iso } from '../database/scope.js';
import { jsonArray, patchAssignments } from '../database/sql.js';
import type {
  CreateNamespaceDto,
  MemberDto,
  NamespaceDetailDto,
  NamespaceDto,
  NamespaceListItemDto,
  UpdateNamespaceDto,
} from './dto/namespace.dto.js';

/** The namespace object of the contract, built from alias `n`; `extra` adds pairs after the timestamps. */
const namespaceJson = (extra = ''): string => `json_build_object(
    'id', n.id, 'slug', n.slug, 'name', n.name, 'description', n.description, 'metadata', n.metadata,
    'createdAt', ${iso('n.created_at')}, 'updatedAt', ${iso('n.updated_at')}${extra ? `, ${extra}` : ''})`;
const NAMESPACE_JSON = namespaceJson();

const MEMBER_JSON = `json_build_object('userId', m.user_id, 'role', m.role, 'createdAt', ${iso('m.created_at')})`;

export interface Page<T> {
  total: number;
  items: T[];
}

/** Every namespace statement; each route is one roundtrip. */
@Injectable()
export class NamespacesRepository {
  constructor(private readonly db: Database) {}

  /** Inserts the namespace and its first owner together. */
  create(userId: string, dto: CreateNamespaceDto): Promise<{ namespace: NamespaceDto }> {
    return this.db.row(
      `WITH n AS (
         INSERT INTO namespace (slug, name, description, metadata)
         VALUES ($2::text, coalesce($3::text, $2::text), $4::text, $5::jsonb)
         RETURNING *
       ), owner AS (
         INSERT INTO namespace_member (namespace_id, user_id, role)
         SELECT id, $1::text, 'owner' FROM n
       )
       SELECT ${NAMESPACE_JSON} AS namespace FROM n`,
      [userId, dto.slug, dto.name ?? null, dto.description ?? null, dto.metadata ?? null],
    );
  }

  /** The caller's namespaces, one page, with the total. */
  list(userId: string, query: SortedQuery): Promise<Page<NamespaceListItemDto>> {
    const { limit, offset } = pageWindow(query);
    return this.db.row(
      `WITH mine AS (
         SELECT n.*, m.role
         FROM namespace n
         JOIN namespace_member m ON m.namespace_id = n.id AND m.user_id = $1::text
         WHERE n.deleted_at IS NULL AND ($2::text IS NULL OR n.name ILIKE $2::text OR n.slug ILIKE $2::text)
       ), page AS (
         SELECT n.* FROM mine n ORDER BY ${orderBy(query.sort, 'n')} LIMIT $3 OFFSET $4
       )
       SELECT (SELECT count(*)::int FROM mine) AS total,
              (SELECT ${jsonArray(namespaceJson("'role', n.role"), orderBy(query.sort, 'n'))} FROM page n) AS items`,
      [userId, likePattern(query.q), limit, offset],
    );
  }

  /** The namespace with the caller's role and its live project count. */
  findWithProjectCount(userId: string, slug: string): Promise<ScopeResult & { namespace: NamespaceDetailDto | null }> {
    return this.db.row(
      `WITH ${NAMESPACE_SCOPE}
       SELECT ${NAMESPACE_SCOPE_COLUMNS},
              (SELECT ${namespaceJson(
                `'role', ns.role,
                 'projects', (SELECT count(*)::int FROM project p WHERE p.namespace_id = n.id AND p.deleted_at IS NULL)`,
              )}
               FROM namespace n JOIN ns ON ns.id = n.id) AS namespace`,
      [userId, slug],
    );
  }

  /** Changes the given fields if the caller's role is in `allowed`. */
  update(
    userId: string,
    slug: string,
    patch: UpdateNamespaceDto,
    allowed: Role[],
  ): Promise<ScopeResult & { namespace: NamespaceDto | null }> {
    return this.db.row(
      `WITH ${NAMESPACE_SCOPE},
       n AS (
         UPDATE namespace n SET
           ${patchAssignments('n', '$3', ['slug', 'name', 'description', 'metadata'])},
           updated_at = now()
         FROM ns
         WHERE n.id = ns.id AND ns.role = ANY($4::text[])
         RETURNING n.*
       )
       SELECT ${NAMESPACE_SCOPE_COLUMNS}, (SELECT ${NAMESPACE_JSON} FROM n) AS namespace`,
      [userId, slug, JSON.stringify(patch), allowed],
    );
  }

  /** Soft-deletes the namespace if the caller's role is in `allowed` and no live project is left. */
  softDelete(
    userId: string,
    slug: string,
    allowed: Role[],
  ): Promise<ScopeResult & { has_projects: boolean; deleted: boolean }> {
    return this.db.row(
      `WITH ${NAMESPACE_SCOPE},
       live AS (
         SELECT EXISTS (SELECT 1 FROM project p JOIN ns ON p.namespace_id = ns.id WHERE p.deleted_at IS NULL) AS has_projects
       ),
       n AS (
         UPDATE namespace n SET deleted_at = now(), updated_at = now()
         FROM ns, live
         WHERE n.id = ns.id AND ns.role = ANY($3::text[]) AND NOT live.has_projects
         RETURNING n.id
       )
       SELECT ${NAMESPACE_SCOPE_COLUMNS}, (SELECT has_projects FROM live), EXISTS (SELECT 1 FROM n) AS deleted`,
      [userId, slug, allowed],
    );
  }

  /** One page of the namespace's members. */
  listMembers(userId: string, slug: string, query: PageQuery): Promise<ScopeResult & Page<MemberDto>> {
    const { limit, offset } = pageWindow(query);
    return this.db.row(
      `WITH ${NAMESPACE_SCOPE},
       page AS (
         SELECT m.* FROM namespace_member m JOIN ns ON m.namespace_id = ns.id
         ORDER BY m.created_at DESC, m.user_id DESC LIMIT $3 OFFSET $4
       )
       SELECT ${NAMESPACE_SCOPE_COLUMNS},
              (SELECT count(*)::int FROM namespace_member m JOIN ns ON m.namespace_id = ns.id) AS total,
              (SELECT ${jsonArray(MEMBER_JSON, 'm.created_at DESC, m.user_id DESC')} FROM page m) AS items`,
      [userId, slug, limit, offset],
    );
  }

  /**
   * Creates or changes a membership when the caller may: `manage` roles may change members below
   * owner, `owners` roles may also grant or change `owner`. The last owner is kept by a trigger.
   */
  putMember(
    userId: string,
    slug: string,
    memberId: string,
    role: Role,
    allowed: { manage: Role[]; owners: Role[] },
  ): Promise<ScopeResult & { current: Role | null; member: MemberDto | null }> {
    return this.db.row(
      `WITH ${NAMESPACE_SCOPE},
       cur AS (SELECT m.role FROM namespace_member m JOIN ns ON m.namespace_id = ns.id WHERE m.user_id = $3::text),
       m AS (
         INSERT INTO namespace_member (namespace_id, user_id, role)
         SELECT ns.id, $3::text, $4::text FROM ns
         WHERE ns.role = ANY($5::text[])
           AND (ns.role = ANY($6::text[]) OR ($4::text <> 'owner' AND coalesce((SELECT role FROM cur), '') <> 'owner'))
         ON CONFLICT ON CONSTRAINT pk_namespace_member
         DO UPDATE SET role = EXCLUDED.role, updated_at = CASE WHEN namespace_member.role = EXCLUDED.role THEN namespace_member.updated_at ELSE now() END
         RETURNING *
       )
       SELECT ${NAMESPACE_SCOPE_COLUMNS}, (SELECT role FROM cur) AS current, (SELECT ${MEMBER_JSON} FROM m) AS member`,
      [userId, slug, memberId, role, allowed.manage, allowed.owners],
    );
  }

  /** Removes a membership when the caller may (same rules as putMember). */
  deleteMember(
    userId: string,
    slug: string,
    memberId: string,
    allowed: { manage: Role[]; owners: Role[] },
  ): Promise<ScopeResult & { current: Role | null; deleted: boolean }> {
    return this.db.row(
      `WITH ${NAMESPACE_SCOPE},
       cur AS (SELECT m.role FROM namespace_member m JOIN ns ON m.namespace_id = ns.id WHERE m.user_id = $3::text),
       m AS (
         DELETE FROM namespace_member m USING ns
         WHERE m.namespace_id = ns.id AND m.user_id = $3::text
           AND ns.role = ANY($4::text[]) AND (ns.role = ANY($5::text[]) OR m.role <> 'owner')
         RETURNING 1
       )
       SELECT ${NAMESPACE_SCOPE_COLUMNS}, (SELECT role FROM cur) AS current, EXISTS (SELECT 1 FROM m) AS deleted`,
      [userId, slug, memberId, allowed.manage, allowed.owners],
    );
  }
}
