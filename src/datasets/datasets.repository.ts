import { Injectable } from '@nestjs/common';
import type { Role } from '../auth/roles.js';
import { recordChange } from '../changes/record.js';
import type { StreamPart } from '../common/json-stream.js';
import type { Found, ScopeRow } from '../common/outcome.js';
import { likePattern, orderBy, type ListQuery } from '../common/pagination.js';
import type { NamedAt, ProjectAt } from '../common/target.js';
import { Database } from '../database/database.js';
import {
  collectionJson,
  datasetEtag,
  datasetJson,
  jsonOf,
  STREAM_ABOVE,
  STREAM_ABOVE_COLLECTIONS,
  datasetFields,
  streamNested,
  LIVE,
} from '../database/fragments.js';
import { GenerateSql } from '../database/generate-sql.js';
import {
  inProject,
  listed,
  projectScope,
  roleAllows,
  softDeleteTarget,
  taggedTotal,
  targetScope,
  matchesFirst,
} from '../database/scope.js';
import {
  and,
  col,
  ifMatchHolds,
  iso,
  jsonArray,
  jsonObject,
  pageBody,
  pageWindow,
  patchAssignments,
  sql,
  tagMatches,
  type Sql,
} from '../database/sql.js';
import { keepAnswer, type Keep } from '../idempotency/keep.js';
import type { DatasetDetailDto, DatasetListItemDto, UpdateDatasetDto } from './dto/dataset.dto.js';

export interface NewDataset {
  name: string;
  description: string | null;
  tags: string[];
  metadata: Record<string, unknown> | null;
}

/** What a GET of one dataset found: its tag, and its JSON unless unchanged or too big to build at once. */
export interface FoundDataset extends Found {
  etag: string | null;
  not_modified: boolean;
  big: boolean;
}

/** What a link found besides its scope: collections missing from the project, or in another dataset. */
export interface Linked extends Found {
  stale: boolean;
  missing: string[] | null;
  taken: string[] | null;
}

/** The live collections of dataset `d`, by name. */
const collectionsOf = (d: string): Sql => sql`(SELECT c.* FROM collection c
    WHERE c.namespace_id = ${col(d, 'namespace_id')} AND c.dataset_id = ${col(d, 'id')} AND c.deleted_at IS NULL
    ORDER BY c.name)`;

/** A dataset list item from row `d`: its live collections as `{id, name}` by name (ix_collection_dataset, in order). */
const LIST_ITEM = jsonOf<DatasetListItemDto>({
  id: sql`d.id`,
  name: sql`d.name`,
  description: sql`d.description`,
  tags: sql`to_json(d.tags)`,
  collections: sql`(SELECT ${jsonArray(jsonObject({ id: sql`c.id`, name: sql`c.name` }), sql`c.name`)}
    FROM collection c WHERE c.namespace_id = d.namespace_id AND c.dataset_id = d.id AND c.deleted_at IS NULL)`,
  createdAt: iso(sql`d.created_at`),
  updatedAt: iso(sql`d.updated_at`),
});

/** A change event's row for the dataset `d` of the scope's project. */
const datasetRow = (at: ProjectAt, d: string, data: Sql): Sql =>
  sql`SELECT ${col(d, 'namespace_id')}, ${col(d, 'project_id')}, ${at.projectSlug}::text AS project,
             ${col(d, 'id')} AS target_id, ${col(d, 'name')} AS target_name, ${data} AS data`;

/** Every dataset statement; each route is one roundtrip. */
@Injectable()
export class DatasetsRepository {
  constructor(private readonly db: Database) {}

  /** Inserts the dataset if the caller's role allows it; a taken name fails on uq_dataset_name. */
  @GenerateSql({
    params: (f) => [at(f), { name: f.dataset, description: null, tags: [], metadata: null }, 'writer'],
    keyed: true,
  })
  create(at: ProjectAt, dataset: NewDataset, needs: Role, keep?: Keep): Promise<Found> {
    const scope = projectScope(at);
    const body = sql`(SELECT ${datasetJson('d')}::text FROM d)`;
    return this.db.one(
      sql`WITH ${scope.with},
       d AS (
         INSERT INTO dataset (namespace_id, project_id, name, description, tags, metadata)
         SELECT pr.namespace_id, pr.id, ${dataset.name}::text, ${dataset.description}::text, ${dataset.tags}::text[],
                ${dataset.metadata}::jsonb
         FROM pr WHERE ${roleAllows(scope, needs)}
         RETURNING *
       ),
       ${recordChange('ev', at, 'dataset.created', 'dataset', sql`${datasetRow(at, 'd', sql`NULL::jsonb`)} FROM d`)}
       ${keepAnswer(keep, body)}
       SELECT ${scope.found}, ${body} AS body`,
      { via: keep?.tx },
    );
  }

