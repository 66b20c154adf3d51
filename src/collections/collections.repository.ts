import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.js';
import type { ScopeResult, TargetResult } from '../auth/access.js';
import type { Role } from '../auth/roles.js';
import { likePattern, orderBy, pageWindow } from '../common/pagination.js';
import { collectionJson, memberIds } from '../database/fragments.js';
import {
  PROJECT_SCOPE,
  softDeleteTarget,
  PROJECT_SCOPE_COLUMNS,
  TARGET_FOUND,
  iso,
  namedTarget,
} from '../database/scope.js';
import { jsonArray, patchAssignments } from '../database/sql.js';
import type {
  CollectionDto,
  CollectionListItemDto,
  CollectionListQuery,
  MemberEntryDto,
  UpdateCollectionDto,
} from './dto/collection.dto.js';

export interface NewCollection {
  name: string;
  description: string | null;
  tags: string[];
  metadata: Record<string, unknown> | null;
  datasetId: string | null;
  members: string[];
}

/** List items embed at most this many members. */
export const EMBEDDED_MEMBERS = 100;

/** The given ids, first occurrence of each kept with its 1-based position in the request. */
const DISTINCT_IDS = (param: string): string =>
  `SELECT u.node_id, min(u.ord) AS ord FROM unnest(${param}::text[]) WITH ORDINALITY AS u(node_id, ord) GROUP BY u.node_id`;

/** A live dataset of the project by id ($param), share-locked so it cannot be deleted meanwhile. */
const DATASET_BY_ID = (param: string): string => `ds AS (
    SELECT d.id FROM dataset d JOIN pr ON d.namespace_id = pr.namespace_id AND d.project_id = pr.id
    WHERE d.id = ${param}::uuid AND d.deleted_at IS NULL
    FOR SHARE OF d
  )`;

/**
 * CTE `c`: the collection `t` with its count and next position, locked when the caller's role is
 * in `$6`, so member changes to one collection queue up and see its latest `member_count`.
 */
const LOCKED_COLLECTION = `c AS (
    SELECT c.namespace_id, c.id, c.member_count, c.member_seq
    FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.id = t.id, ns
    WHERE c.deleted_at IS NULL AND ns.role = ANY($6::text[])
    FOR NO KEY UPDATE OF c
  )`;

/**
 * Every collection statement; each route is one roundtrip. Parameters $1–$3 are the scope's, $4
 * the collection's name where the path has one. Member changes lock the collection row first, so
 * concurrent changes to one collection queue up and `member_count` stays exact.
 */
@Injectable()
export class CollectionsRepository {
  constructor(private readonly db: Database) {}

