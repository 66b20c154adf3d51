import { Injectable } from '@nestjs/common';
import type { Role } from '../auth/roles.js';
import { recordChange } from '../changes/record.js';
import type { StreamPart } from '../common/json-stream.js';
import type { Found } from '../common/outcome.js';
import type { NamedAt } from '../common/target.js';
import { Database, type Reader } from '../database/database.js';
import {
  datasetFields,
  jsonOf,
  MEMBER_CHUNK,
  memberChunks,
  memberIdChunks,
  memberRows,
  STREAM_ABOVE,
  STREAM_ABOVE_COLLECTIONS,
  type JsonFields,
  type MemberSource,
  streamNested,
} from '../database/fragments.js';
import { GenerateSql } from '../database/generate-sql.js';
import { roleAllows, targetScope, type Scope } from '../database/scope.js';
import {
  col,
  etag,
  ident,
  join,
  ifMatchHolds,
  iso,
  jsonArray,
  jsonObject,
  pageBody,
  pageWindow,
  sql,
  tagMatches,
  type PageWindow,
  type Sql,
} from '../database/sql.js';
import { keepAnswer, type Keep } from '../idempotency/keep.js';
import type {
  DiffCollectionDto,
  FrozenCollectionDto,
  RestoredDatasetDto,
  VersionCollectionSummaryDto,
  VersionDto,
} from './dto/version.dto.js';

/** A version as the path names it: a number, a tag, or `latest`. */
export interface VersionRef {
  /** The number when the ref is one. */
  number: number | null;
  /** The ref as given (a tag, or `latest`). */
  text: string;
}

/** What a statement on a version found: the scope and dataset, then the version. */
export interface FoundVersion extends Found {
  version_found: boolean;
}

/** A version read: its ETag, and its JSON unless unchanged or too big to build at once. */
export interface ReadVersion extends FoundVersion {
  etag: string | null;
  not_modified: boolean;
  big: boolean;
  digest: string | null;
}

/**
 * CTE `v`: the version of dataset `t` that `ref` names (its number, the tag's version, or the newest
 * for `latest`), optionally locked.
 */
const versionRef = (_scope: Scope<'t'>, ref: VersionRef, name = 'v', lock = sql``): Sql => sql`${ident(name)} AS (
    SELECT v.* FROM dataset_version v, t
    WHERE v.namespace_id = t.namespace_id AND v.dataset_id = t.id
      AND v.version = coalesce(${ref.number}::int, CASE WHEN ${ref.text}::text = 'latest'
        THEN (SELECT max(l.version) FROM dataset_version l WHERE l.namespace_id = t.namespace_id AND l.dataset_id = t.id)
        ELSE (SELECT g.version FROM version_tag g WHERE g.namespace_id = t.namespace_id AND g.dataset_id = t.id AND g.tag = ${ref.text}::text)
      END)
    ${lock}
  )`;

/** The tags version row `v` holds, as a JSON array by name. */
const tagsOf = (v: string): Sql =>
  sql`(SELECT coalesce(json_agg(g.tag ORDER BY g.tag COLLATE "C"), '[]') FROM version_tag g
       WHERE g.namespace_id = ${col(v, 'namespace_id')} AND g.dataset_id = ${col(v, 'dataset_id')} AND g.version = ${col(v, 'version')}
         AND g.version >= 1)`;

/** The strong ETag of version row `v` with `tags` (its content never changes; its digest and tags may). */
const versionEtag = (v: string, tags: Sql): Sql =>
  etag(col(v, 'dataset_id'), col(v, 'version'), sql`coalesce(${col(v, 'digest')}, '-')`, sql`${tags}::text`);

/** The collections of version row `v` as rows `fc` with `id` the collection's, by name (bytewise). */
const frozenCollections = (v: string): Sql => sql`(
    SELECT vc.*, vc.collection_id AS id FROM version_collection vc
    WHERE vc.namespace_id = ${col(v, 'namespace_id')} AND vc.dataset_id = ${col(v, 'dataset_id')} AND vc.version = ${col(v, 'version')}
    ORDER BY vc.name COLLATE "C")`;

/** How a version sees the members of its collection row `fc`. */
const frozenSource = (fc: string): MemberSource => ({
  kind: 'frozen',
  maxPosition: col(fc, 'max_position'),
  gen: col(fc, 'gen'),
});

const SUMMARY = (fc: string): Sql =>
  jsonOf<VersionCollectionSummaryDto>({ name: col(fc, 'name'), memberCount: col(fc, 'member_count') });

/** The version object from row `v`: its tags and collection summaries as given. */
const versionFields = (v: string, tags: Sql, collections: Sql): JsonFields<VersionDto> => ({
  version: col(v, 'version'),
  datasetId: col(v, 'dataset_id'),
  datasetName: col(v, 'dataset_name'),
  message: col(v, 'message'),
  tags,
  createdAt: iso(col(v, 'created_at')),
  createdBy: col(v, 'created_by'),
  memberCount: col(v, 'member_count'),
  collectionCount: col(v, 'collection_count'),
  collections,
  digest: col(v, 'digest'),
});

/** The version object of a stored version row `v`. */
const versionJson = (v: string): Sql =>
  jsonOf<VersionDto>(
    versionFields(
      v,
      tagsOf(v),
      sql`(SELECT coalesce(json_agg(${SUMMARY('fc')}), '[]') FROM ${frozenCollections(v)} fc)`,
    ),
  );

/** A frozen collection's JSON from row `fc`, members as asked. */
const frozenCollectionJson = (fc: string, members: 'all' | 'none' | 'empty'): Sql =>
  jsonOf<FrozenCollectionDto>({
    id: col(fc, 'collection_id'),
    name: col(fc, 'name'),
    description: col(fc, 'description'),
    tags: sql`to_json(${col(fc, 'tags')})`,
    metadata: col(fc, 'metadata'),
    members:
      members === 'none'
        ? null
        : members === 'empty'
          ? sql`json_build_array()`
          : sql`(SELECT coalesce(json_agg(x.node_id), '[]') FROM ${memberRows(fc, frozenSource(fc), null, null)} x)`,
    memberCount: col(fc, 'member_count'),
  });

/** One NDJSON line of the manifest for member rows `s` of collection row `fc`, and a chunk's text. */
const MANIFEST_LINES = (fc: string): Sql =>
  sql`string_agg('{"collection":' || to_json(${col(fc, 'name')}::text)::text || ',"nodeId":' || to_json(s.node_id::text)::text || '}' || chr(10), '' ORDER BY s.position)`;

/**
 * Whether node id `node` is a member of collection `c` (a row with namespace_id and id) in state
 * `state`: a version's (position and generation) or the live one.
 */
const memberIn = (c: string, node: Sql, state: { maxPosition: Sql; gen: Sql } | 'live'): Sql => {
  // A scalar subquery with LIMIT, never EXISTS: EXISTS may become an anti-join that scans the whole
  // collection once per row; this is a primary-key probe per row, whatever the statistics say.
  const key = sql`namespace_id = ${col(c, 'namespace_id')} AND collection_id = ${col(c, 'id')} AND node_id = ${node}`;
  if (state === 'live') return sql`coalesce((SELECT true FROM collection_member WHERE ${key} LIMIT 1), false)`;
  const seen = sql`position <= ${state.maxPosition} AND added_gen <= ${state.gen}`;
  return sql`coalesce((SELECT true FROM collection_member WHERE ${key} AND ${seen} LIMIT 1),
                      (SELECT true FROM member_history WHERE ${key} AND ${seen} AND removed_gen > ${state.gen} LIMIT 1), false)`;
};

