import { Injectable } from '@nestjs/common';
import type { Role } from '../auth/roles.js';
import { recordChange } from '../changes/record.js';
import { likePattern, orderBy } from '../common/pagination.js';
import type { Found, ScopeRow } from '../common/outcome.js';
import type { StreamPart } from '../common/json-stream.js';
import type { NamedAt, ProjectAt } from '../common/target.js';
import { Database } from '../database/database.js';
import {
  collectionEtag,
  collectionJson,
  EMBEDDED_MEMBERS,
  LIVE,
  MEMBER_CHUNK,
  memberChunks,
  memberIdChunks,
  memberRows,
  STREAM_ABOVE,
  collectionFields,
  writtenCollectionJson,
  jsonOf,
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
  ifMatchHolds,
  iso,
  jsonArray,
  jsonObject,
  pageBody,
  pageWindow,
  patchAssignments,
  sql,
  tagMatches,
  type PageWindow,
  type Sql,
} from '../database/sql.js';
import { keepAnswer, type Keep } from '../idempotency/keep.js';
import type { CollectionListItemDto, CollectionListQuery, UpdateCollectionDto } from './dto/collection.dto.js';

export interface NewCollection {
  name: string;
  description: string | null;
  tags: string[];
  metadata: Record<string, unknown> | null;
  datasetId: string | null;
  members: string[];
}

/** What a GET of one collection found: its tag, and its JSON unless unchanged or too big to build at once. */
export interface FoundCollection extends Found {
  etag: string | null;
  not_modified: boolean;
  /** Too many members to build at once: streamMembers sends them. */
  big: boolean;
}

/** A change naming a dataset by id (create, PATCH): false when it is not a live dataset of the project. */
export interface DatasetNamed extends Found {
  dataset_found: boolean;
}

/** A member page by cursor: false when `after` is not a member. */
export interface CursorPage extends Found {
  cursor_found: boolean;
}

/** The ids of a request, first occurrence of each kept with its 1-based position in the request. */
const distinctIds = (ids: string[]): Sql =>
  sql`SELECT u.node_id, min(u.ord) AS ord FROM unnest(${ids}::text[]) WITH ORDINALITY AS u(node_id, ord) GROUP BY u.node_id`;

/** CTE `ds(id, name)`: a live dataset of the project by id, share-locked so it cannot be deleted meanwhile. */
const datasetById = (id: string | null): Sql => sql`ds AS (
    SELECT d.id, d.name FROM dataset d JOIN pr ON d.namespace_id = pr.namespace_id AND d.project_id = pr.id
    WHERE d.id = ${id}::uuid AND d.deleted_at IS NULL
    FOR SHARE OF d
  )`;

/**
 * CTEs `lk`, the collection of `t` locked (when the caller's role allows it) as it is after any
 * wait, with its ETag; and `ok`, the same row when `ifMatch` is null or its current tag. Member
 * changes to one collection queue up on this lock and see its latest counters and generation.
 */
const lockedCollection = (roleOk: Sql, ifMatch: string[] | null): Sql => sql`lk AS (
    SELECT c.namespace_id, c.project_id, c.id, c.name, c.member_count, c.member_seq, c.member_gen, c.frozen_gen,
           ${collectionEtag('c')} AS etag
    FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.id = t.id
    WHERE c.deleted_at IS NULL AND ${roleOk}
    FOR NO KEY UPDATE OF c
  ),
  ok AS (SELECT * FROM lk WHERE ${ifMatchHolds(sql`lk.etag`, ifMatch)})`;

/** Output column: the collection was found and locked but its tag was not the one in If-Match. */
const STALE = sql`(EXISTS (SELECT 1 FROM lk) AND NOT EXISTS (SELECT 1 FROM ok)) AS stale`;

/** The `collection.members.changed` event of a member change `n(added|removed)` that changed something. */
const membersChanged = (at: NamedAt, added: Sql, removed: Sql): Sql =>
  recordChange(
    'ev',
    at,
    'collection.members.changed',
    'collection',
    sql`SELECT ok.namespace_id, ok.project_id, ${at.projectSlug}::text AS project, ok.id AS target_id,
               ok.name AS target_name,
               jsonb_build_object('added', ${added}, 'removed', ${removed}, 'total', upd.member_count) AS data
        FROM ok, n, upd WHERE ${added} + ${removed} > 0`,
  );

