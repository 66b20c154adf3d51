import type { CollectionDto, CollectionListItemDto } from '../collections/dto/collection.dto.js';
import type { DatasetDto } from '../datasets/dto/dataset.dto.js';
import type { StreamPart } from '../common/json-stream.js';
import type { Database, Queryable } from './database.js';
import { col, etag, ident, int, iso, jsonObject, sql, type Sql } from './sql.js';

/*
 * JSON shapes of the contract built in SQL, shared by the features whose answers embed them
 * (a dataset's GET embeds its collections, the trash answers with either). Each takes the alias
 * of the row it reads from; each shape is declared against its DTO, so `tsc` fails when they part.
 */

/** The SQL behind each field of a DTO: every key, and no other (optional keys may be left out with null). */
export type JsonFields<T> = { [K in keyof Required<T>]: undefined extends T[K] ? Sql | null : Sql };

/** `fields` as a JSON object expression, leaving out the keys set to null. */
export function jsonOf<T>(fields: JsonFields<T>): Sql {
  const kept: Record<string, Sql> = {};
  for (const [key, value] of Object.entries<Sql | null>(fields)) if (value !== null) kept[key] = value;
  return jsonObject(kept);
}

/** Full-member answers above this many members are streamed (and count as heavy reads). */
export const STREAM_ABOVE = 50_000;

/**
 * A dataset (live or frozen) with more collections than this is streamed too, however few their
 * members: 23,830 small collections made a 13 MB answer built whole in one statement (issue 21).
 */
export const STREAM_ABOVE_COLLECTIONS = 1_000;

/** Ids a chunk of a streamed member list holds (about 200 KB of JSON). */
export const MEMBER_CHUNK = 10_000;

/**
 * Where a collection's members are read from: the live rows, or the rows a version sees (added by
 * its generation, at or below its highest position, and not removed by then, from the live rows
 * and the history merged in position order).
 */
export type MemberSource = { kind: 'live' } | { kind: 'frozen'; maxPosition: Sql; gen: Sql };

export const LIVE: MemberSource = { kind: 'live' };

/**
 * Rows `(node_id, position, added_at)` of collection `c` (an alias with `namespace_id` and `id`)
 * as `source` sees them, after position `after` (an SQL expression; null: from the start), in
 * position order, at most `limit` (null: all). Each part walks a position index.
 */
export function memberRows(c: string, source: MemberSource, after: Sql | null, limit: Sql | null): Sql {
  // `position >= 1` (every row's) lets the walk take the position index, which a lookup by id cannot.
  const from = after === null ? sql`AND m.position >= 1` : sql`AND m.position >= 1 AND m.position > ${after}`;
  const cap = limit === null ? sql`` : sql`LIMIT ${limit}`;
  const key = sql`m.namespace_id = ${col(c, 'namespace_id')} AND m.collection_id = ${col(c, 'id')}`;
  if (source.kind === 'live') {
    return sql`(SELECT m.node_id, m.position, m.added_at FROM collection_member m
       WHERE ${key} ${from} ORDER BY m.position ${cap})`;
  }
  const seen = sql`m.position <= ${source.maxPosition} AND m.added_gen <= ${source.gen}`;
  return sql`(SELECT m.node_id, m.position, m.added_at FROM (
       (SELECT m.node_id, m.position, m.added_at FROM collection_member m
        WHERE ${key} AND ${seen} ${from} ORDER BY m.position ${cap})
       UNION ALL
       (SELECT m.node_id, m.position, m.added_at FROM member_history m
        WHERE ${key} AND ${seen} AND m.removed_gen > ${source.gen} ${from} ORDER BY m.position ${cap})
     ) m ORDER BY m.position ${cap})`;
}

/**
 * Node ids of collection `c` as a JSON array in position order, all of them or the first `limit`:
 * json_agg keeps the order of the rows it is fed (an ORDER BY inside it would sort them again).
 */
export function memberIds(c: string, limit: number | null, source: MemberSource = LIVE): Sql {
  return sql`(SELECT coalesce(json_agg(x.node_id), '[]') FROM ${memberRows(c, source, null, limit === null ? null : int(limit))} x)`;
}

/**
 * What a collection's JSON shows in `members`: every id, the first `n` of them, none (the key left
 * out), an empty array (a streamed answer's head), or a JSON array expression of the statement's.
 */
export type Members = { all: true } | { first: number } | { none: true } | { empty: true } | { expr: Sql };

/** The collection object from row `c`: `members` as asked; `source` where its ids come from. */
export function collectionJson(c: string, members: Members, source: MemberSource = LIVE): Sql {
  return jsonOf<CollectionDto>(collectionFields(c, members, source));
}