/** A collection's state as a version (or the live collection) sees it: the row alias and whether it is live. */
interface Side {
  alias: string;
  live: boolean;
}

const stateOf = (side: Side): { maxPosition: Sql; gen: Sql } | 'live' =>
  side.live ? 'live' : { maxPosition: col(side.alias, 'max_position'), gen: col(side.alias, 'gen') };

const sourceOf = (side: Side): MemberSource => (side.live ? { kind: 'live' } : frozenSource(side.alias));

/** Where a listing of changed rows resumes: after `position` in the stream of `kind` ('a' before 'r'). */
interface DiffCursor {
  kind: Sql;
  position: Sql;
}

/** The condition that row `m` of kind `kind` comes after the cursor. */
const afterCursor = (kind: 'a' | 'r', after: DiffCursor | null): Sql =>
  after === null
    ? sql`true`
    : sql`(${after.kind} < ${kind} OR (${after.kind} = ${kind} AND m.position > ${after.position}))`;

/** `rows` (a SELECT of kind, position, node_id from alias m) in position order, the first `limit` when given. */
const ordered = (rows: Sql, limit: Sql | null): Sql =>
  sql`(${rows} ORDER BY m.position ${limit === null ? sql`` : sql`LIMIT ${limit}`})`;

/**
 * Rows `(kind, position, node_id)` that differ between the older state `o` and the newer state `n`
 * of the same collection (aliases with namespace_id, id, max_position and gen; `n` may be live):
 * rows added after `o` and seen by `n` whose id `o` did not hold ('a'), and rows `o` held that `n`
 * removed and whose id `n` does not hold ('r'). Each branch walks the position, generation or
 * restored-row index in position order, stopping at `limit`: O(changes read), never O(members).
 */
function changedRows(
  o: string,
  n: Side,
  after: DiffCursor | null,
  limit: Sql | null,
  kinds: { added: 'a' | 'r'; removed: 'a' | 'r' } = { added: 'a', removed: 'r' },
): Sql {
  const key = sql`m.namespace_id = ${col(o, 'namespace_id')} AND m.collection_id = ${col(o, 'id')}`;
  const older = { maxPosition: col(o, 'max_position'), gen: col(o, 'gen') };
  const seenByNewer = n.live
    ? sql`true`
    : sql`m.position <= ${col(n.alias, 'max_position')} AND m.added_gen <= ${col(n.alias, 'gen')}`;
  const notInOlder = sql`NOT ${memberIn(o, sql`m.node_id`, older)}`;
  const added = (table: 'collection_member' | 'member_history', restored: boolean) =>
    ordered(
      sql`SELECT ${kinds.added}::text AS kind, m.position, m.node_id FROM ${table === 'collection_member' ? sql`collection_member` : sql`member_history`} m
        WHERE ${key} AND ${
          restored
            ? sql`m.restored AND m.added_gen > ${col(o, 'gen')} AND m.position <= ${col(o, 'max_position')}`
            : sql`m.position >= 1 AND m.position > ${col(o, 'max_position')}`
        } AND ${seenByNewer} ${table === 'member_history' ? sql`AND m.removed_gen > ${col(n.alias, 'gen')}` : sql``}
          AND ${afterCursor(kinds.added, after)} AND ${notInOlder}`,
      limit,
    );
  const removed = ordered(
    sql`SELECT ${kinds.removed}::text AS kind, m.position, m.node_id FROM member_history m
      WHERE ${key} AND m.removed_gen >= 1 AND m.removed_gen > ${col(o, 'gen')} ${n.live ? sql`` : sql`AND m.removed_gen <= ${col(n.alias, 'gen')}`}
        AND m.added_gen <= ${col(o, 'gen')} AND m.position <= ${col(o, 'max_position')} AND ${afterCursor(kinds.removed, after)}
        AND NOT ${memberIn(o, sql`m.node_id`, stateOf(n))}`,
    limit,
  );
  const branches = [added('collection_member', false), added('collection_member', true), removed];
  if (!n.live) branches.push(added('member_history', false), added('member_history', true));
  return sql`(${join(branches, ' UNION ALL ')})`;
}

/**
 * Rows of one side's members that the other side lacks, as kind `kind` (a collection only one
 * side has, or another collection under the same name): O(its members read).
 */
function wholeRows(side: Side, other: Side | null, kind: 'a' | 'r', after: DiffCursor | null, limit: Sql | null): Sql {
  const lacking = other === null ? sql`true` : sql`NOT ${memberIn(other.alias, sql`m.node_id`, stateOf(other))}`;
  return ordered(
    sql`SELECT ${kind}::text AS kind, m.position, m.node_id FROM ${memberRows(side.alias, sourceOf(side), null, null)} m
      WHERE ${afterCursor(kind, after)} AND ${lacking}`,
    limit,
  );
}

/** A version's collections as rows (name, id, namespace_id, member_count, max_position, gen, fields) from ref CTE `v`. */
const sideRows = (
  v: string,
): Sql => sql`(SELECT vc.name, vc.collection_id AS id, vc.namespace_id, vc.member_count, vc.max_position,
           vc.gen, vc.description, vc.tags, vc.metadata
    FROM version_collection vc, ${ident(v)} v
    WHERE vc.namespace_id = v.namespace_id AND vc.dataset_id = v.dataset_id AND vc.version = v.version)`;

/** The dataset's live collections as the same rows (their next position and generation as the state). */
const workingRows = (
  where: Sql,
): Sql => sql`(SELECT c.name, c.id, c.namespace_id, c.member_count, c.member_seq AS max_position,
           c.member_gen AS gen, c.description, c.tags, c.metadata
    FROM collection c, t WHERE c.namespace_id = t.namespace_id AND c.dataset_id = t.id AND c.deleted_at IS NULL AND ${where})`;

/** A part of a manifest read: first its head (what was found, the digest), then its text in chunks. */
export type ManifestPart = { head: { digest: string | null; found: FoundVersion } } | { lines: string };