/** A member entry of the member listings. */
const MEMBER_ENTRY = jsonObject({ nodeId: sql`m.node_id`, addedAt: iso(sql`m.added_at`) });

/** Every collection statement; each route is one roundtrip. Answers are JSON text built by PostgreSQL. */
@Injectable()
export class CollectionsRepository {
  constructor(private readonly db: Database) {}

  /** Inserts the collection (in a dataset when given) and its first members; records the change. */
  @GenerateSql({
    params: (f) => [
      at(f),
      { name: f.collection, description: null, tags: [], metadata: null, datasetId: null, members: [f.member] },
      'writer',
    ],
    keyed: true,
  })
  create(at: ProjectAt, collection: NewCollection, needs: Role, keep?: Keep): Promise<DatasetNamed> {
    const scope = projectScope(at);
    const datasetFound = sql`(${collection.datasetId}::uuid IS NULL OR EXISTS (SELECT 1 FROM ds))`;
    const members = sql`(SELECT ${jsonArray(sql`ids.node_id`, sql`ids.ord`)} FROM ids)`;
    const body = sql`(SELECT ${collectionJson('c', { expr: members })}::text FROM c)`;
    return this.db.one(
      sql`WITH ${scope.with}, ${datasetById(collection.datasetId)},
       ids AS (${distinctIds(collection.members)}),
       c AS (
         INSERT INTO collection (namespace_id, project_id, dataset_id, name, description, tags, metadata,
                                 member_count, member_seq, member_gen)
         SELECT pr.namespace_id, pr.id, (SELECT id FROM ds), ${collection.name}::text, ${collection.description}::text,
                ${collection.tags}::text[], ${collection.metadata}::jsonb,
                (SELECT count(*) FROM ids), cardinality(${collection.members}::text[]), 1
         FROM pr
         WHERE ${roleAllows(scope, needs)} AND ${datasetFound}
         RETURNING *
       ),
       m AS (
         INSERT INTO collection_member (namespace_id, collection_id, node_id, position, added_gen)
         SELECT c.namespace_id, c.id, ids.node_id, ids.ord, 1 FROM c, ids
       ),
       ${recordChange(
         'ev',
         at,
         'collection.created',
         'collection',
         sql`SELECT c.namespace_id, c.project_id, ${at.projectSlug}::text AS project, c.id AS target_id,
                    c.name AS target_name, jsonb_build_object('datasetId', c.dataset_id, 'memberCount', c.member_count) AS data
             FROM c`,
       )},
       ${recordChange(
         'ev_ds',
         at,
         'dataset.collections.changed',
         'dataset',
         sql`SELECT c.namespace_id, c.project_id, ${at.projectSlug}::text AS project, ds.id AS target_id,
                    ds.name AS target_name, jsonb_build_object('added', jsonb_build_array(c.name), 'removed', '[]'::jsonb) AS data
             FROM c, ds`,
       )}${keepAnswer(keep, body)}
       SELECT ${scope.found}, ${datasetFound} AS dataset_found, ${body} AS body`,
      { via: keep?.tx },
    );
  }

