import { Injectable } from '@nestjs/common';
import type { Role } from '../auth/roles.js';
import { recordChange } from '../changes/record.js';
import type { Found } from '../common/outcome.js';
import { likePattern, orderBy, type ListQuery } from '../common/pagination.js';
import type { NamespaceAt, ProjectAt } from '../common/target.js';
import { Database } from '../database/database.js';
import { jsonOf } from '../database/fragments.js';
import { GenerateSql } from '../database/generate-sql.js';
import { listed, lockedNamespaceScope, namespaceScope, projectScope, roleAllows, rowEtag } from '../database/scope.js';
import {
  and,
  ifMatchHolds,
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
import type { ProjectDetailDto, ProjectDto, UpdateProjectDto } from './dto/project.dto.js';

/** The project object of the contract, from row `p`. */
const PROJECT_FIELDS = {
  id: sql`p.id`,
  namespaceId: sql`p.namespace_id`,
  name: sql`p.name`,
  slug: sql`p.slug`,
  description: sql`p.description`,
  tags: sql`to_json(p.tags)`,
  metadata: sql`p.metadata`,
  createdAt: iso(sql`p.created_at`),
  updatedAt: iso(sql`p.updated_at`),
};
const PROJECT_JSON = jsonOf<ProjectDto>(PROJECT_FIELDS);
const PROJECT_DETAIL_JSON = jsonOf<ProjectDetailDto>({
  ...PROJECT_FIELDS,
  datasets: sql`p.dataset_count`,
  collections: sql`p.collection_count`,
});

export interface NewProject {
  name: string;
  slug: string;
  description: string | null;
  tags: string[];
  metadata: Record<string, unknown> | null;
}

/** A change event's row for project `p`. */
const projectRow = (p: string, data: Sql = sql`NULL::jsonb`): Sql =>
  p === 'p'
    ? sql`SELECT p.namespace_id, p.id AS project_id, p.slug AS project, p.id AS target_id, p.name AS target_name, ${data} AS data FROM p`
    : sql`SELECT g.namespace_id, g.id AS project_id, g.slug AS project, g.id AS target_id, g.name AS target_name, ${data} AS data FROM g`;

/** Every project statement; each route is one roundtrip. Answers are JSON text built by PostgreSQL. */
@Injectable()
export class ProjectsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Inserts the project if the caller's role allows it. The namespace row is locked first, so a
   * concurrent delete of the namespace either waits for this project (and then refuses) or goes
   * first (and this finds no namespace).
   */
  @GenerateSql({
    params: (f) => [
      at(f),
      { name: 'Robotics', slug: f.projectSlug, description: null, tags: [], metadata: null },
      'admin',
    ],
    keyed: true,
  })
  create(at: NamespaceAt, project: NewProject, needs: Role, keep?: Keep): Promise<Found> {
    const scope = lockedNamespaceScope(at);
    const body = sql`(SELECT ${PROJECT_JSON}::text FROM p)`;
    return this.db.one(
      sql`WITH ${scope.with},
       p AS (
         INSERT INTO project (namespace_id, slug, name, description, tags, metadata)
         SELECT ns.id, ${project.slug}::text, ${project.name}::text, ${project.description}::text, ${project.tags}::text[],
                ${project.metadata}::jsonb
         FROM ns WHERE ${roleAllows(scope, needs)}
         RETURNING *
       ),
       ${recordChange('ev', at, 'project.created', 'project', projectRow('p'))}${keepAnswer(keep, body)}
       SELECT ${scope.found}, ${body} AS body`,
      { via: keep?.tx },
    );
  }

  /**
   * One page of the namespace's live projects, filtered and sorted, read straight from the sort
   * order's index; `total` from the namespace's counter, or counted through the filter's index.
   */
  @GenerateSql(
    { params: (f) => [at(f), list({})], scaled: true },
    { name: 'q', params: (f) => [at(f), list({ q: f.word })], scaled: true },
  )
  list(at: NamespaceAt, query: ListQuery): Promise<Found> {
    const scope = namespaceScope(at);
    const order = orderBy(query.sort, 'p');
    const q = likePattern(query.q);
    const filtered = and(
      q === null ? null : sql`(p.name ILIKE ${q}::text OR p.slug ILIKE ${q}::text)`,
      query.tag?.length ? sql`p.tags @> ${query.tag}::text[]` : null,
    );
    const total =
      q !== null || query.tag?.length
        ? sql`(SELECT count(*) FROM project p WHERE p.namespace_id = (SELECT id FROM ns) AND ${listed('p')} AND ${filtered})`
        : sql`(SELECT ns.project_count FROM ns)`;
    return this.db.one(
      sql`WITH ${scope.with},
       page AS (
         SELECT p.* FROM ns CROSS JOIN LATERAL (
           SELECT p.* FROM project p WHERE p.namespace_id = ns.id AND ${listed('p')} AND ${filtered}
           ORDER BY ${order} ${pageWindow(query)}
         ) p
       )
       SELECT ${scope.found},
              ${pageBody('projects', sql`(SELECT ${jsonArray(PROJECT_JSON, order)} FROM page p)`, total, query)} AS body`,
      { prepared: true },
    );
  }

  /**
   * The project with its live dataset and collection counts (its counters) and its ETag. Prepared:
   * its plan is reused (see statementName).
   */
  @GenerateSql({ params: (f) => [project(f), null] })
  findWithCounts(at: ProjectAt, ifNoneMatch: string[] | null): Promise<Found & { etag: string | null }> {
    const scope = projectScope(at);
    const current = tagMatches(sql`p.etag`, ifNoneMatch);
    return this.db.one(
      sql`WITH ${scope.with},
       p AS (SELECT p.*, ${rowEtag('p')} AS etag FROM project p JOIN pr ON p.namespace_id = pr.namespace_id AND p.id = pr.id)
       SELECT ${scope.found},
              (SELECT p.etag FROM p) AS etag,
              coalesce((SELECT ${current} FROM p), false) AS not_modified,
              (SELECT CASE WHEN ${current} THEN NULL ELSE ${PROJECT_DETAIL_JSON}::text END FROM p) AS body`,
      { prepared: true },
    );
  }

  /** Changes the given fields if the caller's role allows it and `ifMatch` is null or the current tag. */
  @GenerateSql({ params: (f) => [project(f), { description: 'Manipulation data' }, 'admin', null] })
  update(
    at: ProjectAt,
    patch: UpdateProjectDto,
    needs: Role,
    ifMatch: string[] | null,
  ): Promise<Found & { etag: string | null }> {
    const scope = projectScope(at);
    return this.db.one(
      sql`WITH ${scope.with},
       p AS (
         UPDATE project p SET
           ${patchAssignments('p', patch, ['slug', 'name', 'description', 'tags', 'metadata'])},
           updated_at = now()
         FROM pr
         WHERE p.namespace_id = pr.namespace_id AND p.id = pr.id AND p.deleted_at IS NULL AND ${roleAllows(scope, needs)}
           AND ${ifMatchHolds(rowEtag('p'), ifMatch)}
         RETURNING p.*
       ),
       ${recordChange('ev', at, 'project.updated', 'project', projectRow('p', sql`${JSON.stringify({ changed: Object.keys(patch) })}::jsonb`))}
       SELECT ${scope.found}, (SELECT ${rowEtag('p')} FROM p) AS etag, (SELECT ${PROJECT_JSON}::text FROM p) AS body`,
    );
  }

  /** Soft-deletes the project (its datasets and collections go with it) if the caller may and `ifMatch` holds. */
  @GenerateSql({ params: (f) => [project(f), 'admin', null] })
  softDelete(at: ProjectAt, needs: Role, ifMatch: string[] | null): Promise<Found> {
    const scope = projectScope(at);
    return this.db.one(
      sql`WITH ${scope.with},
       g AS (
         UPDATE project p SET deleted_at = now(), updated_at = now()
         FROM pr
         WHERE p.namespace_id = pr.namespace_id AND p.id = pr.id AND p.deleted_at IS NULL AND ${roleAllows(scope, needs)}
           AND ${ifMatchHolds(rowEtag('p'), ifMatch)}
         RETURNING p.namespace_id, p.id, p.slug, p.name
       ),
       ${recordChange('ev', at, 'project.deleted', 'project', projectRow('g'))}
       SELECT ${scope.found}, (SELECT 'deleted' FROM g) AS body`,
    );
  }
}

/** Example targets for GenerateSql. */
const at = (f: { user: string; requestId: string; slug: string }): NamespaceAt => ({
  userId: f.user,
  requestId: f.requestId,
  slug: f.slug,
});
const project = (f: Parameters<typeof at>[0] & { projectSlug: string }): ProjectAt => ({
  ...at(f),
  projectSlug: f.projectSlug,
});
const list = (query: Partial<ListQuery>): ListQuery => ({ page: 1, pageSize: 50, sort: '-createdAt', ...query });
