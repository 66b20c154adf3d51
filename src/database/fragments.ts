import { iso } from './scope.js';
import type { Queryable } from './database.js';

/*
 * JSON shapes of the contract built in SQL, shared by the features whose answers embed them
 * (a dataset's GET embeds its collections). Each takes the table alias it reads from.
 */

/**
 * Node ids of collection `c` in insertion order, all of them or the first `limit`: the subquery
 * walks the position index in order and json_agg keeps that order (an ORDER BY inside json_agg
 * would sort them again).
 */
export function memberIds(c: string, limit: number | null): string {
  return `(SELECT coalesce(json_agg(x.node_id), '[]') FROM (
     SELECT m.node_id FROM collection_member m
     WHERE m.namespace_id = ${c}.namespace_id AND m.collection_id = ${c}.id
     ORDER BY m.position${limit === null ? '' : ` LIMIT ${Math.trunc(limit)}`}) x)`;
}

/** Full-member answers above this many members are streamed (and count as heavy reads). */
export const STREAM_ABOVE = 50_000;

/**
 * The collection object from alias `c`: `members` is a JSON expression, or null to leave the key
 * out (`?members=false`); `extra` adds key/value pairs after `memberCount`.
 */
export function collectionJson(c: string, members: string | null, extra = ''): string {
  return `json_build_object(
    'id', ${c}.id, 'name', ${c}.name, 'description', ${c}.description, 'tags', to_json(${c}.tags),
    'metadata', ${c}.metadata, 'projectId', ${c}.project_id, 'datasetId', ${c}.dataset_id,
    ${members === null ? '' : `'members', ${members},`}
    'memberCount', ${c}.member_count, ${extra ? `${extra},` : ''}
    'createdAt', ${iso(`${c}.created_at`)}, 'updatedAt', ${iso(`${c}.updated_at`)})`;
}

/** The dataset object from alias `d`; `extra` adds key/value pairs before the timestamps. */
export function datasetJson(d: string, extra = ''): string {
  return `json_build_object(
    'id', ${d}.id, 'name', ${d}.name, 'description', ${d}.description, 'tags', to_json(${d}.tags),
    'projectId', ${d}.project_id, 'metadata', ${d}.metadata, ${extra ? `${extra},` : ''}
    'createdAt', ${iso(`${d}.created_at`)}, 'updatedAt', ${iso(`${d}.updated_at`)})`;
}

/**
 * A strong ETag (quoted) from the version counters an answer depends on: the row's id and version,
 * and whatever else the answer shows (the caller's role, a dataset's collections).
 */
export const etag = (...parts: string[]): string => `('"' || md5(concat_ws(':', ${parts.join(', ')})) || '"')`;

/** The ETag of namespace `n` as `role` sees it (the answer shows the caller's role). */
export const namespaceEtag = (n: string, role: string): string => etag(`${n}.id`, `${n}.version`, role);

/** The ETag of project `p` (its counts bump its version). */
export const projectEtag = (p: string): string => etag(`${p}.id`, `${p}.version`);

/** The ETag of collection `c`: any change of its members bumps its version. */
export const collectionEtag = (c: string): string => etag(`${c}.id`, `${c}.version`);

/** The ETag of dataset `d`: its own version and those of its live collections. */
export const datasetEtag = (d: string): string =>
  etag(
    `${d}.id`,
    `${d}.version`,
    `(SELECT string_agg(dc.id || '.' || dc.version, ',' ORDER BY dc.id) FROM collection dc
      WHERE dc.namespace_id = ${d}.namespace_id AND dc.dataset_id = ${d}.id AND dc.deleted_at IS NULL)`,
  );

/** Ids a chunk of a streamed member list holds (about 200 KB of JSON). */
export const MEMBER_CHUNK = 10_000;

/**
 * The members of collection `c` (an alias in scope) in insertion order, as rows `(n, last, ids)`:
 * chunks of `$size` ids as a JSON array's text, each read from the position index after the
 * last position of the one before. A recursive CTE, so one statement streams any number of
 * members with a cursor, O(chunk + log N) rows per chunk.
 */
export function memberChunks(c: string, size: string): string {
  const chunk = (after: string) => `(
      SELECT max(s.position) AS last, array_to_json(array_agg(s.node_id))::text AS ids
      FROM (SELECT m.position, m.node_id FROM collection_member m
            WHERE m.namespace_id = ${c}.namespace_id AND m.collection_id = ${c}.id ${after}
            ORDER BY m.position LIMIT ${size}::int) s
    )`;
  return `(WITH RECURSIVE chunk(n, last, ids) AS (
      SELECT 1, x.last, x.ids FROM ${chunk('')} x WHERE x.last IS NOT NULL
      UNION ALL
      SELECT chunk.n + 1, x.last, x.ids FROM chunk CROSS JOIN LATERAL ${chunk('AND m.position > chunk.last')} x
      WHERE x.last IS NOT NULL
    ) SELECT n, ids FROM chunk)`;
}

/** One chunk of collection `$c`'s members after position `$after` (the embedded engine reads chunk by chunk). */
const MEMBER_CHUNK_AFTER = `SELECT max(s.position)::text AS last, array_to_json(array_agg(s.node_id))::text AS ids
  FROM (SELECT m.position, m.node_id FROM collection_member m
        WHERE m.namespace_id = $1::uuid AND m.collection_id = $2::uuid AND m.position > $3::bigint
        ORDER BY m.position LIMIT $4::int) s`;

/**
 * A collection's member ids as JSON array texts of MEMBER_CHUNK ids, in position order, one
 * statement a chunk (the engine without cursors: PGlite); each chunk starts after the last one's
 * position, so walking the collection reads each member once.
 */
export async function* memberIdChunks(
  db: Queryable,
  namespaceId: string,
  collectionId: string,
): AsyncGenerator<string> {
  let last = '0';
  for (;;) {
    const [chunk] = await db.query<{ last: string | null; ids: string | null }>(MEMBER_CHUNK_AFTER, [
      namespaceId,
      collectionId,
      last,
      MEMBER_CHUNK,
    ]);
    if (chunk.last === null || chunk.ids === null) return;
    yield chunk.ids;
    last = chunk.last;
  }
}