  /**
   * One page of the project's live collections, filtered and sorted, each with its first 100
   * members: read straight from the sort order's index; `total` from the project's counters when
   * only `standalone` filters, else counted through the filter's index.
   */
  @GenerateSql(
    { params: (f) => [at(f), list({})], scaled: true },
    { name: 'sort=-updatedAt, page 20', params: (f) => [at(f), list({ sort: '-updatedAt', page: 20 })], scaled: true },
    { name: 'q', params: (f) => [at(f), list({ q: f.word })], scaled: true },
    { name: 'tag', params: (f) => [at(f), list({ tag: [f.tag] })], scaled: true },
    { name: 'two tags', params: (f) => [at(f), list({ tag: [f.tag, 't1'] })], scaled: true },
    { name: 'datasetId', params: (f) => [at(f), list({ datasetId: f.datasetId })], scaled: true },
    { name: 'standalone', params: (f) => [at(f), list({ standalone: 'true' })], scaled: true },
  )
  list(at: ProjectAt, query: CollectionListQuery): Promise<Found> {
    const scope = projectScope(at);
    const order = orderBy(query.sort, 'c');
    const standalone = query.standalone === undefined ? null : query.standalone === 'true';
    const filtered = and(
      query.q ? sql`c.name ILIKE ${likePattern(query.q)}::text` : null,
      query.tag?.length ? sql`c.tags @> ${query.tag}::text[]` : null,
      standalone === true ? sql`c.dataset_id IS NULL` : standalone === false ? sql`c.dataset_id IS NOT NULL` : null,
    );
    const item = jsonOf<CollectionListItemDto>({
      ...collectionFields('c', { first: EMBEDDED_MEMBERS }),
      membersTruncated: sql`c.member_count > ${EMBEDDED_MEMBERS}::int`,
    });
    const items = sql`(SELECT ${jsonArray(item, order)} FROM page c)`;
    const oneTag = new Set(query.tag ?? []).size === 1 && !query.q && !query.datasetId && standalone === null;
    if (query.q || (query.tag?.length && !oneTag) || query.datasetId) {
      // A dataset's collections are found by the dataset's key alone (its project is theirs: the
      // foreign key says so), so the project's sort indexes do not compete with the dataset's.
      const where = query.datasetId
        ? sql`c.namespace_id = (SELECT namespace_id FROM pr) AND c.dataset_id = (SELECT d.id FROM dataset d JOIN pr
                ON d.namespace_id = pr.namespace_id AND d.project_id = pr.id WHERE d.id = ${query.datasetId}::uuid)`
        : inProject(scope, 'c');
      const matches = matchesFirst(
        'collection',
        'c',
        sql`${where} AND ${listed('c')} AND ${filtered}`,
        orderBy(query.sort, 'm'),
        pageWindow(query),
      );
      return this.db.one(
        sql`WITH ${scope.with}, ${matches.with}
         SELECT ${scope.found}, ${pageBody('collections', items, matches.total, query)} AS body`,
        { prepared: true },
      );
    }
    const counter =
      standalone === null
        ? sql`p.collection_count`
        : standalone
          ? sql`p.standalone_count`
          : sql`p.collection_count - p.standalone_count`;
    const total = oneTag
      ? taggedTotal(scope, 'collection', query.tag![0])
      : sql`(SELECT ${counter} FROM project p JOIN pr ON p.namespace_id = pr.namespace_id AND p.id = pr.id)`;
    return this.db.one(
      sql`WITH ${scope.with},
       page AS (
         SELECT c.* FROM pr CROSS JOIN LATERAL (
           SELECT c.* FROM collection c
           WHERE c.namespace_id = pr.namespace_id AND c.project_id = pr.id AND ${listed('c')} AND ${filtered}
           ORDER BY ${order} ${pageWindow(query)}
         ) c
       )
       SELECT ${scope.found}, ${pageBody('collections', items, total, query)} AS body`,
      { prepared: !oneTag },
    );
  }

  /**
   * The collection with all its members in order (or without them), as JSON text, and its ETag:
   * no body when it matches `ifNoneMatch`, nor when the members are too many to build at once
   * (`big`: then streamMembers sends them). Prepared: its plan is reused (see statementName).
   */
  @GenerateSql(
    { params: (f) => [named(f), true, null] },
    { name: 'members=false, If-None-Match', params: (f) => [named(f), false, ['"0f3c"']] },
  )
  find(at: NamedAt, withMembers: boolean, ifNoneMatch: string[] | null): Promise<FoundCollection> {
    const scope = targetScope(at, 'collection');
    const big = withMembers ? sql`c.member_count > ${STREAM_ABOVE}::int` : sql`false`;
    const current = tagMatches(sql`c.etag`, ifNoneMatch);
    return this.db.one(
      sql`WITH ${scope.with},
       c AS (SELECT c.*, ${collectionEtag('c')} AS etag FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.id = t.id)
       SELECT ${scope.found},
              (SELECT c.etag FROM c) AS etag,
              coalesce((SELECT ${current} FROM c), false) AS not_modified,
              coalesce((SELECT ${big} FROM c), false) AS big,
              (SELECT CASE WHEN ${current} OR ${big} THEN NULL
                           ELSE ${collectionJson('c', withMembers ? { all: true } : { none: true })}::text END
               FROM c) AS body`,
      { prepared: true },
    );
  }