  /**
   * One page of the project's live datasets, filtered and sorted, each with its collections by
   * name: read straight from the sort order's index; `total` from the project's counter, or
   * counted through the trigram / tag index when filtered.
   */
  @GenerateSql(
    { params: (f) => [at(f), list({})], scaled: true },
    { name: 'sort=name, page 3', params: (f) => [at(f), list({ sort: 'name', page: 3 })], scaled: true },
    { name: 'q', params: (f) => [at(f), list({ q: f.word })], scaled: true },
    { name: 'tag', params: (f) => [at(f), list({ tag: [f.tag] })], scaled: true },
  )
  list(at: ProjectAt, query: ListQuery): Promise<Found> {
    const scope = projectScope(at);
    const order = orderBy(query.sort, 'd');
    const filtered = and(
      query.q ? sql`d.name ILIKE ${likePattern(query.q)}::text` : null,
      query.tag?.length ? sql`d.tags @> ${query.tag}::text[]` : null,
    );
    const items = sql`(SELECT ${jsonArray(LIST_ITEM, order)} FROM page d)`;
    const oneTag = new Set(query.tag ?? []).size === 1 && !query.q;
    if (query.q || (query.tag?.length && !oneTag)) {
      const where = sql`${inProject(scope, 'd')} AND ${listed('d')} AND ${filtered}`;
      const matches = matchesFirst('dataset', 'd', where, orderBy(query.sort, 'm'), pageWindow(query));
      return this.db.one(
        sql`WITH ${scope.with}, ${matches.with}
         SELECT ${scope.found}, ${pageBody('datasets', items, matches.total, query)} AS body`,
        { prepared: true },
      );
    }
    const total = oneTag
      ? taggedTotal(scope, 'dataset', query.tag![0])
      : sql`(SELECT p.dataset_count FROM project p JOIN pr ON p.namespace_id = pr.namespace_id AND p.id = pr.id)`;
    return this.db.one(
      sql`WITH ${scope.with},
       page AS (
         SELECT d.* FROM pr CROSS JOIN LATERAL (
           SELECT d.* FROM dataset d
           WHERE d.namespace_id = pr.namespace_id AND d.project_id = pr.id AND ${listed('d')} AND ${filtered}
           ORDER BY ${order} ${pageWindow(query)}
         ) d
       )
       SELECT ${scope.found}, ${pageBody('datasets', items, total, query)} AS body`,
      { prepared: !oneTag },
    );
  }

  /**
   * The dataset with its live collections (by name), each with all its members in order, as JSON
   * text, and its ETag: no body when it matches `ifNoneMatch`, nor when its collections hold too
   * many members to build at once (`big`: then streamCollections sends them). Prepared: its plan
   * is reused (see statementName).
   */
  @GenerateSql({ params: (f) => [named(f), null] })
  findWithCollections(at: NamedAt, ifNoneMatch: string[] | null): Promise<FoundDataset> {
    const scope = targetScope(at, 'dataset');
    // Big by what the answer would hold: its members, or its collections.
    const big = sql`(SELECT coalesce(sum(c.member_count), 0) > ${STREAM_ABOVE}::int OR count(*) > ${STREAM_ABOVE_COLLECTIONS}::int
        FROM collection c WHERE c.namespace_id = d.namespace_id AND c.dataset_id = d.id AND c.deleted_at IS NULL)`;
    const current = tagMatches(sql`d.etag`, ifNoneMatch);
    // Collections are sorted by name before their JSON is built, not after.
    const collections = sql`(SELECT coalesce(json_agg(${collectionJson('c', { all: true })}), '[]') FROM ${collectionsOf('d')} c)`;
    return this.db.one(
      sql`WITH ${scope.with},
       d AS (SELECT d.*, ${datasetEtag('d')} AS etag FROM dataset d JOIN t ON d.namespace_id = t.namespace_id AND d.id = t.id)
       SELECT ${scope.found},
              (SELECT d.etag FROM d) AS etag,
              coalesce((SELECT ${current} FROM d), false) AS not_modified,
              coalesce((SELECT ${big} FROM d), false) AS big,
              (SELECT CASE WHEN ${current} OR ${big} THEN NULL
                           ELSE ${jsonOf<DatasetDetailDto>({ ...datasetFields('d'), collections })}::text END
               FROM d) AS body`,
      { prepared: true },
    );
  }

