import { Injectable } from '@nestjs/common';
import type { Role } from '../auth/roles.js';
import { recordChange } from '../changes/record.js';
import type { Found } from '../common/outcome.js';
import type { ProjectAt } from '../common/target.js';
import { Database } from '../database/database.js';
import { datasetJson, jsonOf, STREAM_ABOVE, writtenCollectionJson } from '../database/fragments.js';
import { GenerateSql } from '../database/generate-sql.js';
import { projectScope, roleAllows, type Scope } from '../database/scope.js';
import {
  and,
  col,
  ifMatchUntagged,
  iso,
  jsonArray,
  pageBody,
  sql,
  type PageWindow,
  type Sql,
} from '../database/sql.js';
import { keepAnswer, type Keep } from '../idempotency/keep.js';
import type { TrashItemDto, TrashType } from './dto/trash.dto.js';

/** What a trash route found: whether the id is among the project's deleted datasets or collections, and what happened. */
export interface Trashed extends Found {
  in_trash: boolean;
}

/** What a purge found: also whether If-Match (if any) held (a trash item has no ETag: only `*` does). */
export interface Purged extends Trashed {
  tag_holds: boolean;
}

export interface Restored extends Trashed {
  type: TrashType | null;
  name_taken: boolean;
  name: string | null;
}

/**
 * CTEs `tid(id)`, the path's id as a uuid or null when it is not one (then nothing matches: 404),
 * and `ds` / `cs`: the deleted dataset or collection of the scope's project with that id, locked
 * (a purged collection a version still names is not in the trash).
 */
const trashed = (_scope: Scope<'pr'>, id: string): Sql => sql`tid AS (
    SELECT CASE WHEN ${id}::text ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN ${id}::text::uuid END AS id
  ),
  ds AS (
    SELECT d.* FROM dataset d JOIN pr ON d.namespace_id = pr.namespace_id AND d.project_id = pr.id, tid
    WHERE d.id = tid.id AND d.deleted_at IS NOT NULL FOR NO KEY UPDATE OF d
  ),
  cs AS (
    SELECT c.* FROM collection c JOIN pr ON c.namespace_id = pr.namespace_id AND c.project_id = pr.id, tid
    WHERE c.id = tid.id AND c.deleted_at IS NOT NULL AND c.purged_at IS NULL FOR NO KEY UPDATE OF c
  )`;

const FOUND_IN_TRASH = sql`(EXISTS (SELECT 1 FROM ds) OR EXISTS (SELECT 1 FROM cs)) AS in_trash`;

/** The rows of change events about rows `x` (alias) of the project, `data` for each. */
const eventRows = (at: ProjectAt | null, x: string, from: Sql, data: Sql = sql`NULL::jsonb`): Sql =>
  sql`SELECT ${col(x, 'namespace_id')}, ${col(x, 'project_id')},
             ${at === null ? sql`(SELECT p.slug FROM project p WHERE p.namespace_id = ${col(x, 'namespace_id')} AND p.id = ${col(x, 'project_id')})` : sql`${at.projectSlug}::text`} AS project,
             ${col(x, 'id')} AS target_id, ${col(x, 'name')} AS target_name, ${data} AS data
      FROM ${from}`;

/** A purged collection some version names keeps its row and members (hidden); the version purge job deletes it later. */
const namedByVersion = (c: string): Sql =>
  sql`coalesce((SELECT true FROM version_collection vc
                WHERE vc.namespace_id = ${col(c, 'namespace_id')} AND vc.collection_id = ${col(c, 'id')} LIMIT 1), false)`;

/**
 * CTEs `gd`, `gc`, `pc`, `forgotten` and the events: the purge of datasets `datasets` and
 * collections `collections` (relations of rows), when `allowed`.
 */