  /**
   * The streamed form of a big collection's answer: its head (the collection JSON with an empty
   * `members` array), then its ids in chunks. On a server, one statement read through a cursor
   * (a recursive CTE walking the position index chunk by chunk); on the embedded engine, which
   * has no cursors, the head and then a statement per chunk by position.
   */
  @GenerateSql({ params: (f) => [named(f)] })
  async *streamMembers(at: NamedAt): AsyncGenerator<StreamPart> {
    const scope = targetScope(at, 'collection');
    const head = sql`${collectionJson('c', { empty: true })}::text`;
    const target = sql`WITH ${scope.with},
       c AS (SELECT c.* FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.id = t.id)`;
    if (this.db.streams) {
      const rows = this.db.stream<{ n: number; text: string }>(
        sql`${target}
         SELECT 0 AS n, ${head} AS text FROM c
         UNION ALL
         SELECT k.n, k.ids FROM c CROSS JOIN LATERAL ${memberChunks('c', MEMBER_CHUNK)} k`,
        4,
      );
      for await (const batch of rows)
        for (const row of batch) yield row.n === 0 ? { collection: row.text } : { ids: row.text };
      return;
    }
    const first = sql`${target} SELECT c.namespace_id, c.id, ${head} AS head FROM c`;
    const [found] = await this.db.query<{ namespace_id: string; id: string; head: string }>(first.text, first.values);
    if (!found) return;
    yield { collection: found.head };
    for await (const ids of memberIdChunks(this.db, { namespaceId: found.namespace_id, collectionId: found.id })) {
      yield { ids };
    }
  }

  /**
   * Changes the given fields when `ifMatch` is null or the collection's current tag; `datasetId`
   * moves it into another live dataset of the project, or (null) makes it standalone. A taken
   * name fails on uq_collection_name. Answers the collection with all its members (beyond
   * `fullUpTo` members the first 100 and membersTruncated) and its new tag.
   */
  @GenerateSql(
    { params: (f) => [named(f), { description: 'Front camera clips' }, 'writer', null] },
    { name: 'move, If-Match', params: (f) => [named(f), { datasetId: f.datasetId }, 'writer', ['"0f3c"']] },
  )
  update(
    at: NamedAt,
    patch: UpdateCollectionDto,
    needs: Role,
    ifMatch: string[] | null,
    fullUpTo: number = STREAM_ABOVE,
  ): Promise<DatasetNamed & { etag: string | null }> {
    const scope = targetScope(at, 'collection', 'update');
    const moves = patch.datasetId !== undefined;
    const datasetId = moves ? (patch.datasetId ?? null) : null;
    const datasetFound = sql`(NOT ${moves}::boolean OR ${datasetId}::uuid IS NULL OR EXISTS (SELECT 1 FROM ds))`;
    const moved = (side: 'added' | 'removed', dataset: Sql) =>
      sql`SELECT c.namespace_id, c.project_id, ${at.projectSlug}::text AS project, d.id AS target_id,
                 d.name AS target_name,
                 jsonb_build_object('added', ${side === 'added' ? sql`jsonb_build_array(c.name)` : sql`'[]'::jsonb`},
                                    'removed', ${side === 'removed' ? sql`jsonb_build_array(t.name)` : sql`'[]'::jsonb`}) AS data
          FROM c, t, dataset d
          WHERE d.namespace_id = c.namespace_id AND d.id = ${dataset} AND c.dataset_id IS DISTINCT FROM t.dataset_id`;
    return this.db.one(
      sql`WITH ${scope.with}, ${datasetById(datasetId)},
       c AS (
         UPDATE collection c SET
           ${patchAssignments('c', patch, ['name', 'description', 'tags', 'metadata'])},
           dataset_id = CASE WHEN ${moves}::boolean THEN (SELECT id FROM ds) ELSE c.dataset_id END,
           updated_at = now()
         FROM t
         WHERE c.namespace_id = t.namespace_id AND c.id = t.id AND c.deleted_at IS NULL AND ${roleAllows(scope, needs)}
           AND ${datasetFound} AND ${ifMatchHolds(collectionEtag('c'), ifMatch)}
         RETURNING c.*
       ),
       ${recordChange(
         'ev',
         at,
         'collection.updated',
         'collection',
         sql`SELECT c.namespace_id, c.project_id, ${at.projectSlug}::text AS project, c.id AS target_id,
                    c.name AS target_name, ${JSON.stringify({ changed: Object.keys(patch) })}::jsonb AS data FROM c`,
       )},
       ${recordChange('ev_from', at, 'dataset.collections.changed', 'dataset', moved('removed', sql`t.dataset_id`))},
       ${recordChange('ev_to', at, 'dataset.collections.changed', 'dataset', moved('added', sql`c.dataset_id`))}
       SELECT ${scope.found}, ${datasetFound} AS dataset_found,
              (SELECT ${collectionEtag('c')} FROM c) AS etag,
              (SELECT ${writtenCollectionJson('c', fullUpTo)}::text FROM c) AS body`,
    );
  }