/** The fields of the collection object (for answers that add their own, typed against their DTO). */
export function collectionFields(c: string, members: Members, source: MemberSource = LIVE): JsonFields<CollectionDto> {
  return {
    id: col(c, 'id'),
    name: col(c, 'name'),
    description: col(c, 'description'),
    tags: sql`to_json(${col(c, 'tags')})`,
    metadata: col(c, 'metadata'),
    projectId: col(c, 'project_id'),
    datasetId: col(c, 'dataset_id'),
    members:
      'none' in members
        ? null
        : 'empty' in members
          ? sql`json_build_array()`
          : 'expr' in members
            ? members.expr
            : memberIds(c, 'first' in members ? members.first : null, source),
    memberCount: col(c, 'member_count'),
    createdAt: iso(col(c, 'created_at')),
    updatedAt: iso(col(c, 'updated_at')),
  };
}

/** The dataset object from row `d`. */
export const datasetJson = (d: string): Sql => jsonOf<DatasetDto>(datasetFields(d));

/** The fields of the dataset object (for answers that add their own). */
export const datasetFields = (d: string): JsonFields<DatasetDto> => ({
  id: col(d, 'id'),
  name: col(d, 'name'),
  description: col(d, 'description'),
  tags: sql`to_json(${col(d, 'tags')})`,
  projectId: col(d, 'project_id'),
  metadata: col(d, 'metadata'),
  createdAt: iso(col(d, 'created_at')),
  updatedAt: iso(col(d, 'updated_at')),
});

/** The ETag of collection `c`: any change of its members bumps its version. */
export const collectionEtag = (c: string): Sql => etag(col(c, 'id'), col(c, 'version'));

/** The ETag of dataset `d`: its own version and those of its live collections. */
export const datasetEtag = (d: string): Sql =>
  etag(
    col(d, 'id'),
    col(d, 'version'),
    sql`(SELECT string_agg(dc.id || '.' || dc.version, ',' ORDER BY dc.id) FROM collection dc
      WHERE dc.namespace_id = ${col(d, 'namespace_id')} AND dc.dataset_id = ${col(d, 'id')} AND dc.deleted_at IS NULL)`,
  );

/** A chunk of member rows `s` as the text of a JSON array of their ids. */
export const ID_ARRAY = sql`array_to_json(array_agg(s.node_id ORDER BY s.position))::text`;

/**
 * The members of collection `c` (an alias in scope) as `source` sees them, as rows `(n, ids)`:
 * chunks of `size` ids as a JSON array's text, each read from the position indexes after the last
 * position of the one before. A recursive CTE, so one statement streams any number of members with
 * a cursor, O(chunk + log N) rows per chunk.
 */
export function memberChunks(c: string, size: number, source: MemberSource = LIVE, text: Sql = ID_ARRAY): Sql {
  const chunk = (after: Sql | null) => sql`(
      SELECT max(s.position) AS last, ${text} AS ids
      FROM ${memberRows(c, source, after, int(size))} s
    )`;
  return sql`(WITH RECURSIVE chunk(n, last, ids) AS (
      SELECT 1, x.last, x.ids FROM ${chunk(null)} x WHERE x.last IS NOT NULL
      UNION ALL
      SELECT chunk.n + 1, x.last, x.ids FROM chunk CROSS JOIN LATERAL ${chunk(sql`chunk.last`)} x
      WHERE x.last IS NOT NULL
    ) SELECT n, ids FROM chunk)`;
}

/** The members of one collection, by its key, as `source` sees them. */
export interface MemberWalk {
  namespaceId: string;
  collectionId: string;
  /** For a version: its highest position and generation of this collection. */
  frozen?: { maxPosition: string; gen: string };
  /** What a chunk of rows `s` becomes (default: a JSON array of ids). */
  text?: Sql;
}

/**
 * A collection's member ids as JSON array texts of MEMBER_CHUNK ids, in position order, one
 * statement a chunk (the engine without cursors: PGlite); each chunk starts after the last one's
 * position, so walking the collection reads each member once.
 */