function purgeOf(at: ProjectAt | null, datasets: Sql, collections: Sql, allowed: Sql): Sql {
  return sql`gd AS (
       DELETE FROM dataset d USING ${datasets} x
       WHERE d.namespace_id = x.namespace_id AND d.id = x.id AND ${allowed}
       RETURNING d.namespace_id, d.project_id, d.id, d.name
     ),
     gc AS (
       DELETE FROM collection c USING ${collections} x
       WHERE c.namespace_id = x.namespace_id AND c.id = x.id AND ${allowed} AND NOT ${namedByVersion('c')}
       RETURNING c.namespace_id, c.project_id, c.id, c.name
     ),
     pc AS (
       UPDATE collection c SET purged_at = now() FROM ${collections} x
       WHERE c.namespace_id = x.namespace_id AND c.id = x.id AND ${allowed} AND ${namedByVersion('c')}
       RETURNING c.namespace_id, c.project_id, c.id, c.name
     ),
     forgotten AS (
       UPDATE collection c SET detached_from = NULL FROM gd
       WHERE c.namespace_id = gd.namespace_id AND c.detached_from = gd.id
     ),
     ${recordChange('ev_d', at, 'dataset.purged', 'dataset', eventRows(at, 'gd', sql`gd`))},
     ${recordChange('ev_c', at, 'collection.purged', 'collection', eventRows(at, 'g', sql`(SELECT * FROM gc UNION ALL SELECT * FROM pc) g`))}`;
}

/** The trash of a project (AIP-164): deleted datasets and collections, restorable until purged. */
@Injectable()
export class TrashRepository {
  constructor(private readonly db: Database) {}

  /**
   * One page of the project's deleted datasets and collections, newest deletion first: each table
   * read from its trash index up to the page's end, then merged; `total` from the project's
   * counters.
   */
  @GenerateSql(
    { params: (f) => [at(f), null, { page: 1, pageSize: 50 }], scaled: true },
    { name: 'collections, page 3', params: (f) => [at(f), 'collection', { page: 3, pageSize: 20 }], scaled: true },
  )
  list(at: ProjectAt, type: TrashType | null, page: PageWindow): Promise<Found> {
    const scope = projectScope(at);
    const upTo = sql`LIMIT ${page.page}::bigint * ${page.pageSize}::int`;
    const item = sql`CASE WHEN t.type = 'collection' THEN ${jsonOf<TrashItemDto>({
      type: sql`t.type`,
      id: sql`t.id`,
      name: sql`t.name`,
      deletedAt: iso(sql`t.deleted_at`),
      memberCount: sql`t.member_count`,
    })} ELSE ${jsonOf<TrashItemDto>({
      type: sql`t.type`,
      id: sql`t.id`,
      name: sql`t.name`,
      deletedAt: iso(sql`t.deleted_at`),
      memberCount: null,
    })} END`;
    return this.db.one(
      sql`WITH ${scope.with},
       page AS (
         SELECT * FROM (
           SELECT 'dataset' AS type, x.id, x.name, x.deleted_at, NULL::int AS member_count
           FROM pr CROSS JOIN LATERAL (
             SELECT x.* FROM dataset x
             WHERE x.namespace_id = pr.namespace_id AND x.project_id = pr.id AND x.deleted_at IS NOT NULL
             ORDER BY x.deleted_at DESC, x.id DESC ${upTo}
           ) x
           WHERE ${type}::text IS NULL OR ${type}::text = 'dataset'
           UNION ALL
           SELECT 'collection' AS type, x.id, x.name, x.deleted_at, x.member_count
           FROM pr CROSS JOIN LATERAL (
             SELECT x.* FROM collection x
             WHERE x.namespace_id = pr.namespace_id AND x.project_id = pr.id AND x.deleted_at IS NOT NULL AND x.purged_at IS NULL
             ORDER BY x.deleted_at DESC, x.id DESC ${upTo}
           ) x
           WHERE ${type}::text IS NULL OR ${type}::text = 'collection'
         ) t
         ORDER BY t.deleted_at DESC, t.id DESC LIMIT ${page.pageSize}::int OFFSET (${page.page}::bigint - 1) * ${page.pageSize}::int
       )
       SELECT ${scope.found},
              ${pageBody(
                'items',
                sql`(SELECT ${jsonArray(item, sql`t.deleted_at DESC, t.id DESC`)} FROM page t)`,
                sql`(SELECT CASE ${type}::text WHEN 'dataset' THEN p.dataset_trash_count WHEN 'collection' THEN p.collection_trash_count
                         ELSE p.dataset_trash_count + p.collection_trash_count END
                  FROM project p JOIN pr ON p.namespace_id = pr.namespace_id AND p.id = pr.id)`,
                page,
              )} AS body`,
      { prepared: true },
    );
  }

