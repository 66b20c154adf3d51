import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.js';
import type { Role } from '../auth/roles.js';
import type { ScopeResult } from '../auth/access.js';
import { likePattern, orderBy, type ListQuery } from '../common/pagination.js';
import { projectEtag } from '../database/fragments.js';
import {
  NAMESPACE_SCOPE,
  NAMESPACE_SCOPE_COLUMNS,
  PROJECT_SCOPE,
  PROJECT_SCOPE_COLUMNS,
  iso,
  namespaceScope,
} from '../database/scope.js';
import {
  ifMatchHolds,
  jsonArray,
  pageBody,
  pageWindow,
  Params,
  patchAssignments,
  tagMatches,
} from '../database/sql.js';
import { keepAnswer, type Keep } from '../idempotency/keep.js';
import type { UpdateProjectDto } from './dto/project.dto.js';

/** The project object of the contract, built from alias `p`; `extra` adds pairs after the timestamps. */
const projectJson = (extra = ''): string => `json_build_object(
    'id', p.id, 'namespaceId', p.namespace_id, 'name', p.name, 'slug', p.slug, 'description', p.description,
    'tags', to_json(p.tags), 'metadata', p.metadata, 'createdAt', ${iso('p.created_at')},
    'updatedAt', ${iso('p.updated_at')}${extra ? `, ${extra}` : ''})`;
const PROJECT_JSON = projectJson();

export interface NewProject {
  name: string;
  slug: string;
  description: string | null;
  tags: string[];
  metadata: Record<string, unknown> | null;
}

/** Every project statement; each route is one roundtrip. Answers are JSON text built by PostgreSQL. */
@Injectable()
export class ProjectsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Inserts the project if the caller's role is in `allowed`. The namespace row is locked first,
   * so a concurrent delete of the namespace either waits for this project (and then refuses) or
   * goes first (and this finds no namespace).
   */
  create(
    userId: string,
    slug: string,
    project: NewProject,
    allowed: Role[],
    keep?: Keep,
  ): Promise<ScopeResult & { body: string | null }> {
    const params: unknown[] = [
      userId,
      slug,
      project.slug,
      project.name,
      project.description,
      project.tags,
      project.metadata,
      allowed,
    ];
    const body = `(SELECT ${PROJECT_JSON}::text FROM p)`;
    return (keep?.tx ?? this.db)
      .query<ScopeResult & { body: string | null }>(
        `WITH ${namespaceScope(true)},
       p AS (
         INSERT INTO project (namespace_id, slug, name, description, tags, metadata)
         SELECT ns.id, $3, $4, $5, $6, $7 FROM ns WHERE ns.role = ANY($8::text[])
         RETURNING *
       )${keepAnswer(keep, params, body)}
       SELECT ${NAMESPACE_SCOPE_COLUMNS}, ${body} AS body`,
        params,
      )
      .then(([row]) => row);
  }

  /**
   * One page of the namespace's live projects, filtered and sorted, read straight from the sort
   * order's index; `total` from the namespace's counter, or counted through the filter's index.
   */
  list(userId: string, slug: string, query: ListQuery): Promise<ScopeResult & { body: string | null }> {
    const p = new Params([userId, slug]);
    const order = orderBy(query.sort, 'p');
    const q = query.q ? p.add(likePattern(query.q), 'text') : '';
    const filters = [
      query.q ? `(p.name ILIKE ${q} OR p.slug ILIKE ${q})` : '',
      query.tag?.length ? `p.tags @> ${p.add(query.tag, 'text[]')}` : '',
    ].filter(Boolean);
    const filtered = filters.map((f) => ` AND ${f}`).join('');
    const where = `p.namespace_id = ns.id AND p.deleted_at IS NULL${filtered}`;
    const total =
      filters.length > 0
        ? `(SELECT count(*) FROM project p WHERE p.namespace_id = (SELECT id FROM ns) AND p.deleted_at IS NULL${filtered})`
        : `(SELECT n.project_count FROM namespace n JOIN ns ON ns.id = n.id)`;
    const page = p.add(query.page, 'int');
    const size = p.add(query.pageSize, 'int');
    return this.db.row(
      `WITH ${NAMESPACE_SCOPE},
       page AS (
         SELECT p.* FROM ns CROSS JOIN LATERAL (
           SELECT p.* FROM project p WHERE ${where} ORDER BY ${order} ${pageWindow(page, size)}
         ) p
       )
       SELECT ${NAMESPACE_SCOPE_COLUMNS},
              ${pageBody('projects', `(SELECT ${jsonArray(PROJECT_JSON, order)} FROM page p)`, total, page, size)} AS body`,
      p.values,
    );
  }

  /**
   * The project with its live dataset and collection counts (its counters) and its ETag. Prepared:
   * its plan is reused (see statementName).
   */
  findWithCounts(
    userId: string,
    slug: string,
    projectSlug: string,
    ifNoneMatch: string[] | null,
  ): Promise<ScopeResult & { etag: string | null; not_modified: boolean; body: string | null }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE},
       p AS (SELECT p.*, ${projectEtag('p')} AS etag FROM project p JOIN pr ON p.namespace_id = pr.namespace_id AND p.id = pr.id)
       SELECT ${PROJECT_SCOPE_COLUMNS},
              (SELECT p.etag FROM p) AS etag,
              coalesce((SELECT ${tagMatches('p.etag', '$4')} FROM p), false) AS not_modified,
              (SELECT CASE WHEN ${tagMatches('p.etag', '$4')} THEN NULL
                           ELSE ${projectJson(`'datasets', p.dataset_count, 'collections', p.collection_count`)}::text END
               FROM p) AS body`,
      [userId, slug, projectSlug, ifNoneMatch],
      true,
    );
  }

  /** Changes the given fields if the caller's role is in `allowed` and `ifMatch` is null or the current tag. */
  update(
    userId: string,
    slug: string,
    projectSlug: string,
    patch: UpdateProjectDto,
    allowed: Role[],
    ifMatch: string[] | null,
  ): Promise<ScopeResult & { etag: string | null; body: string | null }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE},
       p AS (
         UPDATE project p SET
           ${patchAssignments('p', '$4', ['slug', 'name', 'description', 'tags', 'metadata'])},
           updated_at = now()
         FROM pr, ns
         WHERE p.namespace_id = pr.namespace_id AND p.id = pr.id AND p.deleted_at IS NULL AND ns.role = ANY($5::text[])
           AND ${ifMatchHolds(projectEtag('p'), '$6')}
         RETURNING p.*
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, (SELECT ${projectEtag('p')} FROM p) AS etag, (SELECT ${PROJECT_JSON}::text FROM p) AS body`,
      [userId, slug, projectSlug, JSON.stringify(patch), allowed, ifMatch],
    );
  }

  /** Soft-deletes the project (its datasets and collections go with it) if the caller may and `ifMatch` holds. */
  softDelete(
    userId: string,
    slug: string,
    projectSlug: string,
    allowed: Role[],
    ifMatch: string[] | null,
  ): Promise<ScopeResult & { deleted: boolean }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE},
       p AS (
         UPDATE project p SET deleted_at = now(), updated_at = now()
         FROM pr, ns
         WHERE p.namespace_id = pr.namespace_id AND p.id = pr.id AND p.deleted_at IS NULL AND ns.role = ANY($4::text[])
           AND ${ifMatchHolds(projectEtag('p'), '$5')}
         RETURNING p.id
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, EXISTS (SELECT 1 FROM p) AS deleted`,
      [userId, slug, projectSlug, allowed, ifMatch],
    );
  }
}