/** A manifest read after `prefix` (CTEs ending with the version `v`), its head carrying `found`. */
async function* manifestOf(db: Reader, prefix: Sql, found: Sql): AsyncGenerator<ManifestPart> {
  const head = sql`json_build_object('digest', (SELECT digest FROM v), 'found', ${found})::text`;
  if (db.streams) {
    const rows = db.stream<{ n: number; text: string }>(
      sql`${prefix}
       SELECT 0 AS n, ${head} AS text
       UNION ALL
       SELECT 1, k.ids FROM v CROSS JOIN LATERAL ${frozenCollections('v')} fc
       CROSS JOIN LATERAL ${memberChunks('fc', MEMBER_CHUNK, frozenSource('fc'), MANIFEST_LINES('fc'))} k`,
      4,
    );
    for await (const batch of rows) {
      for (const row of batch) {
        if (row.n === 0) yield { head: JSON.parse(row.text) as { digest: string | null; found: FoundVersion } };
        else yield { lines: row.text };
      }
    }
    return;
  }
  // A version small enough to build at once comes whole in the first statement; a bigger one as a
  // statement a chunk (the engine without cursors).
  const small = sql`(SELECT member_count <= ${STREAM_ABOVE}::bigint FROM v)`;
  const first = sql`${prefix}
     SELECT ${head} AS head,
            CASE WHEN ${small} THEN
              (SELECT coalesce(string_agg('{"collection":' || to_json(fc.name::text)::text || ',"nodeId":' || to_json(s.node_id::text)::text || '}' || chr(10), ''
                                          ORDER BY fc.name COLLATE "C", s.position), '')
               FROM ${frozenCollections('v')} fc CROSS JOIN LATERAL ${memberRows('fc', frozenSource('fc'), null, null)} s)
            END AS text,
            CASE WHEN NOT ${small} THEN
              (SELECT coalesce(json_agg(json_build_object('namespace_id', fc.namespace_id, 'id', fc.collection_id, 'name', fc.name,
                        'max_position', fc.max_position::text, 'gen', fc.gen::text)), '[]')
               FROM ${frozenCollections('v')} fc)
            END AS collections
     FROM (SELECT 1) one LEFT JOIN v ON true`;
  const [row] = await db.query<{
    head: string;
    text: string | null;
    collections: { namespace_id: string; id: string; name: string; max_position: string; gen: string }[] | null;
  }>(first.text, first.values);
  yield { head: JSON.parse(row.head) as { digest: string | null; found: FoundVersion } };
  if (row.text) yield { lines: row.text };
  for (const c of row.collections ?? []) {
    const text = sql`string_agg('{"collection":' || to_json(${c.name}::text)::text || ',"nodeId":' || to_json(s.node_id::text)::text || '}' || chr(10), '' ORDER BY s.position)`;
    const walk = {
      namespaceId: c.namespace_id,
      collectionId: c.id,
      frozen: { maxPosition: c.max_position, gen: c.gen },
      text,
    };
    for await (const lines of memberIdChunks(db, walk)) yield { lines };
  }
}