  /**
   * Brings a deleted dataset or collection back, under its old name or `name`, unless a live row
   * of its kind holds that name (`name_taken`, nothing changed). A dataset re-attaches the
   * collections its deletion detached that are still standalone; a collection comes back into its
   * dataset when that is live (share-locked, so a concurrent delete of it waits or wins), else
   * standalone. Answers the restored object as JSON text (a collection of more than `fullUpTo`
   * members with the first 100 and membersTruncated).
   */
  @GenerateSql({ params: (f) => [at(f), f.trashId, null, 'writer'], keyed: true })
  restore(
    at: ProjectAt,
    id: string,
    name: string | null,
    needs: Role,
    keep?: Keep,
    fullUpTo: number = STREAM_ABOVE,
  ): Promise<Restored> {
    const scope = projectScope(at);
    const body = sql`coalesce((SELECT ${datasetJson('rd')}::text FROM rd), (SELECT ${writtenCollectionJson('rc', fullUpTo)}::text FROM rc))`;
    return this.db.one(
      sql`WITH ${scope.with}, ${trashed(scope, id)},
       wanted AS (SELECT coalesce(${name}::text, (SELECT name FROM ds), (SELECT name FROM cs)) AS name),
       taken AS (
         SELECT EXISTS (
                  SELECT 1 FROM dataset d, ds, wanted
                  WHERE d.namespace_id = ds.namespace_id AND d.project_id = ds.project_id AND d.name = wanted.name
                    AND d.deleted_at IS NULL)
             OR EXISTS (
                  SELECT 1 FROM collection c, cs, wanted
                  WHERE c.namespace_id = cs.namespace_id AND c.project_id = cs.project_id AND c.name = wanted.name
                    AND c.deleted_at IS NULL) AS taken
       ),
       go AS (SELECT wanted.name FROM wanted, taken WHERE NOT taken.taken AND ${roleAllows(scope, needs)}),
       rd AS (
         UPDATE dataset d SET deleted_at = NULL, name = go.name, updated_at = now()
         FROM ds, go WHERE d.namespace_id = ds.namespace_id AND d.id = ds.id
         RETURNING d.*
       ),
       reattached AS (
         UPDATE collection c SET dataset_id = rd.id, updated_at = now()
         FROM rd
         WHERE c.namespace_id = rd.namespace_id AND c.detached_from = rd.id AND c.dataset_id IS NULL AND c.deleted_at IS NULL
         RETURNING c.name
       ),
       home AS (
         SELECT d.id, d.name FROM dataset d, cs, go
         WHERE d.namespace_id = cs.namespace_id AND d.id = cs.dataset_id AND d.deleted_at IS NULL
         FOR SHARE OF d
       ),
       rc AS (
         UPDATE collection c SET deleted_at = NULL, name = go.name, updated_at = now(), dataset_id = (SELECT id FROM home)
         FROM cs, go WHERE c.namespace_id = cs.namespace_id AND c.id = cs.id
         RETURNING c.*
       ),
       ${recordChange('ev_d', at, 'dataset.restored', 'dataset', eventRows(at, 'rd', sql`rd`))},
       ${recordChange(
         'ev_dc',
         at,
         'dataset.collections.changed',
         'dataset',
         eventRows(
           at,
           'rd',
           sql`rd WHERE EXISTS (SELECT 1 FROM reattached)`,
           sql`jsonb_build_object('added', (SELECT jsonb_agg(r.name ORDER BY r.name) FROM reattached r), 'removed', '[]'::jsonb)`,
         ),
       )},
       ${recordChange('ev_c', at, 'collection.restored', 'collection', eventRows(at, 'rc', sql`rc`))},
       ${recordChange(
         'ev_cd',
         at,
         'dataset.collections.changed',
         'dataset',
         sql`SELECT rc.namespace_id, rc.project_id, ${at.projectSlug}::text AS project, home.id AS target_id,
                    home.name AS target_name,
                    jsonb_build_object('added', jsonb_build_array(rc.name), 'removed', '[]'::jsonb) AS data
             FROM rc, home WHERE rc.dataset_id = home.id`,
       )}${keepAnswer(keep, body)}
       SELECT ${scope.found}, ${FOUND_IN_TRASH},
              CASE WHEN EXISTS (SELECT 1 FROM ds) THEN 'dataset' WHEN EXISTS (SELECT 1 FROM cs) THEN 'collection' END AS type,
              coalesce((SELECT taken FROM taken), false) AS name_taken,
              (SELECT name FROM wanted) AS name,
              ${body} AS body`,
      { via: keep?.tx },
    );
  }