export async function* memberIdChunks(db: Queryable, walk: MemberWalk): AsyncGenerator<string> {
  const c = sql`(SELECT ${walk.namespaceId}::uuid AS namespace_id, ${walk.collectionId}::uuid AS id) c`;
  const source: MemberSource = walk.frozen
    ? { kind: 'frozen', maxPosition: sql`${walk.frozen.maxPosition}::bigint`, gen: sql`${walk.frozen.gen}::bigint` }
    : LIVE;
  let last = '0';
  for (;;) {
    const chunk = sql`SELECT max(s.position)::text AS last, ${walk.text ?? ID_ARRAY} AS ids
      FROM ${c} CROSS JOIN LATERAL ${memberRows('c', source, sql`${last}::bigint`, int(MEMBER_CHUNK))} s`;
    const [row] = await db.query<{ last: string | null; ids: string | null }>(chunk.text, chunk.values);
    if (row.last === null || row.ids === null) return;
    yield row.ids;
    last = row.last;
  }
}

/** The collection list item's embedded members: the first 100, and whether there are more. */
export const EMBEDDED_MEMBERS = 100;

/**
 * A collection's answer to a write (PATCH, trash restore) from row `c`: with every member up to
 * `fullUpTo` members (FULL_ANSWER_MEMBERS), above that bounded like a list item: the first 100
 * and `membersTruncated: true` (GET streams them all). Only the chosen branch reads members.
 */
export function writtenCollectionJson(c: string, fullUpTo: number): Sql {
  const truncated = jsonOf<CollectionListItemDto>({
    ...collectionFields(c, { first: EMBEDDED_MEMBERS }),
    membersTruncated: sql`true`,
  });
  return sql`CASE WHEN ${col(c, 'member_count')} > ${fullUpTo}::int THEN ${truncated}
                  ELSE ${collectionJson(c, { all: true })} END`;
}

/** A document streamed with its collections: a dataset's GET, a version's. */
export interface NestedStream {
  /** `WITH …` defining the CTE (`from`) that holds the document's one row. */
  prefix: Sql;
  from: string;
  /** The document's JSON text with an empty `collections` array, from `from`. */
  head: Sql;
  /** Its collections in order, as a subquery whose rows (alias `alias`) have namespace_id and id. */
  collections: Sql;
  alias: string;
  /** A collection's JSON text with an empty `members` array, from `alias`. */
  collectionHead: Sql;
  /** How a collection's members are seen; frozen collections carry max_position and gen. */
  source: MemberSource;
}

/**
 * The parts of a big document in order: its head, then for each collection its head and its ids in
 * chunks. On a server one statement read through a cursor; on the embedded engine the heads in one
 * statement, then a statement per chunk by position.
 */
export async function* streamNested(db: Database, s: NestedStream): AsyncGenerator<StreamPart> {
  const c = s.alias;
  if (db.streams) {
    const rows = db.stream<{ kind: 'dataset' | 'collection' | 'ids'; text: string }>(
      sql`${s.prefix}
       SELECT 'dataset' AS kind, ${s.head} AS text FROM ${ident(s.from)}
       UNION ALL
       SELECT x.kind, x.text FROM ${ident(s.from)} CROSS JOIN LATERAL ${s.collections} ${ident(c)} CROSS JOIN LATERAL (
         SELECT 'collection' AS kind, ${s.collectionHead} AS text
         UNION ALL
         SELECT 'ids', k.ids FROM ${memberChunks(c, MEMBER_CHUNK, s.source)} k
       ) x`,
      4,
    );
    for await (const batch of rows) {
      for (const row of batch) {
        yield row.kind === 'dataset'
          ? { dataset: row.text }
          : row.kind === 'collection'
            ? { collection: row.text }
            : { ids: row.text };
      }
    }
    return;
  }
  const frozen = s.source.kind === 'frozen';
  const first = sql`${s.prefix}
     SELECT ${s.head} AS head,
            (SELECT coalesce(json_agg(json_build_object('namespace_id', ${col(c, 'namespace_id')}, 'id', ${col(c, 'id')},
                      'head', ${s.collectionHead}${
                        frozen
                          ? sql`, 'max_position', ${col(c, 'max_position')}::text, 'gen', ${col(c, 'gen')}::text`
                          : sql``
                      })), '[]')
             FROM ${s.collections} ${ident(c)}) AS collections
     FROM ${ident(s.from)}`;
  const [found] = await db.query<{
    head: string;
    collections: { namespace_id: string; id: string; head: string; max_position?: string; gen?: string }[];
  }>(first.text, first.values);
  if (!found) return;
  yield { dataset: found.head };
  for (const collection of found.collections) {
    yield { collection: collection.head };
    const walk: MemberWalk = { namespaceId: collection.namespace_id, collectionId: collection.id };
    if (collection.max_position !== undefined && collection.gen !== undefined) {
      walk.frozen = { maxPosition: collection.max_position, gen: collection.gen };
    }
    for await (const ids of memberIdChunks(db, walk)) yield { ids };
  }
}
