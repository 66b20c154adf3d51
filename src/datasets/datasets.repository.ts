import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.js';
import type { ScopeResult, TargetResult } from '../auth/access.js';
import type { Role } from '../auth/roles.js';
import { likePattern, orderBy, pageWindow, type ListQuery } from '../common/pagination.js';
import { collectionJson, datasetJson, memberIds } from '../database/fragments.js';
import {
  PROJECT_SCOPE,
  softDeleteTarget,
  PROJECT_SCOPE_COLUMNS,
  TARGET_FOUND,
  namedTarget,
} from '../database/scope.js';
import { jsonArray, patchAssignments } from '../database/sql.js';
import type { DatasetDto, DatasetListItemDto, UpdateDatasetDto } from './dto/dataset.dto.js';

export interface NewDataset {
  name: string;
  description: string | null;
  tags: string[];
  metadata: Record<string, unknown> | null;
}

/** Live collections of dataset `d`, as `{id, name}` by name. */
const COLLECTION_REFS = `(SELECT ${jsonArray(`json_build_object('id', c.id, 'name', c.name)`, 'c.name')}
    FROM collection c WHERE c.namespace_id = d.namespace_id AND c.dataset_id = d.id AND c.deleted_at IS NULL)`;

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
  ): Promise<ScopeResult & { dataset: DatasetDto | null }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE},
       d AS (
         INSERT INTO dataset (namespace_id, project_id, name, description, tags, metadata)
         SELECT pr.namespace_id, pr.id, $4, $5, $6, $7 FROM pr, ns WHERE ns.role = ANY($8::text[])
         RETURNING *
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, (SELECT ${datasetJson('d')} FROM d) AS dataset`,
      [userId, slug, projectSlug, dataset.name, dataset.description, dataset.tags, dataset.metadata, allowed],
    );
  }

  /** One page of the project's live datasets, filtered and sorted, each with its collections by name. */
  list(
    userId: string,
    slug: string,
    projectSlug: string,
    query: ListQuery,
  ): Promise<ScopeResult & { total: number; items: DatasetListItemDto[] }> {
    const { limit, offset } = pageWindow(query);
    const order = orderBy(query.sort, 'd');
    return this.db.row(
      `WITH ${PROJECT_SCOPE},
       hits AS (
         SELECT d.* FROM dataset d JOIN pr ON d.namespace_id = pr.namespace_id AND d.project_id = pr.id
         WHERE d.deleted_at IS NULL AND ($4::text IS NULL OR d.name ILIKE $4::text) AND d.tags @> $5::text[]
       ),
       page AS (SELECT d.* FROM hits d ORDER BY ${order} LIMIT $6 OFFSET $7)
       SELECT ${PROJECT_SCOPE_COLUMNS},
              (SELECT count(*)::int FROM hits) AS total,
              (SELECT ${jsonArray(
                `json_build_object('id', d.id, 'name', d.name, 'description', d.description, 'tags', to_json(d.tags),
                   'collections', ${COLLECTION_REFS},
                   'createdAt', iso_time(d.created_at), 'updatedAt', iso_time(d.updated_at))`,
                order,
              )} FROM page d) AS items`,
      [userId, slug, projectSlug, likePattern(query.q), query.tag ?? [], limit, offset],
    );
  }

  /** The dataset with its live collections (by name), each with all its members in order, as JSON text. */
  findWithCollections(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
  ): Promise<TargetResult & { dataset: string | null }> {
    // Collections are sorted by name before their (possibly huge) JSON is built, not after.
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('dataset')}
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              (SELECT ${datasetJson(
                'd',
                `'collections', (SELECT coalesce(json_agg(${collectionJson('c', memberIds('c'))}), '[]') FROM (
                   SELECT c.* FROM collection c
                   WHERE c.namespace_id = d.namespace_id AND c.dataset_id = d.id AND c.deleted_at IS NULL
                   ORDER BY c.name) c)`,
              )}::text
               FROM dataset d JOIN t ON d.namespace_id = t.namespace_id AND d.id = t.id) AS dataset`,
      [userId, slug, projectSlug, name],
    );
  }

  /** Changes the given fields if the caller's role is in `allowed`; a taken name fails on uq_dataset_name. */
  update(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    patch: UpdateDatasetDto,
    allowed: Role[],
  ): Promise<TargetResult & { dataset: DatasetDto | null }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('dataset')},
       d AS (
         UPDATE dataset d SET
           ${patchAssignments('d', '$5', ['name', 'description', 'tags', 'metadata'])},
           updated_at = now()
         FROM t, ns
         WHERE d.namespace_id = t.namespace_id AND d.id = t.id AND d.deleted_at IS NULL AND ns.role = ANY($6::text[])
         RETURNING d.*
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND}, (SELECT ${datasetJson('d')} FROM d) AS dataset`,
      [userId, slug, projectSlug, name, JSON.stringify(patch), allowed],
    );
  }

  /**
   * Soft-deletes the dataset; in the same statement the trigger tg_dataset_detach_collections
   * makes its collections standalone. The name is free again at once (uq_dataset_name covers
   * live rows only).
   */
  softDelete(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    allowed: Role[],
  ): Promise<TargetResult & { deleted: boolean }> {
    return this.db.row(softDeleteTarget('dataset'), [userId, slug, projectSlug, name, allowed]);
  }

  /**
   * Attaches the named collections, all or nothing: nothing changes when one is missing or belongs
   * to another dataset. The dataset is share-locked (no concurrent delete) and the named collections
   * locked, so the checks see their latest state.
   */
  link(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    collections: string[],
    allowed: Role[],
  ): Promise<TargetResult & { missing: string[] | null; taken: string[] | null; added: number; total: number }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('dataset', 'FOR SHARE OF x')},
       want AS (SELECT DISTINCT w.name FROM unnest($5::text[]) AS w(name)),
       found AS (
         SELECT c.namespace_id, c.id, c.name, c.dataset_id
         FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.project_id = t.project_id, ns
         WHERE c.name = ANY($5::text[]) AND c.deleted_at IS NULL AND ns.role = ANY($6::text[])
         FOR NO KEY UPDATE OF c
       ),
       missing AS (SELECT w.name FROM want w WHERE NOT EXISTS (SELECT 1 FROM found f WHERE f.name = w.name)),
       taken AS (SELECT f.name FROM found f, t WHERE f.dataset_id IS NOT NULL AND f.dataset_id <> t.id),
       go AS (
         SELECT 1 FROM ns
         WHERE ns.role = ANY($6::text[]) AND NOT EXISTS (SELECT 1 FROM missing) AND NOT EXISTS (SELECT 1 FROM taken)
       ),
       added AS (
         UPDATE collection c SET dataset_id = t.id, updated_at = now()
         FROM found f, t, go
         WHERE c.namespace_id = f.namespace_id AND c.id = f.id AND f.dataset_id IS NULL
         RETURNING c.id
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              (SELECT array_agg(name ORDER BY name) FROM missing) AS missing,
              (SELECT array_agg(name ORDER BY name) FROM taken) AS taken,
              (SELECT count(*)::int FROM added) AS added,
              (SELECT count(*)::int FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.dataset_id = t.id
               WHERE c.deleted_at IS NULL) + (SELECT count(*)::int FROM added) AS total`,
      [userId, slug, projectSlug, name, collections, allowed],
    );
  }

  /** Detaches the named collections that are in the dataset; other names are ignored. */
  unlink(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    collections: string[],
    allowed: Role[],
  ): Promise<TargetResult & { removed: number; total: number }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('dataset', 'FOR SHARE OF x')},
       removed AS (
         UPDATE collection c SET dataset_id = NULL, updated_at = now()
         FROM t, ns
         WHERE c.namespace_id = t.namespace_id AND c.dataset_id = t.id AND c.deleted_at IS NULL
           AND c.name = ANY($5::text[]) AND ns.role = ANY($6::text[])
         RETURNING c.id
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              (SELECT count(*)::int FROM removed) AS removed,
              (SELECT count(*)::int FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.dataset_id = t.id
               WHERE c.deleted_at IS NULL) - (SELECT count(*)::int FROM removed) AS total`,
      [userId, slug, projectSlug, name, collections, allowed],
    );
  }
}