  /**
   * The streamed form of a big dataset's answer, in order: the dataset's head (its JSON with an
   * empty `collections` array), then for each collection by name its head (with an empty
   * `members` array) and its ids in chunks. On a server one statement read through a cursor; on
   * the embedded engine the heads, then a statement per chunk by position.
   */
  @GenerateSql({ params: (f) => [named(f)] })
  streamCollections(at: NamedAt): AsyncGenerator<StreamPart> {
    const scope = targetScope(at, 'dataset');
    return streamNested(this.db, {
      prefix: sql`WITH ${scope.with},
       d AS (SELECT d.* FROM dataset d JOIN t ON d.namespace_id = t.namespace_id AND d.id = t.id)`,
      from: 'd',
      head: sql`${jsonOf<DatasetDetailDto>({ ...datasetFields('d'), collections: sql`json_build_array()` })}::text`,
      collections: collectionsOf('d'),
      alias: 'c',
      collectionHead: sql`${collectionJson('c', { empty: true })}::text`,
      source: LIVE,
    });
  }

  /**
   * Changes the given fields if the caller's role allows it and `ifMatch` is null or the current
   * tag (of the dataset as locked, with its collections); a taken name fails on uq_dataset_name.
   * Answers the dataset and its new tag.
   */
  @GenerateSql({ params: (f) => [named(f), { description: 'Q1 training data' }, 'writer', null] })
  update(
    at: NamedAt,
    patch: UpdateDatasetDto,
    needs: Role,
    ifMatch: string[] | null,
  ): Promise<Found & { etag: string | null }> {
    const scope = targetScope(at, 'dataset', 'update');
    return this.db.one(
      sql`WITH ${scope.with},
       d AS (
         UPDATE dataset d SET
           ${patchAssignments('d', patch, ['name', 'description', 'tags', 'metadata'])},
           updated_at = now()
         FROM t
         WHERE d.namespace_id = t.namespace_id AND d.id = t.id AND d.deleted_at IS NULL AND ${roleAllows(scope, needs)}
           AND ${ifMatchHolds(datasetEtag('t'), ifMatch)}
         RETURNING d.*
       ),
       ${recordChange(
         'ev',
         at,
         'dataset.updated',
         'dataset',
         sql`${datasetRow(at, 'd', sql`${JSON.stringify({ changed: Object.keys(patch) })}::jsonb`)} FROM d`,
       )}
       SELECT ${scope.found},
              (SELECT ${datasetEtag('d')} FROM d) AS etag,
              (SELECT ${datasetJson('d')}::text FROM d) AS body`,
    );
  }

  /**
   * Soft-deletes the dataset (when `ifMatch` is null or its current tag); in the same statement
   * the trigger tg_dataset_detach_collections makes its collections standalone and records which,
   * for a restore. The name is free again at once (uq_dataset_name covers live rows only).
   */
  @GenerateSql({ params: (f) => [named(f), 'writer', null] })
  softDelete(at: NamedAt, needs: Role, ifMatch: string[] | null): Promise<ScopeRow & { deleted: boolean }> {
    return this.db.one(
      softDeleteTarget(
        at,
        'dataset',
        needs,
        ifMatch,
        datasetEtag,
        (gone) =>
          sql`, ${recordChange('ev', at, 'dataset.deleted', 'dataset', sql`${datasetRow(at, 'g', sql`NULL::jsonb`)} FROM ${gone} g`)}`,
      ),
    );
  }

  /**
   * Attaches the named collections, all or nothing: nothing changes when one is missing or belongs
   * to another dataset, or when `ifMatch` is not the dataset's current tag. The dataset is
   * share-locked (no concurrent delete) and the named collections locked (a probe by name each, in
   * name order), so the checks see their latest state. O(names · log N).
   */
  @GenerateSql({ params: (f) => [named(f), [f.collection], 'writer', null], scaled: true, keyed: true })
  link(at: NamedAt, collections: string[], needs: Role, ifMatch: string[] | null, keep?: Keep): Promise<Linked> {
    const scope = targetScope(at, 'dataset', 'share');
    const body = sql`(SELECT json_build_object('added', (SELECT count(*)::int FROM added),
                     'total', (SELECT count(*)::int FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.dataset_id = t.id
                               WHERE c.deleted_at IS NULL) + (SELECT count(*)::int FROM added))::text
                   FROM go)`;
    return this.db.one(
      sql`WITH ${scope.with},
       fresh AS (SELECT ${ifMatchHolds(datasetEtag('t'), ifMatch)} AS holds FROM t),
       want AS (SELECT DISTINCT w.name FROM unnest(${collections}::text[]) AS w(name)),
       found AS (
         SELECT c.* FROM t CROSS JOIN fresh CROSS JOIN (SELECT name FROM want ORDER BY name) w CROSS JOIN LATERAL (
           SELECT c.ctid AS tid, c.namespace_id, c.id, c.name, c.dataset_id FROM collection c
           WHERE c.namespace_id = t.namespace_id AND c.project_id = t.project_id AND c.name = w.name AND c.deleted_at IS NULL
           LIMIT 1
           FOR NO KEY UPDATE OF c
         ) c
         WHERE ${roleAllows(scope, needs)} AND fresh.holds
       ),
       missing AS (SELECT w.name FROM want w WHERE NOT EXISTS (SELECT 1 FROM found f WHERE f.name = w.name)),
       taken AS (SELECT f.name FROM found f, t WHERE f.dataset_id IS NOT NULL AND f.dataset_id <> t.id),
       go AS (
         SELECT 1 FROM fresh
         WHERE ${roleAllows(scope, needs)} AND fresh.holds
           AND NOT EXISTS (SELECT 1 FROM missing) AND NOT EXISTS (SELECT 1 FROM taken)
       ),
       added AS (
         UPDATE collection c SET dataset_id = t.id, updated_at = now()
         FROM found f, t, go
         WHERE c.ctid = f.tid AND f.dataset_id IS NULL
         RETURNING c.id, c.name
       ),
       ${recordChange(
         'ev',
         at,
         'dataset.collections.changed',
         'dataset',
         sql`${datasetRow(at, 't', sql`jsonb_build_object('added', (SELECT jsonb_agg(a.name ORDER BY a.name) FROM added a), 'removed', '[]'::jsonb)`)}
             FROM t WHERE EXISTS (SELECT 1 FROM added)`,
       )}${keepAnswer(keep, body)}
       SELECT ${scope.found},
              NOT coalesce((SELECT holds FROM fresh), true) AS stale,
              (SELECT array_agg(name ORDER BY name) FROM missing) AS missing,
              (SELECT array_agg(name ORDER BY name) FROM taken) AS taken,
              ${body} AS body`,
      { via: keep?.tx },
    );
  }

