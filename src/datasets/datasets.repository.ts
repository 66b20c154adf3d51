import { Injectable } from '@nestjs/common';
import type { ScopeResult, TargetResult } from '../auth/access.js';
import type { Role } from '../auth/roles.js';
import { likePattern, orderBy, type ListQuery } from '../common/pagination.js';
import { Database } from '../database/database.js';
import {
  collectionJson,
  datasetEtag,
  datasetJson,
  etag,
  MEMBER_CHUNK,
  memberIdChunks,
  memberChunks,
  memberIds,
  STREAM_ABOVE,
} from '../database/fragments.js';
import {
  PROJECT_SCOPE,
  PROJECT_SCOPE_COLUMNS,
  TARGET_FOUND,
  iso,
  namedTarget,
  softDeleteTarget,
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
import type { StreamPart } from '../common/json-stream.js';
import { keepAnswer, type Keep } from '../idempotency/keep.js';
import { IN_PROJECT, taggedTotal } from '../database/scope.js';
import type { UpdateDatasetDto } from './dto/dataset.dto.js';

export interface NewDataset {
  name: string;
  description: string | null;
  tags: string[];
  metadata: Record<string, unknown> | null;
}

/** Live collections of dataset `d`, as `{id, name}` by name (from ix_collection_dataset, in order). */
const COLLECTION_REFS = `(SELECT ${jsonArray(`json_build_object('id', c.id, 'name', c.name)`, 'c.name')}
    FROM collection c WHERE c.namespace_id = d.namespace_id AND c.dataset_id = d.id AND c.deleted_at IS NULL)`;

/** The live collections of dataset `d` by name. */
const COLLECTIONS_OF = (d: string): string => `(SELECT c.* FROM collection c
    WHERE c.namespace_id = ${d}.namespace_id AND c.dataset_id = ${d}.id AND c.deleted_at IS NULL ORDER BY c.name)`;

/** The dataset's ETag from `t` as locked (its version after any wait) and its collections' versions. */
const LOCKED_ETAG = etag(
  't.id',
  't.version',
  `(SELECT string_agg(dc.id || '.' || dc.version, ',' ORDER BY dc.id) FROM collection dc
    WHERE dc.namespace_id = t.namespace_id AND dc.dataset_id = t.id AND dc.deleted_at IS NULL)`,
);

/** Every dataset statement; each route is one roundtrip. Parameters $1–$3 are the scope's. */
@Injectable()
export class DatasetsRepository {
  constructor(private readonly db: Database) {}

  /** Inserts the dataset if the caller's role is in `allowed`; a taken name fails on uq_dataset_name. */
  create(
    userId: string,
    slug: string,
    projectSlug: string,
    dataset: NewDataset,
    allowed: Role[],
    keep?: Keep,
  ): Promise<ScopeResult & { body: string | null }> {
    const params: unknown[] = [
      userId,
      slug,
      projectSlug,
      dataset.name,
      dataset.description,
      dataset.tags,
      dataset.metadata,
      allowed,
    ];
    const body = `(SELECT ${datasetJson('d')}::text FROM d)`;
    return (keep?.tx ?? this.db)
      .query<ScopeResult & { body: string | null }>(
        `WITH ${PROJECT_SCOPE},
       d AS (
         INSERT INTO dataset (namespace_id, project_id, name, description, tags, metadata)
         SELECT pr.namespace_id, pr.id, $4, $5, $6, $7 FROM pr, ns WHERE ns.role = ANY($8::text[])
         RETURNING *
       )${keepAnswer(keep, params, body)}
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${body} AS body`,
        params,
      )
      .then(([row]) => row);
  }

  /**
   * One page of the project's live datasets, filtered and sorted, each with its collections by
   * name: read straight from the sort order's index; `total` from the project's counter, or
   * counted through the trigram / tag index when filtered.
   */
  list(
    userId: string,
    slug: string,
    projectSlug: string,
    query: ListQuery,
  ): Promise<ScopeResult & { body: string | null }> {
    const p = new Params([userId, slug, projectSlug]);
    const order = orderBy(query.sort, 'd');
    const filters = [
      query.q ? `d.name ILIKE ${p.add(likePattern(query.q), 'text')}` : '',
      query.tag?.length ? `d.tags @> ${p.add(query.tag, 'text[]')}` : '',
    ].filter(Boolean);
    const filtered = filters.map((f) => ` AND ${f}`).join('');
    const where = `d.namespace_id = pr.namespace_id AND d.project_id = pr.id AND d.deleted_at IS NULL${filtered}`;
    const oneTag = new Set(query.tag ?? []).size === 1 && !query.q;
    const total = oneTag
      ? taggedTotal('dataset', p.add(query.tag![0], 'text'))
      : filters.length > 0
        ? `(SELECT count(*) FROM dataset d WHERE ${IN_PROJECT('d')} AND d.deleted_at IS NULL${filtered})`
        : `(SELECT p.dataset_count FROM project p JOIN pr ON p.namespace_id = pr.namespace_id AND p.id = pr.id)`;
    const page = p.add(query.page, 'int');
    const size = p.add(query.pageSize, 'int');
    return this.db.row(
      `WITH ${PROJECT_SCOPE},
       page AS (
         SELECT d.* FROM pr CROSS JOIN LATERAL (
           SELECT d.* FROM dataset d WHERE ${where} ORDER BY ${order} ${pageWindow(page, size)}
         ) d
       )
       SELECT ${PROJECT_SCOPE_COLUMNS},
              ${pageBody(
                'datasets',
                `(SELECT ${jsonArray(
                  `json_build_object('id', d.id, 'name', d.name, 'description', d.description, 'tags', to_json(d.tags),
                     'collections', ${COLLECTION_REFS},
                     'createdAt', ${iso('d.created_at')}, 'updatedAt', ${iso('d.updated_at')})`,
                  order,
                )} FROM page d)`,
                total,
                page,
                size,
              )} AS body`,
      p.values,
    );
  }

  /**
   * The dataset with its live collections (by name), each with all its members in order, as JSON
   * text, and its ETag: no body when it matches `ifNoneMatch`, nor when its collections hold too
   * many members to build at once (`big`: then streamCollections sends them). Prepared: its plan
   * is reused (see statementName).
   */
  findWithCollections(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    ifNoneMatch: string[] | null,
  ): Promise<TargetResult & { etag: string | null; not_modified: boolean; big: boolean; body: string | null }> {
    const big = `(SELECT coalesce(sum(c.member_count), 0) FROM collection c
        WHERE c.namespace_id = d.namespace_id AND c.dataset_id = d.id AND c.deleted_at IS NULL) > ${STREAM_ABOVE}`;
    // Collections are sorted by name before their JSON is built, not after.
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('dataset')},
       d AS (SELECT d.*, ${datasetEtag('d')} AS etag FROM dataset d JOIN t ON d.namespace_id = t.namespace_id AND d.id = t.id)
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              (SELECT d.etag FROM d) AS etag,
              coalesce((SELECT ${tagMatches('d.etag', '$5')} FROM d), false) AS not_modified,
              coalesce((SELECT ${big} FROM d), false) AS big,
              (SELECT CASE WHEN ${tagMatches('d.etag', '$5')} OR ${big} THEN NULL ELSE ${datasetJson(
                'd',
                `'collections', (SELECT coalesce(json_agg(${collectionJson('c', memberIds('c', null))}), '[]')
                   FROM ${COLLECTIONS_OF('d')} c)`,
              )}::text END FROM d) AS body`,
      [userId, slug, projectSlug, name, ifNoneMatch],
      true,
    );
  }

  /**
   * The streamed form of a big dataset's answer, in order: the dataset's head (its JSON with an
   * empty `collections` array), then for each collection by name its head (with an empty
   * `members` array) and its ids in chunks. On a server one statement read through a cursor; on
   * the embedded engine the heads, then a statement per chunk by position.
   */
  async *streamCollections(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
  ): AsyncGenerator<StreamPart> {
    const datasetHead = `${datasetJson('d', `'collections', json_build_array()`)}::text`;
    const collectionHead = `${collectionJson('c', 'json_build_array()')}::text`;
    const target = `WITH ${PROJECT_SCOPE}, ${namedTarget('dataset')},
       d AS (SELECT d.* FROM dataset d JOIN t ON d.namespace_id = t.namespace_id AND d.id = t.id)`;
    if (this.db.streams) {
      const rows = this.db.cursor<{ kind: 'dataset' | 'collection' | 'ids'; text: string }>(
        `${target}
         SELECT 'dataset' AS kind, ${datasetHead} AS text FROM d
         UNION ALL
         SELECT x.kind, x.text FROM d CROSS JOIN LATERAL ${COLLECTIONS_OF('d')} c CROSS JOIN LATERAL (
           SELECT 'collection' AS kind, ${collectionHead} AS text
           UNION ALL
           SELECT 'ids', k.ids FROM ${memberChunks('c', '$5')} k
         ) x`,
        [userId, slug, projectSlug, name, MEMBER_CHUNK],
        4,
      );
      for await (const batch of rows) {
        for (const row of batch)
          yield row.kind === 'dataset'
            ? { dataset: row.text }
            : row.kind === 'collection'
              ? { collection: row.text }
              : { ids: row.text };
      }
      return;
    }
    const [first] = await this.db.query<{
      head: string;
      collections: { namespace_id: string; id: string; head: string }[];
    }>(
      `${target}
       SELECT ${datasetHead} AS head,
              (SELECT coalesce(json_agg(json_build_object('namespace_id', c.namespace_id, 'id', c.id, 'head', ${collectionHead})), '[]')
               FROM ${COLLECTIONS_OF('d')} c) AS collections
       FROM d`,
      [userId, slug, projectSlug, name],
    );
    if (!first) return;
    yield { dataset: first.head };
    for (const collection of first.collections) {
      yield { collection: collection.head };
      for await (const ids of memberIdChunks(this.db, collection.namespace_id, collection.id)) yield { ids };
    }
  }

  /**
   * Changes the given fields if the caller's role is in `allowed` and `ifMatch` is null or the
   * current tag; a taken name fails on uq_dataset_name. Answers the dataset and its new tag.
   */
  update(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    patch: UpdateDatasetDto,
    allowed: Role[],
    ifMatch: string[] | null,
  ): Promise<TargetResult & { etag: string | null; body: string | null }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('dataset', 'FOR NO KEY UPDATE OF x')},
       d AS (
         UPDATE dataset d SET
           ${patchAssignments('d', '$5', ['name', 'description', 'tags', 'metadata'])},
           updated_at = now()
         FROM t, ns
         WHERE d.namespace_id = t.namespace_id AND d.id = t.id AND d.deleted_at IS NULL AND ns.role = ANY($6::text[])
           AND ${ifMatchHolds(LOCKED_ETAG, '$7')}
         RETURNING d.*
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              (SELECT ${datasetEtag('d')} FROM d) AS etag,
              (SELECT ${datasetJson('d')}::text FROM d) AS body`,
      [userId, slug, projectSlug, name, JSON.stringify(patch), allowed, ifMatch],
    );
  }

  /**
   * Soft-deletes the dataset (when `ifMatch` is null or its current tag); in the same statement
   * the trigger tg_dataset_detach_collections makes its collections standalone and records which,
   * for a restore. The name is free again at once (uq_dataset_name covers live rows only).
   */
  softDelete(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    allowed: Role[],
    ifMatch: string[] | null,
  ): Promise<TargetResult & { deleted: boolean }> {
    return this.db.row(softDeleteTarget('dataset', datasetEtag), [userId, slug, projectSlug, name, allowed, ifMatch]);
  }

  /**
   * Attaches the named collections, all or nothing: nothing changes when one is missing or belongs
   * to another dataset, or when `ifMatch` is not the dataset's current tag. The dataset is
   * share-locked (no concurrent delete) and the named collections locked, so the checks see their
   * latest state.
   */
  link(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    collections: string[],
    allowed: Role[],
    ifMatch: string[] | null,
    keep?: Keep,
  ): Promise<
    TargetResult & {
      precondition_failed: boolean;
      missing: string[] | null;
      taken: string[] | null;
      body: string | null;
    }
  > {
    const params: unknown[] = [userId, slug, projectSlug, name, collections, allowed, ifMatch];
    const body = `(SELECT json_build_object('added', (SELECT count(*)::int FROM added),
                     'total', (SELECT count(*)::int FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.dataset_id = t.id
                               WHERE c.deleted_at IS NULL) + (SELECT count(*)::int FROM added))::text
                   FROM go)`;
    return (keep?.tx ?? this.db)
      .query<
        TargetResult & {
          precondition_failed: boolean;
          missing: string[] | null;
          taken: string[] | null;
          body: string | null;
        }
      >(
        `WITH ${PROJECT_SCOPE}, ${namedTarget('dataset', 'FOR SHARE OF x')},
       fresh AS (SELECT ${ifMatchHolds(LOCKED_ETAG, '$7')} AS holds FROM t),
       want AS (SELECT DISTINCT w.name FROM unnest($5::text[]) AS w(name)),
       found AS (
         SELECT c.namespace_id, c.id, c.name, c.dataset_id
         FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.project_id = t.project_id, ns, fresh
         WHERE c.name = ANY($5::text[]) AND c.deleted_at IS NULL AND ns.role = ANY($6::text[]) AND fresh.holds
         FOR NO KEY UPDATE OF c
       ),
       missing AS (SELECT w.name FROM want w WHERE NOT EXISTS (SELECT 1 FROM found f WHERE f.name = w.name)),
       taken AS (SELECT f.name FROM found f, t WHERE f.dataset_id IS NOT NULL AND f.dataset_id <> t.id),
       go AS (
         SELECT 1 FROM ns, fresh
         WHERE ns.role = ANY($6::text[]) AND fresh.holds
           AND NOT EXISTS (SELECT 1 FROM missing) AND NOT EXISTS (SELECT 1 FROM taken)
       ),
       added AS (
         UPDATE collection c SET dataset_id = t.id, updated_at = now()
         FROM found f, t, go
         WHERE c.namespace_id = f.namespace_id AND c.id = f.id AND f.dataset_id IS NULL
         RETURNING c.id
       )${keepAnswer(keep, params, body)}
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              NOT coalesce((SELECT holds FROM fresh), true) AS precondition_failed,
              (SELECT array_agg(name ORDER BY name) FROM missing) AS missing,
              (SELECT array_agg(name ORDER BY name) FROM taken) AS taken,
              ${body} AS body`,
        params,
      )
      .then(([row]) => row);
  }

  /** Detaches the named collections that are in the dataset; other names are ignored. */
  unlink(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    collections: string[],
    allowed: Role[],
    ifMatch: string[] | null,
  ): Promise<TargetResult & { precondition_failed: boolean; body: string | null }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('dataset', 'FOR SHARE OF x')},
       fresh AS (SELECT ${ifMatchHolds(LOCKED_ETAG, '$7')} AS holds FROM t),
       removed AS (
         UPDATE collection c SET dataset_id = NULL, updated_at = now()
         FROM t, ns, fresh
         WHERE c.namespace_id = t.namespace_id AND c.dataset_id = t.id AND c.deleted_at IS NULL
           AND c.name = ANY($5::text[]) AND ns.role = ANY($6::text[]) AND fresh.holds
         RETURNING c.id
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              NOT coalesce((SELECT holds FROM fresh), true) AS precondition_failed,
              (SELECT json_build_object('removed', (SELECT count(*)::int FROM removed),
                 'total', (SELECT count(*)::int FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.dataset_id = t.id
                           WHERE c.deleted_at IS NULL) - (SELECT count(*)::int FROM removed))::text
               FROM t) AS body`,
      [userId, slug, projectSlug, name, collections, allowed, ifMatch],
    );
  }
}