  /**
   * Deletes a deleted dataset or collection for good (members with it, and a dataset's versions)
   * if the caller's role allows it and If-Match, if any, is `*` (the item has no ETag of its own);
   * a collection some version names is hidden instead, and deleted by the version purge job once
   * no version names it.
   */
  @GenerateSql(
    { params: (f) => [at(f), f.trashId, 'admin', null] },
    { name: 'If-Match', params: (f) => [at(f), f.trashId, 'admin', ['*']] },
  )
  purge(at: ProjectAt, id: string, needs: Role, ifMatch: string[] | null): Promise<Purged> {
    const scope = projectScope(at);
    // The locked row is in `ds` or `cs` exactly when the id is in the trash.
    const holds = ifMatchUntagged(sql`(EXISTS (SELECT 1 FROM ds) OR EXISTS (SELECT 1 FROM cs))`, ifMatch);
    return this.db.one(
      sql`WITH ${scope.with}, ${trashed(scope, id)},
       ${purgeOf(at, sql`ds`, sql`cs`, and(roleAllows(scope, needs), holds))}
       SELECT ${scope.found}, ${FOUND_IN_TRASH}, ${holds} AS tag_holds,
              CASE WHEN EXISTS (SELECT 1 FROM gd) OR EXISTS (SELECT 1 FROM gc) OR EXISTS (SELECT 1 FROM pc) THEN 'purged' END AS body`,
    );
  }

  /**
   * Purges up to `batch` collections and `batch` datasets deleted more than `days` ago (members
   * with them). Safe to run from several instances at once: a row one of them deletes, the other
   * skips.
   */
  @GenerateSql({ params: () => [30, 100] })
  async purgeExpired(days: number, batch: number): Promise<number> {
    const expired = (table: Sql, live: Sql) =>
      sql`(SELECT namespace_id, id FROM ${table} WHERE deleted_at < now() - make_interval(days => ${days}::int) ${live}
           ORDER BY deleted_at LIMIT ${batch}::int FOR UPDATE SKIP LOCKED)`;
    const statement = sql`WITH ${purgeOf(null, expired(sql`dataset`, sql``), expired(sql`collection`, sql`AND purged_at IS NULL`), sql`true`)}
       SELECT ((SELECT count(*) FROM gc) + (SELECT count(*) FROM pc) + (SELECT count(*) FROM gd))::int AS purged`;
    const [row] = await this.db.maintenance<{ purged: number }>(statement.text, statement.values);
    return row.purged;
  }
}

/** Example targets for GenerateSql. */
const at = (f: { user: string; requestId: string; slug: string; projectSlug: string }): ProjectAt => ({
  userId: f.user,
  requestId: f.requestId,
  slug: f.slug,
  projectSlug: f.projectSlug,
});