  /** Inserts the collection (in a dataset when given) and its first members. */
  create(
    userId: string,
    slug: string,
    projectSlug: string,
    collection: NewCollection,
    allowed: Role[],
  ): Promise<ScopeResult & { dataset_found: boolean; collection: CollectionDto | null }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${DATASET_BY_ID('$8')},
       ids AS (${DISTINCT_IDS('$9')}),
       c AS (
         INSERT INTO collection (namespace_id, project_id, dataset_id, name, description, tags, metadata, member_count, member_seq)
         SELECT pr.namespace_id, pr.id, (SELECT id FROM ds), $4, $5, $6, $7,
                (SELECT count(*) FROM ids), cardinality($9::text[])
         FROM pr, ns
         WHERE ns.role = ANY($10::text[]) AND ($8::uuid IS NULL OR EXISTS (SELECT 1 FROM ds))
         RETURNING *
       ),
       m AS (
         INSERT INTO collection_member (namespace_id, collection_id, node_id, position)
         SELECT c.namespace_id, c.id, ids.node_id, ids.ord FROM c, ids
       )
       SELECT ${PROJECT_SCOPE_COLUMNS},
              ($8::uuid IS NULL OR EXISTS (SELECT 1 FROM ds)) AS dataset_found,
              (SELECT ${collectionJson('c', `(SELECT ${jsonArray('ids.node_id', 'ids.ord')} FROM ids)`)} FROM c) AS collection`,
      [
        userId,
        slug,
        projectSlug,
        collection.name,
        collection.description,
        collection.tags,
        collection.metadata,
        collection.datasetId,
        collection.members,
        allowed,
      ],
    );
  }

  /** One page of the project's live collections, filtered and sorted, each with its first 100 members. */
  list(
    userId: string,
    slug: string,
    projectSlug: string,
    query: CollectionListQuery,
  ): Promise<ScopeResult & { total: number; items: CollectionListItemDto[] }> {
    const { limit, offset } = pageWindow(query);
    const order = orderBy(query.sort, 'c');
    const standalone = query.standalone === undefined ? null : query.standalone === 'true';
    return this.db.row(
      `WITH ${PROJECT_SCOPE},
       hits AS (
         SELECT c.* FROM collection c JOIN pr ON c.namespace_id = pr.namespace_id AND c.project_id = pr.id
         WHERE c.deleted_at IS NULL
           AND ($4::text IS NULL OR c.name ILIKE $4::text)
           AND c.tags @> $5::text[]
           AND ($6::uuid IS NULL OR c.dataset_id = $6::uuid)
           AND ($7::boolean IS NULL OR (c.dataset_id IS NULL) = $7::boolean)
       ),
       page AS (SELECT c.* FROM hits c ORDER BY ${order} LIMIT $8 OFFSET $9)
       SELECT ${PROJECT_SCOPE_COLUMNS},
              (SELECT count(*)::int FROM hits) AS total,
              (SELECT ${jsonArray(
                collectionJson(
                  'c',
                  memberIds('c', EMBEDDED_MEMBERS),
                  `'membersTruncated', c.member_count > ${EMBEDDED_MEMBERS}`,
                ),
                order,
              )} FROM page c) AS items`,
      [
        userId,
        slug,
        projectSlug,
        likePattern(query.q),
        query.tag ?? [],
        query.datasetId ?? null,
        standalone,
        limit,
        offset,
      ],
    );
  }

  /** The collection with all its members in order, or without them, as JSON text. */
  find(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    withMembers: boolean,
  ): Promise<TargetResult & { collection: string | null }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('collection')}
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              (SELECT ${collectionJson('c', withMembers ? memberIds('c') : null)}::text
               FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.id = t.id) AS collection`,
      [userId, slug, projectSlug, name],
    );
  }

  /**
   * Changes the given fields; `datasetId` moves the collection into another live dataset of the
   * project, or (null) makes it standalone. A taken name fails on uq_collection_name.
   */
  update(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    patch: UpdateCollectionDto,
    allowed: Role[],
  ): Promise<TargetResult & { dataset_found: boolean; collection: CollectionDto | null }> {
    const moves = patch.datasetId !== undefined;
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('collection')}, ${DATASET_BY_ID('$6')},
       c AS (
         UPDATE collection c SET
           ${patchAssignments('c', '$5', ['name', 'description', 'tags', 'metadata'])},
           dataset_id = CASE WHEN $7::boolean THEN (SELECT id FROM ds) ELSE c.dataset_id END,
           updated_at = now()
         FROM t, ns
         WHERE c.namespace_id = t.namespace_id AND c.id = t.id AND c.deleted_at IS NULL AND ns.role = ANY($8::text[])
           AND (NOT $7::boolean OR $6::uuid IS NULL OR EXISTS (SELECT 1 FROM ds))
         RETURNING c.*
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              (NOT $7::boolean OR $6::uuid IS NULL OR EXISTS (SELECT 1 FROM ds)) AS dataset_found,
              (SELECT ${collectionJson('c', memberIds('c'))} FROM c) AS collection`,
      [userId, slug, projectSlug, name, JSON.stringify(patch), moves ? patch.datasetId : null, moves, allowed],
    );
  }

  /** Soft-deletes the collection; its name is free again at once. */
  softDelete(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    allowed: Role[],
  ): Promise<TargetResult & { deleted: boolean }> {
    return this.db.row(softDeleteTarget('collection'), [userId, slug, projectSlug, name, allowed]);
  }

  /**
   * Appends the ids not yet present, in the order given: one INSERT … ON CONFLICT DO NOTHING, with
   * the count and the next position kept on the (locked) collection row.
   */
  addMembers(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    ids: string[],
    allowed: Role[],
  ): Promise<TargetResult & { changed: boolean; added: number; total: number }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('collection')},
       ${LOCKED_COLLECTION},
       ids AS (${DISTINCT_IDS('$5')}),
       ins AS (
         INSERT INTO collection_member (namespace_id, collection_id, node_id, position)
         SELECT c.namespace_id, c.id, ids.node_id, c.member_seq + ids.ord FROM c, ids
         ON CONFLICT ON CONSTRAINT pk_collection_member DO NOTHING
         RETURNING 1
       ),
       n AS (SELECT count(*)::int AS added FROM ins),
       upd AS (
         UPDATE collection x SET
           member_count = c.member_count + n.added,
           member_seq = c.member_seq + cardinality($5::text[]),
           updated_at = CASE WHEN n.added > 0 THEN now() ELSE x.updated_at END
         FROM c, n
         WHERE x.namespace_id = c.namespace_id AND x.id = c.id
         RETURNING x.member_count
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND}, EXISTS (SELECT 1 FROM upd) AS changed,
              (SELECT added FROM n) AS added, (SELECT member_count FROM upd) AS total`,
      [userId, slug, projectSlug, name, ids, allowed],
    );
  }

  /** Removes the ids that are present; absent ids are ignored. */
  removeMembers(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    ids: string[],
    allowed: Role[],
  ): Promise<TargetResult & { changed: boolean; removed: number; total: number }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('collection')},
       ${LOCKED_COLLECTION},
       del AS (
         DELETE FROM collection_member m USING c
         WHERE m.namespace_id = c.namespace_id AND m.collection_id = c.id AND m.node_id = ANY($5::text[])
         RETURNING 1
       ),
       n AS (SELECT count(*)::int AS removed FROM del),
       upd AS (
         UPDATE collection x SET
           member_count = c.member_count - n.removed,
           updated_at = CASE WHEN n.removed > 0 THEN now() ELSE x.updated_at END
         FROM c, n
         WHERE x.namespace_id = c.namespace_id AND x.id = c.id
         RETURNING x.member_count
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND}, EXISTS (SELECT 1 FROM upd) AS changed,
              (SELECT removed FROM n) AS removed, (SELECT member_count FROM upd) AS total`,
      [userId, slug, projectSlug, name, ids, allowed],
    );
  }

  /** One page of members in insertion order, with the total. */
  listMembersPage(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    page: { limit: number; offset: number },
  ): Promise<TargetResult & { total: number; items: MemberEntryDto[] }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('collection')},
       page AS (
         SELECT m.node_id, m.added_at, m.position
         FROM collection_member m JOIN t ON m.namespace_id = t.namespace_id AND m.collection_id = t.id
         ORDER BY m.position LIMIT $5 OFFSET $6
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              (SELECT c.member_count FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.id = t.id) AS total,
              (SELECT ${jsonArray(`json_build_object('nodeId', m.node_id, 'addedAt', ${iso('m.added_at')})`, 'm.position')}
               FROM page m) AS items`,
      [userId, slug, projectSlug, name, page.limit, page.offset],
    );
  }

  /**
   * Up to `limit` members after node id `after` (from the start when null), plus whether more
   * follow; `cursor_found` is false when `after` is not a member.
   */
  listMembersAfter(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    after: string | null,
    limit: number,
  ): Promise<TargetResult & { cursor_found: boolean; items: MemberEntryDto[]; more: boolean }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('collection')},
       cur AS (
         SELECT m.position FROM collection_member m JOIN t ON m.namespace_id = t.namespace_id AND m.collection_id = t.id
         WHERE m.node_id = $5::text
       ),
       page AS (
         SELECT m.node_id, m.added_at, m.position
         FROM collection_member m JOIN t ON m.namespace_id = t.namespace_id AND m.collection_id = t.id
         WHERE $5::text IS NULL OR m.position > (SELECT position FROM cur)
         ORDER BY m.position LIMIT $6::int + 1
       ),
       shown AS (SELECT * FROM page ORDER BY position LIMIT $6::int)
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              ($5::text IS NULL OR EXISTS (SELECT 1 FROM cur)) AS cursor_found,
              (SELECT count(*)::int FROM page) > $6::int AS more,
              (SELECT ${jsonArray(`json_build_object('nodeId', m.node_id, 'addedAt', ${iso('m.added_at')})`, 'm.position')}
               FROM shown m) AS items`,
      [userId, slug, projectSlug, name, after, limit],
    );
  }
}
