import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.js';
import type { Role } from '../auth/roles.js';
import type { ScopeResult } from '../auth/access.js';
import { likePattern, orderBy, pageWindow, type ListQuery } from '../common/pagination.js';
import {
  NAMESPACE_SCOPE,
  NAMESPACE_SCOPE_COLUMNS,
  PROJECT_SCOPE,
  PROJECT_SCOPE_COLUMNS,
  iso,
} from '../database/scope.js';
import { jsonArray, patchAssignments } from '../database/sql.js';
import type { ProjectDetailDto, ProjectDto, UpdateProjectDto } from './dto/project.dto.js';

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

/** Every project statement; each route is one roundtrip. */
@Injectable()
export class ProjectsRepository {
  constructor(private readonly db: Database) {}

  /** Inserts the project if the caller's role is in `allowed`. */
  create(
    userId: string,
    slug: string,
    project: NewProject,
    allowed: Role[],
  ): Promise<ScopeResult & { project: ProjectDto | null }> {
    return this.db.row(
      `WITH ${NAMESPACE_SCOPE},
       p AS (
         INSERT INTO project (namespace_id, slug, name, description, tags, metadata)
         SELECT ns.id, $3, $4, $5, $6, $7 FROM ns WHERE ns.role = ANY($8::text[])
         RETURNING *
       )
       SELECT ${NAMESPACE_SCOPE_COLUMNS}, (SELECT ${PROJECT_JSON} FROM p) AS project`,
      [userId, slug, project.slug, project.name, project.description, project.tags, project.metadata, allowed],
    );
  }

  /** One page of the namespace's live projects, filtered and sorted, with the total. */
  list(userId: string, slug: string, query: ListQuery): Promise<ScopeResult & { total: number; items: ProjectDto[] }> {
    const { limit, offset } = pageWindow(query);
    const order = orderBy(query.sort, 'p');
    return this.db.row(
      `WITH ${NAMESPACE_SCOPE},
       hits AS (
         SELECT p.* FROM project p JOIN ns ON p.namespace_id = ns.id
         WHERE p.deleted_at IS NULL
           AND ($3::text IS NULL OR p.name ILIKE $3::text OR p.slug ILIKE $3::text)
           AND p.tags @> $4::text[]
       ),
       page AS (SELECT p.* FROM hits p ORDER BY ${order} LIMIT $5 OFFSET $6)
       SELECT ${NAMESPACE_SCOPE_COLUMNS},
              (SELECT count(*)::int FROM hits) AS total,
              (SELECT ${jsonArray(PROJECT_JSON, order)} FROM page p) AS items`,
      [userId, slug, likePattern(query.q), query.tag ?? [], limit, offset],
    );
  }

  /** The project with its live dataset and collection counts. */
  findWithCounts(
    userId: string,
    slug: string,
    projectSlug: string,
  ): Promise<ScopeResult & { project: ProjectDetailDto | null }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}
       SELECT ${PROJECT_SCOPE_COLUMNS},
              (SELECT ${projectJson(
                `'datasets', (SELECT count(*)::int FROM dataset d
                              WHERE d.namespace_id = p.namespace_id AND d.project_id = p.id AND d.deleted_at IS NULL),
                 'collections', (SELECT count(*)::int FROM collection c
                                 WHERE c.namespace_id = p.namespace_id AND c.project_id = p.id AND c.deleted_at IS NULL)`,
              )}
               FROM project p JOIN pr ON p.namespace_id = pr.namespace_id AND p.id = pr.id) AS project`,
      [userId, slug, projectSlug],
    );
  }

  /** Changes the given fields if the caller's role is in `allowed`. */
  update(
    userId: string,
    slug: string,
    projectSlug: string,
    patch: UpdateProjectDto,
    allowed: Role[],
  ): Promise<ScopeResult & { project: ProjectDto | null }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE},
       p AS (
         UPDATE project p SET
           ${patchAssignments('p', '$4', ['slug', 'name', 'description', 'tags', 'metadata'])},
           updated_at = now()
         FROM pr, ns
         WHERE p.namespace_id = pr.namespace_id AND p.id = pr.id AND ns.role = ANY($5::text[])
         RETURNING p.*
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, (SELECT ${PROJECT_JSON} FROM p) AS project`,
      [userId, slug, projectSlug, JSON.stringify(patch), allowed],
    );
  }

  /** Soft-deletes the project (its datasets and collections go with it) if the caller may. */
  softDelete(
    userId: string,
    slug: string,
    projectSlug: string,
    allowed: Role[],
  ): Promise<ScopeResult & { deleted: boolean }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE},
       p AS (
         UPDATE project p SET deleted_at = now(), updated_at = now()
         FROM pr, ns
         WHERE p.namespace_id = pr.namespace_id AND p.id = pr.id AND ns.role = ANY($4::text[])
         RETURNING p.id
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, EXISTS (SELECT 1 FROM p) AS deleted`,
      [userId, slug, projectSlug, allowed],
    );
  }
}
