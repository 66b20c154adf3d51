import { Injectable } from '@nestjs/common';
import type { ScopeResult, TargetResult } from '../auth/access.js';
import type { Role } from '../auth/roles.js';
import { likePattern, orderBy } from '../common/pagination.js';
import { Database } from '../database/database.js';
import {
  collectionEtag,
  collectionJson,
  MEMBER_CHUNK,
  memberIdChunks,
  memberChunks,
  memberIds,
  STREAM_ABOVE,
} from '../database/fragments.js';
import {
  IN_PROJECT,
  PROJECT_SCOPE,
  taggedTotal,
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
import type { CollectionListQuery, UpdateCollectionDto } from './dto/collection.dto.js';

export interface NewCollection {
  name: string;
  description: string | null;
  tags: string[];
  metadata: Record<string, unknown> | null;
  datasetId: string | null;
  members: string[];
}

/** What a GET of one collection found: its tag, and its JSON unless unchanged or too big to build at once. */
export interface FoundCollection extends TargetResult {
  etag: string | null;
  not_modified: boolean;
  /** The answer's JSON text; null when it matched If-None-Match or is streamed (`big`). */
  body: string | null;
  big: boolean;
}

/** What a change of one collection found and did; `body` is the answer's JSON text when it happened. */
export interface CollectionChange extends TargetResult {
  body: string | null;
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
 * CTEs `lk`, the collection `t` locked (when the caller's role is in `$roles`) as it is after any
 * wait, with its ETag; and `c`, the same row when `$ifMatch` is null or its current tag. Member
 * changes to one collection queue up on this lock and see its latest `member_count`.
 */
const LOCKED_COLLECTION = (roles: string, ifMatch: string): string => `lk AS (
    SELECT c.namespace_id, c.id, c.member_count, c.member_seq, ${collectionEtag('c')} AS etag
    FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.id = t.id, ns
    WHERE c.deleted_at IS NULL AND ns.role = ANY(${roles}::text[])
    FOR NO KEY UPDATE OF c
  ),
  c AS (SELECT * FROM lk WHERE ${ifMatchHolds('lk.etag', ifMatch)})`;

/** Output column: the collection was found and locked but its tag was not the one in If-Match. */
const PRECONDITION_FAILED = `(EXISTS (SELECT 1 FROM lk) AND NOT EXISTS (SELECT 1 FROM c)) AS precondition_failed`;

const MEMBER_ENTRY = `json_build_object('nodeId', m.node_id, 'addedAt', ${iso('m.added_at')})`;

/**
 * Every collection statement; each route is one roundtrip. Parameters $1–$3 are the scope's, $4
 * the collection's name where the path has one. Answers are JSON text built by PostgreSQL.
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
    keep?: Keep,
  ): Promise<ScopeResult & { dataset_found: boolean; body: string | null }> {
    const params: unknown[] = [
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
    ];
    const body = `(SELECT ${collectionJson('c', `(SELECT ${jsonArray('ids.node_id', 'ids.ord')} FROM ids)`)}::text FROM c)`;
    return (keep?.tx ?? this.db)
      .query<ScopeResult & { dataset_found: boolean; body: string | null }>(
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
       )${keepAnswer(keep, params, body)}
       SELECT ${PROJECT_SCOPE_COLUMNS},
              ($8::uuid IS NULL OR EXISTS (SELECT 1 FROM ds)) AS dataset_found,
              ${body} AS body`,
        params,
      )
      .then(([row]) => row);
  }

  /**
   * One page of the project's live collections, filtered and sorted, each with its first 100
   * members: read straight from the sort order's index; `total` from the project's counters when
   * only `standalone` filters, else counted through the filter's index.
   */
  list(
    userId: string,
    slug: string,
    projectSlug: string,
    query: CollectionListQuery,
  ): Promise<ScopeResult & { body: string | null }> {
    const p = new Params([userId, slug, projectSlug]);
    const order = orderBy(query.sort, 'c');
    const standalone = query.standalone === undefined ? null : query.standalone === 'true';
    const filters = [
      query.q ? `c.name ILIKE ${p.add(likePattern(query.q), 'text')}` : '',
      query.tag?.length ? `c.tags @> ${p.add(query.tag, 'text[]')}` : '',
      query.datasetId ? `c.dataset_id = ${p.add(query.datasetId, 'uuid')}` : '',
      standalone === true ? `c.dataset_id IS NULL` : standalone === false ? `c.dataset_id IS NOT NULL` : '',
    ].filter(Boolean);
    const filtered = filters.map((f) => ` AND ${f}`).join('');
    const where = `c.namespace_id = pr.namespace_id AND c.project_id = pr.id AND c.deleted_at IS NULL${filtered}`;
    const oneTag = new Set(query.tag ?? []).size === 1 && !query.q && !query.datasetId && standalone === null;
    const counted = query.q || query.tag?.length || query.datasetId;
    const total = oneTag
      ? taggedTotal('collection', p.add(query.tag![0], 'text'))
      : counted
        ? `(SELECT count(*) FROM collection c WHERE ${IN_PROJECT('c')} AND c.deleted_at IS NULL${filtered})`
        : `(SELECT ${standalone === null ? 'p.collection_count' : standalone ? 'p.standalone_count' : 'p.collection_count - p.standalone_count'}
          FROM project p JOIN pr ON p.namespace_id = pr.namespace_id AND p.id = pr.id)`;
    const page = p.add(query.page, 'int');
    const size = p.add(query.pageSize, 'int');
    return this.db.row(
      `WITH ${PROJECT_SCOPE},
       page AS (
         SELECT c.* FROM pr CROSS JOIN LATERAL (
           SELECT c.* FROM collection c WHERE ${where} ORDER BY ${order} ${pageWindow(page, size)}
         ) c
       )
       SELECT ${PROJECT_SCOPE_COLUMNS},
              ${pageBody(
                'collections',
                `(SELECT ${jsonArray(
                  collectionJson(
                    'c',
                    memberIds('c', EMBEDDED_MEMBERS),
                    `'membersTruncated', c.member_count > ${EMBEDDED_MEMBERS}`,
                  ),
                  order,
                )} FROM page c)`,
                total,
                page,
                size,
              )} AS body`,
      p.values,
    );
  }

  /**
   * The collection with all its members in order (or without them), as JSON text, and its ETag:
   * no body when it matches `ifNoneMatch`, nor when the members are too many to build at once
   * (`big`: then streamMembers sends them). Prepared: its plan is reused (see statementName).
   */
  find(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    withMembers: boolean,
    ifNoneMatch: string[] | null,
  ): Promise<FoundCollection> {
    const big = withMembers ? `c.member_count > ${STREAM_ABOVE}` : 'false';
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('collection')},
       c AS (SELECT c.*, ${collectionEtag('c')} AS etag FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.id = t.id)
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              (SELECT c.etag FROM c) AS etag,
              coalesce((SELECT ${tagMatches('c.etag', '$5')} FROM c), false) AS not_modified,
              coalesce((SELECT ${big} FROM c), false) AS big,
              (SELECT CASE WHEN ${tagMatches('c.etag', '$5')} OR ${big} THEN NULL
                           ELSE ${collectionJson('c', withMembers ? memberIds('c', STREAM_ABOVE) : null)}::text END
               FROM c) AS body`,
      [userId, slug, projectSlug, name, ifNoneMatch],
      true,
    );
  }

  /**
   * The streamed form of a big collection's answer: its head (the collection JSON with an empty
   * `members` array), then its ids in chunks. On a server, one statement read through a cursor
   * (a recursive CTE walking the position index chunk by chunk); on the embedded engine, which
   * has no cursors, the head and then a statement per chunk by position.
   */
  async *streamMembers(userId: string, slug: string, projectSlug: string, name: string): AsyncGenerator<StreamPart> {
    const head = `${collectionJson('c', 'json_build_array()')}::text`;
    const target = `WITH ${PROJECT_SCOPE}, ${namedTarget('collection')},
       c AS (SELECT c.* FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.id = t.id)`;
    if (this.db.streams) {
      const rows = this.db.cursor<{ n: number; text: string }>(
        `${target}
         SELECT 0 AS n, ${head} AS text FROM c
         UNION ALL
         SELECT k.n, k.ids FROM c CROSS JOIN LATERAL ${memberChunks('c', '$5')} k`,
        [userId, slug, projectSlug, name, MEMBER_CHUNK],
        4,
      );
      for await (const batch of rows)
        for (const row of batch) yield row.n === 0 ? { collection: row.text } : { ids: row.text };
      return;
    }
    const [first] = await this.db.query<{ namespace_id: string; id: string; head: string }>(
      `${target} SELECT c.namespace_id, c.id, ${head} AS head FROM c`,
      [userId, slug, projectSlug, name],
    );
    if (!first) return;
    yield { collection: first.head };
    for await (const ids of memberIdChunks(this.db, first.namespace_id, first.id)) yield { ids };
  }

  /**
   * Changes the given fields when `ifMatch` is null or the collection's current tag; `datasetId`
   * moves it into another live dataset of the project, or (null) makes it standalone. A taken
   * name fails on uq_collection_name. Answers the collection with all its members and its new tag.
   */
  update(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    patch: UpdateCollectionDto,
    allowed: Role[],
    ifMatch: string[] | null,
  ): Promise<CollectionChange & { dataset_found: boolean; etag: string | null }> {
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
           AND ${ifMatchHolds(collectionEtag('c'), '$9')}
         RETURNING c.*
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              (NOT $7::boolean OR $6::uuid IS NULL OR EXISTS (SELECT 1 FROM ds)) AS dataset_found,
              (SELECT ${collectionEtag('c')} FROM c) AS etag,
              (SELECT ${collectionJson('c', memberIds('c', null))}::text FROM c) AS body`,
      [userId, slug, projectSlug, name, JSON.stringify(patch), moves ? patch.datasetId : null, moves, allowed, ifMatch],
    );
  }

  /** Soft-deletes the collection (when `ifMatch` is null or its current tag); its name is free again at once. */
  softDelete(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    allowed: Role[],
    ifMatch: string[] | null,
  ): Promise<TargetResult & { deleted: boolean }> {
    return this.db.row(softDeleteTarget('collection', collectionEtag), [
      userId,
      slug,
      projectSlug,
      name,
      allowed,
      ifMatch,
    ]);
  }

  /**
   * Appends the ids not yet present, in the order given: one INSERT … ON CONFLICT DO NOTHING (a
   * primary-key probe per id), with the count and the next position kept on the locked row.
   */
  addMembers(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    ids: string[],
    allowed: Role[],
    ifMatch: string[] | null,
    keep?: Keep,
  ): Promise<CollectionChange & { precondition_failed: boolean }> {
    const params: unknown[] = [userId, slug, projectSlug, name, ids, allowed, ifMatch];
    const body = `(SELECT json_build_object('added', n.added, 'total', upd.member_count)::text FROM n, upd)`;
    return (keep?.tx ?? this.db)
      .query<CollectionChange & { precondition_failed: boolean }>(
        `WITH ${PROJECT_SCOPE}, ${namedTarget('collection')},
       ${LOCKED_COLLECTION('$6', '$7')},
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
       )${keepAnswer(keep, params, body)}
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND}, ${PRECONDITION_FAILED}, ${body} AS body`,
        params,
      )
      .then(([row]) => row);
  }

  /**
   * Removes the ids that are present, found by a primary-key probe each (never a scan of the
   * collection while its row is locked) and deleted by their row addresses; absent ids are ignored.
   */
  removeMembers(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    ids: string[],
    allowed: Role[],
    ifMatch: string[] | null,
  ): Promise<CollectionChange & { precondition_failed: boolean }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('collection')},
       ${LOCKED_COLLECTION('$6', '$7')},
       found AS (
         SELECT f.ctid FROM c
         CROSS JOIN LATERAL (SELECT DISTINCT r.node_id FROM unnest($5::text[]) AS r(node_id)) r
         CROSS JOIN LATERAL (
           SELECT m.ctid FROM collection_member m
           WHERE m.namespace_id = c.namespace_id AND m.collection_id = c.id AND m.node_id = r.node_id
         ) f
       ),
       del AS (
         DELETE FROM collection_member m WHERE m.ctid = ANY (ARRAY(SELECT ctid FROM found))
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
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND}, ${PRECONDITION_FAILED},
              (SELECT json_build_object('removed', n.removed, 'total', upd.member_count)::text FROM n, upd) AS body`,
      [userId, slug, projectSlug, name, ids, allowed, ifMatch],
    );
  }

  /**
   * One page of members in insertion order, read from the position index; `total` is the counter.
   * Prepared: its plan is reused (see statementName).
   */
  listMembersPage(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    page: { page: number; pageSize: number },
  ): Promise<TargetResult & { body: string | null }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('collection')},
       c AS (SELECT c.namespace_id, c.id, c.member_count FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.id = t.id),
       page AS (
         SELECT m.* FROM c CROSS JOIN LATERAL (
           SELECT m.node_id, m.added_at, m.position FROM collection_member m
           WHERE m.namespace_id = c.namespace_id AND m.collection_id = c.id
           ORDER BY m.position ${pageWindow('$5', '$6')}
         ) m
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              ${pageBody('members', `(SELECT ${jsonArray(MEMBER_ENTRY, 'm.position')} FROM page m)`, '(SELECT member_count FROM c)', '$5', '$6')} AS body`,
      [userId, slug, projectSlug, name, page.page, page.pageSize],
      true,
    );
  }

  /**
   * Up to `limit` members after node id `after` (from the start when null), and the cursor of the
   * next page (null at the end): the position of `after` by primary key, then the position index
   * from there, so walking a whole collection is O(N). `cursor_found` is false when `after` is
   * not a member. Prepared: its plan is reused (see statementName).
   */
  listMembersAfter(
    userId: string,
    slug: string,
    projectSlug: string,
    name: string,
    after: string | null,
    limit: number,
  ): Promise<TargetResult & { cursor_found: boolean; body: string | null }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${namedTarget('collection')},
       c AS (SELECT c.namespace_id, c.id FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.id = t.id),
       cur AS (
         SELECT m.position FROM c JOIN collection_member m
           ON m.namespace_id = c.namespace_id AND m.collection_id = c.id AND m.node_id = $5::text
       ),
       page AS (
         SELECT m.* FROM c CROSS JOIN LATERAL (
           SELECT m.node_id, m.added_at, m.position FROM collection_member m
           WHERE m.namespace_id = c.namespace_id AND m.collection_id = c.id
             AND m.position > coalesce((SELECT position FROM cur), 0)
           ORDER BY m.position LIMIT $6::int + 1
         ) m
       ),
       shown AS (SELECT * FROM page ORDER BY position LIMIT $6::int)
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${TARGET_FOUND},
              ($5::text IS NULL OR EXISTS (SELECT 1 FROM cur)) AS cursor_found,
              json_build_object(
                'members', (SELECT ${jsonArray(MEMBER_ENTRY, 'm.position')} FROM shown m),
                'nextCursor', CASE WHEN (SELECT count(*) FROM page) > $6::int
                                   THEN (SELECT node_id FROM shown ORDER BY position DESC LIMIT 1) END
              )::text AS body`,
      [userId, slug, projectSlug, name, after, limit],
      true,
    );
  }
}