  /**
   * Detaches the named collections that are in the dataset (a probe by name each); other names are
   * ignored. `named` is MATERIALIZED: inlined into the UPDATE, a never-analyzed table made the
   * planner drive it from the dataset's collections (estimated 1) and probe every name for each of
   * them (5,000 linked, 5,000 named: 25,000,000 probes, 114 s on the embedded engine); materialized,
   * the UPDATE reaches each found row by its ctid.
   */
  @GenerateSql({ params: (f) => [named(f), [f.collection], 'writer', null], scaled: true })
  unlink(
    at: NamedAt,
    collections: string[],
    needs: Role,
    ifMatch: string[] | null,
  ): Promise<Found & { stale: boolean }> {
    const scope = targetScope(at, 'dataset', 'share');
    return this.db.one(
      sql`WITH ${scope.with},
       fresh AS (SELECT ${ifMatchHolds(datasetEtag('t'), ifMatch)} AS holds FROM t),
       named AS MATERIALIZED (
         SELECT c.tid FROM t CROSS JOIN fresh
         CROSS JOIN (SELECT DISTINCT w.name FROM unnest(${collections}::text[]) AS w(name) ORDER BY w.name) w
         CROSS JOIN LATERAL (
           SELECT c.ctid AS tid FROM collection c
           WHERE c.namespace_id = t.namespace_id AND c.project_id = t.project_id AND c.name = w.name AND c.deleted_at IS NULL
             AND c.dataset_id = t.id
           LIMIT 1
         ) c
         WHERE ${roleAllows(scope, needs)} AND fresh.holds
       ),
       removed AS (
         UPDATE collection c SET dataset_id = NULL, updated_at = now()
         FROM named n, t
         WHERE c.ctid = n.tid AND c.dataset_id = t.id AND c.deleted_at IS NULL
         RETURNING c.id, c.name
       ),
       ${recordChange(
         'ev',
         at,
         'dataset.collections.changed',
         'dataset',
         sql`${datasetRow(at, 't', sql`jsonb_build_object('added', '[]'::jsonb, 'removed', (SELECT jsonb_agg(r.name ORDER BY r.name) FROM removed r))`)}
             FROM t WHERE EXISTS (SELECT 1 FROM removed)`,
       )}
       SELECT ${scope.found},
              NOT coalesce((SELECT holds FROM fresh), true) AS stale,
              (SELECT json_build_object('removed', (SELECT count(*)::int FROM removed),
                 'total', (SELECT count(*)::int FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.dataset_id = t.id
                           WHERE c.deleted_at IS NULL) - (SELECT count(*)::int FROM removed))::text
               FROM t WHERE ${roleAllows(scope, needs)} AND (SELECT holds FROM fresh)) AS body`,
    );
  }
}

/** Example targets for GenerateSql. */
const at = (f: { user: string; requestId: string; slug: string; projectSlug: string }): ProjectAt => ({
  userId: f.user,
  requestId: f.requestId,
  slug: f.slug,
  projectSlug: f.projectSlug,
});
const named = (f: Parameters<typeof at>[0] & { dataset: string }): NamedAt => ({
  ...at(f),
  kind: 'Dataset',
  name: f.dataset,
});
const list = (query: Partial<ListQuery>): ListQuery => ({ page: 1, pageSize: 50, sort: '-createdAt', ...query });