/** Every version statement; each route is one roundtrip. Answers are JSON text built by PostgreSQL. */
@Injectable()
export class VersionsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Freezes the dataset: a version row, a row per collection (its fields, its highest position and
   * its member generation, read from the collection locked after any change in flight), the tags
   * given, and each collection's frozen generation. Never a member row: the cost does not grow with
   * the members. The dataset is share-locked (no delete or change of it meanwhile) and its
   * collections locked in name order as committed after that lock.
   */
  @GenerateSql({ params: (f) => [named(f), { message: 'Monday', tags: ['production'] }, 'writer'], keyed: true })
  freeze(
    at: NamedAt,
    spec: { message: string | null; tags: string[] },
    needs: Role,
    keep?: Keep,
  ): Promise<Found & { held: string[] | null }> {
    const scope = targetScope(at, 'dataset', 'share');
    const tags = [...spec.tags].sort();
    const body = sql`(SELECT ${jsonOf<VersionDto>(
      versionFields(
        'v',
        sql`to_json(${tags}::text[])`,
        sql`(SELECT coalesce(json_agg(${SUMMARY('c')} ORDER BY c.name COLLATE "C"), '[]') FROM cols c)`,
      ),
    )}::text FROM v)`;
    return this.db.one(
      sql`WITH ${scope.with},
       cols AS (
         SELECT c.* FROM (SELECT * FROM t WHERE ${roleAllows(scope, needs)}) t
         CROSS JOIN LATERAL lock_collections(t.namespace_id, t.id, '{}'::uuid[]) c
       ),
       held AS (
         SELECT g.tag FROM version_tag g, t
         WHERE g.namespace_id = t.namespace_id AND g.dataset_id = t.id AND g.tag = ANY(${tags}::text[])
       ),
       seq AS (
         INSERT INTO version_counter AS s (namespace_id, dataset_id, last_version, version_count)
         SELECT t.namespace_id, t.id, 1, 1 FROM t WHERE ${roleAllows(scope, needs)} AND NOT EXISTS (SELECT 1 FROM held)
         ON CONFLICT ON CONSTRAINT pk_version_counter
         DO UPDATE SET last_version = s.last_version + 1, version_count = s.version_count + 1
         RETURNING s.last_version AS version
       ),
       v AS (
         INSERT INTO dataset_version (namespace_id, dataset_id, version, dataset_name, message, member_count,
                                      collection_count, created_by)
         SELECT t.namespace_id, t.id, seq.version, t.name, ${spec.message}::text,
                (SELECT coalesce(sum(member_count), 0) FROM cols), (SELECT count(*) FROM cols), ${at.userId}::text
         FROM t, seq
         RETURNING *
       ),
       vc AS (
         INSERT INTO version_collection (namespace_id, dataset_id, version, name, collection_id, description, tags,
                                         metadata, member_count, max_position, gen)
         SELECT v.namespace_id, v.dataset_id, v.version, c.name, c.id, c.description, c.tags, c.metadata,
                c.member_count, c.member_seq, c.member_gen
         FROM v, cols c
       ),
       frz AS (
         UPDATE collection c SET frozen_gen = x.member_gen
         FROM cols x, v
         WHERE c.namespace_id = x.namespace_id AND c.id = x.id AND c.frozen_gen < x.member_gen
       ),
       tg AS (
         INSERT INTO version_tag (namespace_id, dataset_id, tag, version)
         SELECT v.namespace_id, v.dataset_id, u.tag, v.version FROM v, unnest(${tags}::text[]) AS u(tag)
       ),
       ${recordChange(
         'ev',
         at,
         'dataset.version.created',
         'version',
         sql`SELECT v.namespace_id, t.project_id, ${at.projectSlug}::text AS project, v.dataset_id AS target_id,
                    v.dataset_name AS target_name,
                    jsonb_build_object('version', v.version, 'tags', to_jsonb(${tags}::text[])) AS data
             FROM v, t`,
       )}${keepAnswer(keep, body)}
       SELECT ${scope.found}, (SELECT array_agg(tag ORDER BY tag) FROM held) AS held, ${body} AS body`,
      { via: keep?.tx },
    );
  }

  /** One page of the dataset's versions, newest first, from its primary key; `total` from its counter. */
  @GenerateSql({ params: (f) => [named(f), { page: 1, pageSize: 50 }], scaled: true })
  list(at: NamedAt, page: PageWindow): Promise<Found> {
    const scope = targetScope(at, 'dataset');
    return this.db.one(
      sql`WITH ${scope.with},
       page AS (
         SELECT v.* FROM t CROSS JOIN LATERAL (
           SELECT v.* FROM dataset_version v WHERE v.namespace_id = t.namespace_id AND v.dataset_id = t.id
           ORDER BY v.version DESC ${pageWindow(page)}
         ) v
       )
       SELECT ${scope.found},
              ${pageBody(
                'versions',
                sql`(SELECT ${jsonArray(versionJson('v'), sql`v.version DESC`)} FROM page v)`,
                sql`coalesce((SELECT k.version_count FROM version_counter k, t WHERE k.namespace_id = t.namespace_id AND k.dataset_id = t.id), 0)`,
                page,
              )} AS body`,
    );
  }

  /**
   * The version with its frozen collections, each with its members in order (or without them), and
   * its ETag: no body when it matches `ifNoneMatch`, nor when it is too big to build at once (`big`:
   * then streamVersion sends it). Prepared: its plan is reused.
   */
  @GenerateSql(
    { params: (f) => [named(f), ref(f.version), true, null] },
    { name: 'by tag, members=false', params: (f) => [named(f), ref('production'), false, ['"0f3c"']] },
  )
  find(at: NamedAt, version: VersionRef, withMembers: boolean, ifNoneMatch: string[] | null): Promise<ReadVersion> {
    const scope = targetScope(at, 'dataset');
    const tags = tagsOf('r');
    const big = withMembers
      ? sql`(v.member_count > ${STREAM_ABOVE}::bigint OR v.collection_count > ${STREAM_ABOVE_COLLECTIONS}::int)`
      : sql`false`;
    const current = tagMatches(sql`v.etag`, ifNoneMatch);
    const collections = sql`(SELECT coalesce(json_agg(${frozenCollectionJson('fc', withMembers ? 'all' : 'none')}), '[]')
      FROM ${frozenCollections('v')} fc)`;
    return this.db.one(
      sql`WITH ${scope.with}, ${versionRef(scope, version, 'r')},
       v AS (SELECT r.*, ${tags} AS tags, ${versionEtag('r', tags)} AS etag FROM r)
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM v) AS version_found,
              (SELECT v.etag FROM v) AS etag, (SELECT v.digest FROM v) AS digest,
              coalesce((SELECT ${current} FROM v), false) AS not_modified,
              coalesce((SELECT ${big} FROM v), false) AS big,
              (SELECT CASE WHEN ${current} OR ${big} THEN NULL
                           ELSE ${jsonOf<VersionDto>(versionFields('v', sql`v.tags`, collections))}::text END
               FROM v) AS body`,
      { prepared: true },
    );
  }

  /**
   * The streamed form of a big version: its head (the version JSON with an empty `collections`
   * array), then for each collection by name its head (with an empty `members` array) and its ids
   * in chunks, read from the position indexes as the version sees them. One statement through a
   * cursor on a server; on the embedded engine, the heads, then a statement per chunk.
   */
  @GenerateSql({ params: (f) => [named(f), ref(f.version)] })
  streamVersion(at: NamedAt, version: VersionRef): AsyncGenerator<StreamPart> {
    const scope = targetScope(at, 'dataset');
    return streamNested(this.db, {
      prefix: sql`WITH ${scope.with}, ${versionRef(scope, version)}`,
      from: 'v',
      head: sql`${jsonOf<VersionDto>(versionFields('v', tagsOf('v'), sql`json_build_array()`))}::text`,
      collections: frozenCollections('v'),
      alias: 'fc',
      collectionHead: sql`${frozenCollectionJson('fc', 'empty')}::text`,
      source: frozenSource('fc'),
    });
  }

  /**
   * The manifest of a version as NDJSON text in chunks (one `{"collection","nodeId"}` line per
   * member, collections by name, members in order), after a head with what the scope found and the
   * version's digest: one statement through a cursor on a server; on the embedded engine a
   * statement per chunk.
   */
  @GenerateSql({ params: (f) => [named(f), ref(f.version)] })
  manifest(at: NamedAt, version: VersionRef): AsyncGenerator<ManifestPart> {
    const scope = targetScope(at, 'dataset');
    return manifestOf(
      this.db,
      sql`WITH ${scope.with}, ${versionRef(scope, version)}`,
      sql`json_build_object('role', (SELECT role FROM ns), 'project_found', EXISTS (SELECT 1 FROM pr),
            'target_found', EXISTS (SELECT 1 FROM t), 'version_found', EXISTS (SELECT 1 FROM v), 'body', '')`,
    );
  }

  /** The same manifest read by the digest job, by the version's key (no caller). */
  @GenerateSql({ params: () => [{ namespaceId: EXAMPLE_ID, datasetId: EXAMPLE_ID }, 1] })
  manifestByKey(key: { namespaceId: string; datasetId: string }, version: number): AsyncGenerator<ManifestPart> {
    return manifestOf(
      this.db.background,
      sql`WITH v AS (SELECT v.* FROM dataset_version v WHERE v.namespace_id = ${key.namespaceId}::uuid
                     AND v.dataset_id = ${key.datasetId}::uuid AND v.version = ${version}::int)`,
      sql`json_build_object('role', 'reader', 'version_found', EXISTS (SELECT 1 FROM v), 'body', '')`,
    );
  }

  /** One page of a frozen collection's members in order; `total` is its frozen count. */
  @GenerateSql({ params: (f) => [named(f), ref(f.version), f.collection, { page: 2, pageSize: 50 }], scaled: true })
  listMembersPage(
    at: NamedAt,
    version: VersionRef,
    collection: string,
    page: PageWindow,
  ): Promise<FoundVersion & { collection_found: boolean }> {
    const scope = targetScope(at, 'dataset');
    const entry = jsonObject({ nodeId: sql`m.node_id`, addedAt: iso(sql`m.added_at`) });
    return this.db.one(
      sql`WITH ${scope.with}, ${versionRef(scope, version)},
       fc AS (SELECT vc.*, vc.collection_id AS id FROM version_collection vc, v
              WHERE vc.namespace_id = v.namespace_id AND vc.dataset_id = v.dataset_id AND vc.version = v.version
                AND vc.name = ${collection}::text),
       page AS (
         SELECT m.* FROM fc CROSS JOIN LATERAL ${memberRows('fc', frozenSource('fc'), null, sql`${page.page}::bigint * ${page.pageSize}::int`)} m
         ORDER BY m.position ${pageWindow(page)}
       )
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM v) AS version_found, EXISTS (SELECT 1 FROM fc) AS collection_found,
              ${pageBody('members', sql`(SELECT ${jsonArray(entry, sql`m.position`)} FROM page m)`, sql`(SELECT member_count FROM fc)`, page)} AS body`,
      { prepared: true },
    );
  }

  /** Up to `limit` members of a frozen collection after node id `after`, and the next cursor (as live pages). */
  @GenerateSql({ params: (f) => [named(f), ref(f.version), f.collection, f.member, 100], scaled: true })
  listMembersAfter(
    at: NamedAt,
    version: VersionRef,
    collection: string,
    after: string | null,
    limit: number,
  ): Promise<FoundVersion & { collection_found: boolean; cursor_found: boolean }> {
    const scope = targetScope(at, 'dataset');
    const entry = jsonObject({ nodeId: sql`m.node_id`, addedAt: iso(sql`m.added_at`) });
    const seen = sql`m.position <= fc.max_position AND m.added_gen <= fc.gen`;
    return this.db.one(
      sql`WITH ${scope.with}, ${versionRef(scope, version)},
       fc AS (SELECT vc.*, vc.collection_id AS id FROM version_collection vc, v
              WHERE vc.namespace_id = v.namespace_id AND vc.dataset_id = v.dataset_id AND vc.version = v.version
                AND vc.name = ${collection}::text),
       cur AS (
         SELECT coalesce(
           (SELECT m.position FROM collection_member m, fc
            WHERE m.namespace_id = fc.namespace_id AND m.collection_id = fc.id AND m.node_id = ${after}::text AND ${seen}),
           (SELECT m.position FROM member_history m, fc
            WHERE m.namespace_id = fc.namespace_id AND m.collection_id = fc.id AND m.node_id = ${after}::text AND ${seen}
              AND m.removed_gen > fc.gen LIMIT 1)) AS position
       ),
       page AS (
         SELECT m.* FROM fc CROSS JOIN LATERAL ${memberRows('fc', frozenSource('fc'), sql`coalesce((SELECT position FROM cur), 0)`, sql`${limit}::int + 1`)} m
       ),
       shown AS (SELECT * FROM page ORDER BY position LIMIT ${limit}::int)
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM v) AS version_found, EXISTS (SELECT 1 FROM fc) AS collection_found,
              (${after}::text IS NULL OR (SELECT position FROM cur) IS NOT NULL) AS cursor_found,
              json_build_object(
                'members', (SELECT ${jsonArray(entry, sql`m.position`)} FROM shown m),
                'nextCursor', CASE WHEN (SELECT count(*) FROM page) > ${limit}::int
                                   THEN (SELECT node_id FROM shown ORDER BY position DESC LIMIT 1) END
              )::text AS body`,
      { prepared: true },
    );
  }

  /**
   * The collections that differ between version `a` and version `b` (or the live dataset), by name:
   * added, removed, or changed with the counts of members each has that the other has not. For a
   * collection both name with the same id, only the rows whose generations fall between the two
   * are read (O(changes)); for one that is another collection under the same name, both are read.
   */
  @GenerateSql(
    { params: (f) => [named(f), ref(f.version), ref(f.laterVersion)], scaled: true },
    { name: 'with working', params: (f) => [named(f), ref(f.version), null], scaled: true },
  )
  diff(at: NamedAt, a: VersionRef, b: VersionRef | null): Promise<FoundVersion & { to_found: boolean }> {
    const scope = targetScope(at, 'dataset');
    const live = b === null;
    const A: Side = { alias: 'a', live: false };
    const B: Side = { alias: 'b', live };
    const counts = (rows: Sql) =>
      sql`(SELECT count(*) FILTER (WHERE d.kind = 'a') AS added, count(*) FILTER (WHERE d.kind = 'r') AS removed FROM ${rows} d)`;
    // The same collection: only what changed between the two (forward, or back in time with the sides swapped).
    const same = live
      ? sql`SELECT c.added, c.removed FROM ${counts(changedRows('a', B, null, null))} c WHERE p.forward`
      : sql`SELECT c.added, c.removed FROM ${counts(changedRows('a', B, null, null))} c WHERE p.forward
            UNION ALL
            SELECT c.removed, c.added FROM ${counts(changedRows('b', A, null, null))} c WHERE NOT p.forward`;
    // Another collection under the same name: both are read (O(size)).
    const other = sql`SELECT (SELECT count(*) FROM ${wholeRows(B, A, 'a', null, null)} m) AS added,
                             (SELECT count(*) FROM ${wholeRows(A, B, 'r', null, null)} m) AS removed`;
    const item = jsonOf<DiffCollectionDto>({
      name: sql`x.name`,
      change: sql`CASE WHEN x.a_id IS NULL THEN 'added' WHEN x.b_id IS NULL THEN 'removed' ELSE 'changed' END`,
      added: sql`x.added`,
      removed: sql`x.removed`,
    });
    return this.db.one(
      sql`WITH ${scope.with}, ${versionRef(scope, a, 'va')}${b === null ? sql`` : sql`, ${versionRef(scope, b, 'vb')}`},
       fa AS ${sideRows('va')},
       fb AS ${live ? workingRows(sql`TRUE`) : sideRows('vb')},
       p AS (
         SELECT coalesce(a.name, b.name) AS name, a.id AS a_id, b.id AS b_id, a.gen <= b.gen AS forward,
                a.member_count AS a_count, b.member_count AS b_count,
                (a.description, a.tags, a.metadata) IS DISTINCT FROM (b.description, b.tags, b.metadata) AS fields_differ
         FROM fa a FULL JOIN fb b ON a.name = b.name
       ),
       d AS (
         SELECT p.*, coalesce(x.added, 0) AS added, coalesce(x.removed, 0) AS removed FROM p
         LEFT JOIN fa a ON a.name = p.name
         LEFT JOIN fb b ON b.name = p.name
         LEFT JOIN LATERAL (
           SELECT p.b_count AS added, 0::bigint AS removed WHERE p.a_id IS NULL
           UNION ALL SELECT 0, p.a_count WHERE p.b_id IS NULL
           UNION ALL SELECT * FROM (${same}) s WHERE p.a_id = p.b_id
           UNION ALL SELECT * FROM (${other}) o WHERE p.a_id <> p.b_id
         ) x ON true
       )
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM va) AS version_found,
              ${b === null ? sql`true` : sql`EXISTS (SELECT 1 FROM vb)`} AS to_found,
              json_build_object(
                'from', (SELECT version FROM va),
                'to', ${b === null ? sql`'working'::text` : sql`(SELECT version FROM vb)`},
                'collections', (SELECT ${jsonArray(item, sql`x.name COLLATE "C"`)} FROM d x
                                WHERE x.a_id IS NULL OR x.b_id IS NULL OR x.a_id <> x.b_id
                                   OR x.added > 0 OR x.removed > 0 OR x.fields_differ)
              )::text AS body`,
    );
  }

  /**
   * The member ids of one collection that differ between version `a` and `b` (or the live dataset),
   * in position order after the cursor (`a:<position>` walks those added, then `r:<position>` those
   * removed): at most `limit`, and the cursor of the next page. For the same collection in both it
   * reads only what changed between them; a collection only one side has, or another collection
   * under the same name, is read whole.
   */
  @GenerateSql(
    { params: (f) => [named(f), ref(f.version), ref(f.laterVersion), f.collection, null, 100], scaled: true },
    {
      name: 'with working, after a cursor',
      params: (f) => [named(f), ref(f.version), null, f.collection, { kind: 'a', position: '1000' }, 100],
      scaled: true,
    },
  )
  diffMembers(
    at: NamedAt,
    a: VersionRef,
    b: VersionRef | null,
    collection: string,
    after: { kind: 'a' | 'r'; position: string } | null,
    limit: number,
  ): Promise<FoundVersion & { to_found: boolean; collection_found: boolean }> {
    const scope = targetScope(at, 'dataset');
    const live = b === null;
    const A: Side = { alias: 'a', live: false };
    const B: Side = { alias: 'b', live };
    const cursor = after === null ? null : { kind: sql`${after.kind}::text`, position: sql`${after.position}::bigint` };
    const cap = sql`${limit}::int + 1`;
    // Back in time (a newer than b), what b lacks of a counts as removed: the sides swap, and so do the kinds.
    const backwards = live
      ? sql``
      : sql`UNION ALL
           SELECT d.kind, d.position, d.node_id
           FROM a, b CROSS JOIN LATERAL ${changedRows('b', A, cursor, cap, { added: 'r', removed: 'a' })} d
           WHERE a.id = b.id AND a.gen > b.gen`;
    return this.db.one(
      sql`WITH ${scope.with}, ${versionRef(scope, a, 'va')}${b === null ? sql`` : sql`, ${versionRef(scope, b, 'vb')}`},
       a AS (SELECT * FROM ${sideRows('va')} x WHERE x.name = ${collection}::text),
       b AS (SELECT * FROM ${live ? workingRows(sql`c.name = ${collection}::text`) : sideRows('vb')} x WHERE x.name = ${collection}::text),
       changed AS (
         SELECT d.* FROM (
           SELECT d.kind, d.position, d.node_id FROM a, b CROSS JOIN LATERAL ${changedRows('a', B, cursor, cap)} d
           WHERE a.id = b.id ${live ? sql`` : sql`AND a.gen <= b.gen`}
           ${backwards}
           UNION ALL
           SELECT d.* FROM b CROSS JOIN LATERAL ${wholeRows(B, null, 'a', cursor, cap)} d WHERE NOT EXISTS (SELECT 1 FROM a)
           UNION ALL
           SELECT d.* FROM a CROSS JOIN LATERAL ${wholeRows(A, null, 'r', cursor, cap)} d WHERE NOT EXISTS (SELECT 1 FROM b)
           UNION ALL
           SELECT d.* FROM a, b CROSS JOIN LATERAL ${wholeRows(B, A, 'a', cursor, cap)} d WHERE a.id <> b.id
           UNION ALL
           SELECT d.* FROM a, b CROSS JOIN LATERAL ${wholeRows(A, B, 'r', cursor, cap)} d WHERE a.id <> b.id
         ) d ORDER BY d.kind, d.position LIMIT ${cap}
       ),
       shown AS (SELECT * FROM changed ORDER BY kind, position LIMIT ${limit}::int)
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM va) AS version_found,
              ${b === null ? sql`true` : sql`EXISTS (SELECT 1 FROM vb)`} AS to_found,
              (EXISTS (SELECT 1 FROM a) OR EXISTS (SELECT 1 FROM b)) AS collection_found,
              json_build_object(
                'added', (SELECT coalesce(json_agg(s.node_id ORDER BY s.position), '[]') FROM shown s WHERE s.kind = 'a'),
                'removed', (SELECT coalesce(json_agg(s.node_id ORDER BY s.position), '[]') FROM shown s WHERE s.kind = 'r'),
                'nextCursor', CASE WHEN (SELECT count(*) FROM changed) > ${limit}::int
                                   THEN (SELECT s.kind || ':' || s.position FROM shown s ORDER BY s.kind DESC, s.position DESC LIMIT 1) END
              )::text AS body`,
    );
  }

  /**
   * Gives version `n` the tag (moving it from any other version of the dataset) when the caller's
   * role allows it and `ifMatch` is null or the version's current ETag; at most 20 tags a version.
   * Answers the version as it is now, and its new ETag.
   */
  @GenerateSql({ params: (f) => [named(f), f.version, 'production', 'writer', null] })
  putTag(
    at: NamedAt,
    version: number,
    tag: string,
    needs: Role,
    ifMatch: string[] | null,
  ): Promise<FoundVersion & { full: boolean; etag: string | null }> {
    const scope = targetScope(at, 'dataset', 'share');
    const others = sql`(SELECT array_agg(g.tag) FROM version_tag g WHERE g.namespace_id = r.namespace_id AND g.dataset_id = r.dataset_id
                          AND g.version = r.version AND g.version >= 1 AND g.tag <> ${tag}::text)`;
    const tags = sql`to_json(ARRAY(SELECT u.t FROM unnest(coalesce(v.others, '{}') || ${tag}::text) AS u(t) ORDER BY u.t COLLATE "C"))`;
    return this.db.one(
      sql`WITH ${scope.with}, ${versionRef(scope, { number: version, text: String(version) }, 'r', sql`FOR KEY SHARE OF v`)},
       v AS (SELECT r.*, ${others} AS others, ${versionEtag('r', tagsOf('r'))} AS etag FROM r),
       ok AS (SELECT v.* FROM v WHERE ${roleAllows(scope, needs)} AND ${ifMatchHolds(sql`v.etag`, ifMatch)}
                AND cardinality(coalesce(v.others, '{}')) < 20),
       prev AS (SELECT g.version FROM version_tag g, t WHERE g.namespace_id = t.namespace_id AND g.dataset_id = t.id AND g.tag = ${tag}::text),
       moved AS (
         INSERT INTO version_tag AS g (namespace_id, dataset_id, tag, version)
         SELECT ok.namespace_id, ok.dataset_id, ${tag}::text, ok.version FROM ok
         ON CONFLICT ON CONSTRAINT pk_version_tag DO UPDATE SET version = EXCLUDED.version, moved_at = now()
         RETURNING g.version
       ),
       ${recordChange(
         'ev',
         at,
         'dataset.tag.moved',
         'version',
         sql`SELECT ok.namespace_id, t.project_id, ${at.projectSlug}::text AS project, ok.dataset_id AS target_id, t.name AS target_name,
                    jsonb_build_object('tag', ${tag}::text, 'version', ok.version, 'from', (SELECT version FROM prev)) AS data
             FROM ok, t, moved WHERE (SELECT version FROM prev) IS DISTINCT FROM ok.version`,
       )}
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM v) AS version_found,
              (SELECT v.etag FROM v WHERE ${ifMatch === null ? sql`false` : sql`NOT ${ifMatchHolds(sql`v.etag`, ifMatch)}`}) IS NOT NULL AS stale,
              coalesce((SELECT cardinality(coalesce(v.others, '{}')) >= 20 FROM v), false) AS full,
              (SELECT ${versionEtag('v', tags)} FROM v, moved) AS etag,
              (SELECT ${jsonOf<VersionDto>(versionFields('v', tags, sql`(SELECT coalesce(json_agg(${SUMMARY('fc')}), '[]') FROM ${frozenCollections('v')} fc)`))}::text
               FROM v, moved) AS body`,
    );
  }

  /** Takes the tag off version `n` (404 when it does not hold it); answers the version as it is now. */
  @GenerateSql({ params: (f) => [named(f), f.version, 'production', 'writer', null] })
  deleteTag(
    at: NamedAt,
    version: number,
    tag: string,
    needs: Role,
    ifMatch: string[] | null,
  ): Promise<FoundVersion & { tag_found: boolean; etag: string | null }> {
    const scope = targetScope(at, 'dataset', 'share');
    const tags = sql`(SELECT coalesce(json_agg(g.tag ORDER BY g.tag COLLATE "C"), '[]') FROM version_tag g
       WHERE g.namespace_id = v.namespace_id AND g.dataset_id = v.dataset_id AND g.version = v.version AND g.version >= 1
         AND g.tag <> ${tag}::text)`;
    return this.db.one(
      sql`WITH ${scope.with}, ${versionRef(scope, { number: version, text: String(version) }, 'r')},
       v AS (SELECT r.*, ${versionEtag('r', tagsOf('r'))} AS etag FROM r),
       gone AS (
         DELETE FROM version_tag g USING v
         WHERE g.namespace_id = v.namespace_id AND g.dataset_id = v.dataset_id AND g.version = v.version AND g.tag = ${tag}::text
           AND ${roleAllows(scope, needs)} AND ${ifMatchHolds(sql`v.etag`, ifMatch)}
         RETURNING g.version
       ),
       ${recordChange(
         'ev',
         at,
         'dataset.tag.moved',
         'version',
         sql`SELECT t.namespace_id, t.project_id, ${at.projectSlug}::text AS project, t.id AS target_id, t.name AS target_name,
                    jsonb_build_object('tag', ${tag}::text, 'version', NULL, 'from', gone.version) AS data
             FROM gone, t`,
       )}
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM v) AS version_found,
              EXISTS (SELECT 1 FROM version_tag g, v WHERE g.namespace_id = v.namespace_id AND g.dataset_id = v.dataset_id
                        AND g.version = v.version AND g.tag = ${tag}::text) AS tag_found,
              (SELECT v.etag FROM v WHERE ${ifMatch === null ? sql`false` : sql`NOT ${ifMatchHolds(sql`v.etag`, ifMatch)}`}) IS NOT NULL AS stale,
              (SELECT ${versionEtag('v', tags)} FROM v, gone) AS etag,
              (SELECT ${jsonOf<VersionDto>(versionFields('v', tags, sql`(SELECT coalesce(json_agg(${SUMMARY('fc')}), '[]') FROM ${frozenCollections('v')} fc)`))}::text
               FROM v, gone) AS body`,
    );
  }

  /** Deletes version `n` (its collection rows with it) unless it holds a tag; the number is not given again. */
  @GenerateSql({ params: (f) => [named(f), f.version, 'admin'] })
  delete(at: NamedAt, version: number, needs: Role): Promise<FoundVersion & { tags: string[] | null }> {
    const scope = targetScope(at, 'dataset', 'share');
    return this.db.one(
      sql`WITH ${scope.with}, ${versionRef(scope, { number: version, text: String(version) }, 'v', sql`FOR UPDATE OF v`)},
       tagged AS (SELECT g.tag FROM version_tag g, v
                  WHERE g.namespace_id = v.namespace_id AND g.dataset_id = v.dataset_id AND g.version = v.version AND g.version >= 1),
       gone AS (
         DELETE FROM dataset_version d USING v
         WHERE d.namespace_id = v.namespace_id AND d.dataset_id = v.dataset_id AND d.version = v.version
           AND ${roleAllows(scope, needs)} AND NOT EXISTS (SELECT 1 FROM tagged)
         RETURNING d.namespace_id, d.dataset_id, d.version
       ),
       counted AS (
         UPDATE version_counter k SET version_count = k.version_count - 1 FROM gone
         WHERE k.namespace_id = gone.namespace_id AND k.dataset_id = gone.dataset_id
       ),
       ${recordChange(
         'ev',
         at,
         'dataset.version.deleted',
         'version',
         sql`SELECT gone.namespace_id, t.project_id, ${at.projectSlug}::text AS project, gone.dataset_id AS target_id,
                    t.name AS target_name, jsonb_build_object('version', gone.version) AS data
             FROM gone, t`,
       )}
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM v) AS version_found,
              (SELECT array_agg(tag ORDER BY tag) FROM tagged) AS tags,
              (SELECT 'deleted' FROM gone) AS body`,
    );
  }

  /**
   * Makes the live dataset equal to the version, as new changes: each of its collections (live,
   * deleted or purged since) comes back into the dataset under its frozen name, fields and members
   * — the members added since deleted (kept in history when another version sees them), the ones
   * removed since put back at their old positions — and the dataset's other collections become
   * standalone. Refused (nothing changed) when a name it needs is held by another live collection.
   * Reads and writes only what changed since the version: O(changes).
   */
  @GenerateSql({ params: (f) => [named(f), ref(f.version), 'writer'], keyed: true })
  restore(
    at: NamedAt,
    version: VersionRef,
    needs: Role,
    keep?: Keep,
  ): Promise<FoundVersion & { clash: string[] | null }> {
    const scope = targetScope(at, 'dataset', 'share');
    const body = sql`(SELECT ${jsonOf<RestoredDatasetDto>({
      ...datasetFields('t'),
      collections: sql`(SELECT coalesce(json_agg(json_build_object('name', u.name, 'memberCount', u.member_count) ORDER BY u.name COLLATE "C"), '[]') FROM upd u)`,
    })}::text FROM t, go)`;
    return this.db.one(
      sql`WITH ${scope.with}, ${versionRef(scope, version)},
       vcs AS (SELECT vc.* FROM version_collection vc, v
               WHERE vc.namespace_id = v.namespace_id AND vc.dataset_id = v.dataset_id AND vc.version = v.version),
       lk AS (
         SELECT c.* FROM (SELECT t.* FROM t, v WHERE ${roleAllows(scope, needs)}) t
         CROSS JOIN LATERAL lock_collections(t.namespace_id, t.id, ARRAY(SELECT collection_id FROM vcs)) c
       ),
       clash AS (
         SELECT x.name FROM vcs x
         WHERE (SELECT true FROM collection o
                WHERE o.namespace_id = x.namespace_id AND o.project_id = (SELECT project_id FROM t) AND o.name = x.name
                  AND o.deleted_at IS NULL AND o.id <> x.collection_id
                  AND o.id <> ALL (ARRAY(SELECT collection_id FROM vcs))
                LIMIT 1)
       ),
       go AS (SELECT 1 FROM v WHERE ${roleAllows(scope, needs)} AND NOT EXISTS (SELECT 1 FROM clash)),
       x AS (
         SELECT vcs.*, c.member_gen AS cur_gen, c.frozen_gen, c.dataset_id AS cur_dataset, c.name AS cur_name,
                c.deleted_at IS NOT NULL AS was_deleted
         FROM vcs JOIN lk c ON c.namespace_id = vcs.namespace_id AND c.id = vcs.collection_id, go
       ),
       del_new AS (
         DELETE FROM collection_member m USING x
         WHERE m.namespace_id = x.namespace_id AND m.collection_id = x.collection_id AND m.position >= 1
           AND m.position > x.max_position
         RETURNING m.*, x.frozen_gen, x.cur_gen
       ),
       del_restored AS (
         DELETE FROM collection_member m USING x
         WHERE m.namespace_id = x.namespace_id AND m.collection_id = x.collection_id AND m.restored
           AND m.added_gen > x.gen AND m.position <= x.max_position
         RETURNING m.*, x.frozen_gen, x.cur_gen
       ),
       gone AS (SELECT * FROM del_new UNION ALL SELECT * FROM del_restored),
       archived AS (
         INSERT INTO member_history (namespace_id, collection_id, node_id, position, added_at, added_gen, removed_gen, restored)
         SELECT g.namespace_id, g.collection_id, g.node_id, g.position, g.added_at, g.added_gen, g.cur_gen + 1, g.restored
         FROM gone g WHERE g.added_gen <= g.frozen_gen
       ),
       back AS (
         INSERT INTO collection_member (namespace_id, collection_id, node_id, position, added_at, added_gen, restored)
         SELECT h.namespace_id, h.collection_id, h.node_id, h.position, h.added_at, x.cur_gen + 1, true
         FROM x JOIN member_history h
           ON h.namespace_id = x.namespace_id AND h.collection_id = x.collection_id AND h.removed_gen >= 1
          AND h.removed_gen > x.gen
         WHERE h.added_gen <= x.gen AND h.position <= x.max_position AND (SELECT count(*) FROM gone) >= 0
         RETURNING collection_id
       ),
       upd AS (
         UPDATE collection c SET dataset_id = t.id, name = x.name, description = x.description, tags = x.tags,
                metadata = x.metadata, deleted_at = NULL, purged_at = NULL, detached_from = NULL,
                member_count = x.member_count, member_gen = x.cur_gen + 1, updated_at = now()
         FROM x, t
         WHERE c.namespace_id = x.namespace_id AND c.id = x.collection_id AND (SELECT count(*) FROM back) >= 0
         RETURNING c.*, x.cur_dataset, x.cur_name, x.was_deleted
       ),
       dropped AS (
         UPDATE collection c SET dataset_id = NULL, updated_at = now()
         FROM lk, t, go
         WHERE c.namespace_id = lk.namespace_id AND c.id = lk.id AND lk.dataset_id = t.id AND lk.deleted_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM vcs WHERE vcs.collection_id = lk.id)
         RETURNING c.name
       ),
       ${recordChange(
         'ev_m',
         at,
         'collection.members.changed',
         'collection',
         sql`SELECT u.namespace_id, u.project_id, ${at.projectSlug}::text AS project, u.id AS target_id, u.name AS target_name,
                    jsonb_build_object('added', a.n, 'removed', r.n, 'total', u.member_count) AS data
             FROM upd u
             CROSS JOIN LATERAL (SELECT count(*) AS n FROM back b WHERE b.collection_id = u.id) a
             CROSS JOIN LATERAL (SELECT count(*) AS n FROM gone g WHERE g.collection_id = u.id) r
             WHERE a.n + r.n > 0`,
       )},
       ${recordChange(
         'ev_c',
         at,
         'collection.restored',
         'collection',
         sql`SELECT u.namespace_id, u.project_id, ${at.projectSlug}::text AS project, u.id AS target_id, u.name AS target_name,
                    NULL::jsonb AS data FROM upd u WHERE u.was_deleted`,
       )},
       ${recordChange(
         'ev_d',
         at,
         'dataset.collections.changed',
         'dataset',
         sql`SELECT t.namespace_id, t.project_id, ${at.projectSlug}::text AS project, t.id AS target_id, t.name AS target_name,
                    jsonb_build_object(
                      'added', coalesce((SELECT jsonb_agg(u.name ORDER BY u.name) FROM upd u WHERE u.cur_dataset IS DISTINCT FROM t.id OR u.was_deleted), '[]'),
                      'removed', coalesce((SELECT jsonb_agg(d.name ORDER BY d.name) FROM dropped d), '[]')) AS data
             FROM t, go
             WHERE EXISTS (SELECT 1 FROM upd u WHERE u.cur_dataset IS DISTINCT FROM t.id OR u.was_deleted) OR EXISTS (SELECT 1 FROM dropped)`,
       )},
       ${recordChange(
         'ev_o',
         at,
         'dataset.collections.changed',
         'dataset',
         sql`SELECT o.namespace_id, o.project_id, ${at.projectSlug}::text AS project, o.id AS target_id, o.name AS target_name,
                    jsonb_build_object('added', '[]'::jsonb, 'removed', jsonb_agg(u.cur_name ORDER BY u.cur_name)) AS data
             FROM upd u JOIN dataset o ON o.namespace_id = u.namespace_id AND o.id = u.cur_dataset, t
             WHERE u.cur_dataset <> t.id AND NOT u.was_deleted
             GROUP BY o.namespace_id, o.project_id, o.id, o.name`,
       )}${keepAnswer(keep, body)}
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM v) AS version_found,
              (SELECT array_agg(name ORDER BY name) FROM clash) AS clash, ${body} AS body`,
      { via: keep?.tx },
    );
  }

  /** Versions whose digest is still to be computed (the digest job's queue), oldest first. */
  @GenerateSql({ params: () => [10] })
  async undigested(limit: number): Promise<{ namespace_id: string; dataset_id: string; version: number }[]> {
    const statement = sql`SELECT namespace_id, dataset_id, version FROM dataset_version WHERE digest IS NULL
      ORDER BY created_at LIMIT ${limit}::int`;
    return this.db.maintenance(statement.text, statement.values);
  }

  /** Stores a version's digest (once: a second instance computing the same bytes finds it set). */
  @GenerateSql({ params: () => [{ namespaceId: EXAMPLE_ID, datasetId: EXAMPLE_ID }, 1, 'sha256:00'] })
  async setDigest(key: { namespaceId: string; datasetId: string }, version: number, digest: string): Promise<void> {
    const statement = sql`UPDATE dataset_version SET digest = ${digest}::text
      WHERE namespace_id = ${key.namespaceId}::uuid AND dataset_id = ${key.datasetId}::uuid AND version = ${version}::int AND digest IS NULL`;
    await this.db.maintenance(statement.text, statement.values);
  }

  /**
   * The storage no version or live collection reaches any more: purged collections no version
   * names (members with them), and history rows no version sees. A batch each; safe from several
   * instances at once.
   */
  @GenerateSql({ params: () => [1000] })
  async reclaim(batch: number): Promise<number> {
    const statement = sql`WITH purged AS (
         DELETE FROM collection c WHERE (c.namespace_id, c.id) IN (
           SELECT p.namespace_id, p.id FROM collection p
           WHERE p.purged_at IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM version_collection vc WHERE vc.namespace_id = p.namespace_id AND vc.collection_id = p.id)
           LIMIT ${batch}::int FOR UPDATE SKIP LOCKED)
         RETURNING 1
       ),
       unseen AS (
         DELETE FROM member_history h WHERE h.ctid IN (
           SELECT x.ctid FROM member_history x
           WHERE NOT EXISTS (SELECT 1 FROM version_collection vc
                             WHERE vc.namespace_id = x.namespace_id AND vc.collection_id = x.collection_id
                               AND vc.gen >= x.added_gen AND vc.gen < x.removed_gen)
           LIMIT ${batch}::int)
         RETURNING 1
       )
       SELECT ((SELECT count(*) FROM purged) + (SELECT count(*) FROM unseen))::int AS reclaimed`;
    const [row] = await this.db.maintenance<{ reclaimed: number }>(statement.text, statement.values);
    return row.reclaimed;
  }
}

/** Example targets for GenerateSql. */
const EXAMPLE_ID = '5d1c8f0e-3b7a-4f2e-9c61-8a4d2b7e0f13';
const named = (f: {
  user: string;
  requestId: string;
  slug: string;
  projectSlug: string;
  dataset: string;
}): NamedAt => ({
  userId: f.user,
  requestId: f.requestId,
  slug: f.slug,
  projectSlug: f.projectSlug,
  kind: 'Dataset',
  name: f.dataset,
});
const ref = (value: number | string): VersionRef =>
  typeof value === 'number' ? { number: value, text: String(value) } : { number: null, text: value };