  /** Soft-deletes the collection (when `ifMatch` is null or its current tag); its name is free again at once. */
  @GenerateSql({ params: (f) => [named(f), 'writer', null] })
  softDelete(at: NamedAt, needs: Role, ifMatch: string[] | null): Promise<ScopeRow & { deleted: boolean }> {
    return this.db.one(
      softDeleteTarget(
        at,
        'collection',
        needs,
        ifMatch,
        collectionEtag,
        (gone) =>
          sql`, ${recordChange(
            'ev',
            at,
            'collection.deleted',
            'collection',
            sql`SELECT g.namespace_id, g.project_id, ${at.projectSlug}::text AS project, g.id AS target_id,
                     g.name AS target_name, NULL::jsonb AS data FROM ${gone} g`,
          )}`,
      ),
    );
  }

  /**
   * Appends the ids not yet present, in the order given: one INSERT … ON CONFLICT DO NOTHING (a
   * primary-key probe per id), with the count, the next position and the generation kept on the
   * locked row.
   */
  @GenerateSql({ params: (f) => [named(f), batch(f), 'writer', null], scaled: true, keyed: true })
  addMembers(at: NamedAt, ids: string[], needs: Role, ifMatch: string[] | null, keep?: Keep): Promise<Found> {
    const scope = targetScope(at, 'collection');
    const body = sql`(SELECT json_build_object('added', n.added, 'total', upd.member_count)::text FROM n, upd)`;
    return this.db.one(
      sql`WITH ${scope.with},
       ${lockedCollection(roleAllows(scope, needs), ifMatch)},
       ids AS (${distinctIds(ids)}),
       ins AS (
         INSERT INTO collection_member (namespace_id, collection_id, node_id, position, added_gen)
         SELECT ok.namespace_id, ok.id, ids.node_id, ok.member_seq + ids.ord, ok.member_gen + 1 FROM ok, ids
         ON CONFLICT ON CONSTRAINT pk_collection_member DO NOTHING
         RETURNING 1
       ),
       n AS (SELECT count(*)::int AS added FROM ins),
       upd AS (
         UPDATE collection x SET
           member_count = ok.member_count + n.added,
           member_seq = ok.member_seq + cardinality(${ids}::text[]),
           member_gen = ok.member_gen + (n.added > 0)::int,
           updated_at = CASE WHEN n.added > 0 THEN now() ELSE x.updated_at END
         FROM ok, n
         WHERE x.namespace_id = ok.namespace_id AND x.id = ok.id
         RETURNING x.member_count
       ),
       ${membersChanged(at, sql`n.added`, sql`0`)}${keepAnswer(keep, body)}
       SELECT ${scope.found}, ${STALE}, ${body} AS body`,
      { via: keep?.tx },
    );
  }

  /**
   * Removes the ids that are present: a primary-key probe per id (a LATERAL … LIMIT 1, which the
   * planner cannot turn into a scan of the collection, whatever the statistics say), then the rows
   * found deleted by their addresses: `found` is MATERIALIZED and the DELETE is one TID scan of its
   * array, so no join is left for the planner to drive from the member table (inlined, the same
   * shape made unlink probe every name once per linked collection). O(ids · log N). A removed
   * member some version still sees moves to member_history.
   */
  @GenerateSql({ params: (f) => [named(f), batch(f), 'writer', null], scaled: true })
  removeMembers(at: NamedAt, ids: string[], needs: Role, ifMatch: string[] | null): Promise<Found> {
    const scope = targetScope(at, 'collection');
    return this.db.one(
      sql`WITH ${scope.with},
       ${lockedCollection(roleAllows(scope, needs), ifMatch)},
       ids AS (SELECT DISTINCT u.node_id FROM unnest(${ids}::text[]) AS u(node_id)),
       found AS MATERIALIZED (
         SELECT f.ctid AS tid FROM ok CROSS JOIN ids CROSS JOIN LATERAL (
           SELECT m.ctid FROM collection_member m
           WHERE m.namespace_id = ok.namespace_id AND m.collection_id = ok.id AND m.node_id = ids.node_id
           LIMIT 1
         ) f
       ),
       gone AS (
         DELETE FROM collection_member m WHERE m.ctid = ANY (ARRAY(SELECT tid FROM found))
         RETURNING m.*
       ),
       archived AS (
         INSERT INTO member_history (namespace_id, collection_id, node_id, position, added_at, added_gen, removed_gen, restored)
         SELECT g.namespace_id, g.collection_id, g.node_id, g.position, g.added_at, g.added_gen, ok.member_gen + 1, g.restored
         FROM gone g, ok WHERE g.added_gen <= ok.frozen_gen
       ),
       n AS (SELECT count(*)::int AS removed FROM gone),
       upd AS (
         UPDATE collection x SET
           member_count = ok.member_count - n.removed,
           member_gen = ok.member_gen + (n.removed > 0)::int,
           updated_at = CASE WHEN n.removed > 0 THEN now() ELSE x.updated_at END
         FROM ok, n
         WHERE x.namespace_id = ok.namespace_id AND x.id = ok.id
         RETURNING x.member_count
       ),
       ${membersChanged(at, sql`0`, sql`n.removed`)}
       SELECT ${scope.found}, ${STALE},
              (SELECT json_build_object('removed', n.removed, 'total', upd.member_count)::text FROM n, upd) AS body`,
    );
  }

  /**
   * One page of members in insertion order, read from the position index; `total` is the counter.
   * Prepared: its plan is reused (see statementName).
   */
  @GenerateSql({ params: (f) => [named(f), { page: 2, pageSize: 50 }], scaled: true })
  listMembersPage(at: NamedAt, page: PageWindow): Promise<Found> {
    const scope = targetScope(at, 'collection');
    return this.db.one(
      sql`WITH ${scope.with},
       c AS (SELECT c.namespace_id, c.id, c.member_count FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.id = t.id),
       page AS (
         SELECT m.* FROM c CROSS JOIN LATERAL (
           SELECT m.node_id, m.added_at, m.position FROM collection_member m
           WHERE m.namespace_id = c.namespace_id AND m.collection_id = c.id AND m.position >= 1
           ORDER BY m.position ${pageWindow(page)}
         ) m
       )
       SELECT ${scope.found},
              ${pageBody('members', sql`(SELECT ${jsonArray(MEMBER_ENTRY, sql`m.position`)} FROM page m)`, sql`(SELECT member_count FROM c)`, page)} AS body`,
      { prepared: true },
    );
  }

  /**
   * Up to `limit` members after node id `after` (from the start when null), and the cursor of the
   * next page (null at the end): the position of `after` by primary key, then the position index
   * from there, so walking a whole collection is O(N). `cursor_found` is false when `after` is
   * not a member. Prepared: its plan is reused (see statementName).
   */
  @GenerateSql({ params: (f) => [named(f), f.member, 100], scaled: true })
  listMembersAfter(at: NamedAt, after: string | null, limit: number): Promise<CursorPage> {
    const scope = targetScope(at, 'collection');
    return this.db.one(
      sql`WITH ${scope.with},
       c AS (SELECT c.namespace_id, c.id FROM collection c JOIN t ON c.namespace_id = t.namespace_id AND c.id = t.id),
       cur AS (
         SELECT m.position FROM c JOIN collection_member m
           ON m.namespace_id = c.namespace_id AND m.collection_id = c.id AND m.node_id = ${after}::text
       ),
       page AS (
         SELECT m.* FROM c CROSS JOIN LATERAL ${memberRows('c', LIVE, sql`coalesce((SELECT position FROM cur), 0)`, sql`${limit}::int + 1`)} m
       ),
       shown AS (SELECT * FROM page ORDER BY position LIMIT ${limit}::int)
       SELECT ${scope.found},
              (${after}::text IS NULL OR EXISTS (SELECT 1 FROM cur)) AS cursor_found,
              json_build_object(
                'members', (SELECT ${jsonArray(MEMBER_ENTRY, sql`m.position`)} FROM shown m),
                'nextCursor', CASE WHEN (SELECT count(*) FROM page) > ${limit}::int
                                   THEN (SELECT node_id FROM shown ORDER BY position DESC LIMIT 1) END
              )::text AS body`,
      { prepared: true },
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
const named = (f: Parameters<typeof at>[0] & { collection: string }): NamedAt => ({
  ...at(f),
  kind: 'Collection',
  name: f.collection,
});
const batch = (f: { batch: number }): string[] => Array.from({ length: f.batch }, (_, i) => `absent-${i}`);
const list = (query: Partial<CollectionListQuery>): CollectionListQuery => ({
  page: 1,
  pageSize: 50,
  sort: '-createdAt',
  ...query,
});
