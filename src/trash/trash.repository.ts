import { Injectable } from '@nestjs/common';
import type { ScopeResult } from '../auth/access.js';
import type { Role } from '../auth/roles.js';
import { Database } from '../database/database.js';
import { collectionJson, datasetJson, memberIds } from '../database/fragments.js';
import { PROJECT_SCOPE, PROJECT_SCOPE_COLUMNS, iso } from '../database/scope.js';
import { jsonArray, pageBody } from '../database/sql.js';
import { keepAnswer, type Keep } from '../idempotency/keep.js';
import type { TrashType } from './dto/trash.dto.js';

/** CTE `tid(id)`: the path's id as a uuid, or null when it is not one (then nothing matches: 404). */
const TRASH_ID = `tid AS (
    SELECT CASE WHEN $4::text ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN $4::text::uuid END AS id
  )`;

/** CTEs `ds` and `cs`: the deleted dataset or collection of the project with that id, locked. */
const TRASHED = `${TRASH_ID},
  ds AS (
    SELECT d.* FROM dataset d JOIN pr ON d.namespace_id = pr.namespace_id AND d.project_id = pr.id, tid
    WHERE d.id = tid.id AND d.deleted_at IS NOT NULL FOR NO KEY UPDATE OF d
  ),
  cs AS (
    SELECT c.* FROM collection c JOIN pr ON c.namespace_id = pr.namespace_id AND c.project_id = pr.id, tid
    WHERE c.id = tid.id AND c.deleted_at IS NOT NULL FOR NO KEY UPDATE OF c
  )`;

const FOUND_IN_TRASH = `(EXISTS (SELECT 1 FROM ds) OR EXISTS (SELECT 1 FROM cs)) AS target_found`;

export interface RestoreResult extends ScopeResult {
  target_found: boolean;
  type: TrashType | null;
  name_taken: boolean;
  name: string | null;
  body: string | null;
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
  list(
    userId: string,
    slug: string,
    projectSlug: string,
    type: TrashType | null,
    page: number,
    pageSize: number,
  ): Promise<ScopeResult & { body: string | null }> {
    const branch = (table: 'dataset' | 'collection', count: string) => `
        SELECT '${table}' AS type, x.id, x.name, x.deleted_at, ${count} AS member_count
        FROM pr CROSS JOIN LATERAL (
          SELECT x.* FROM ${table} x
          WHERE x.namespace_id = pr.namespace_id AND x.project_id = pr.id AND x.deleted_at IS NOT NULL
          ORDER BY x.deleted_at DESC, x.id DESC LIMIT $5::int * $6::int
        ) x
        WHERE $4::text IS NULL OR $4::text = '${table}'`;
    const item = `CASE WHEN t.type = 'collection'
        THEN json_build_object('type', t.type, 'id', t.id, 'name', t.name, 'deletedAt', ${iso('t.deleted_at')}, 'memberCount', t.member_count)
        ELSE json_build_object('type', t.type, 'id', t.id, 'name', t.name, 'deletedAt', ${iso('t.deleted_at')}) END`;
    return this.db.row(
      `WITH ${PROJECT_SCOPE},
       page AS (
         SELECT * FROM (${branch('dataset', 'NULL::int')} UNION ALL ${branch('collection', 'x.member_count')}) t
         ORDER BY t.deleted_at DESC, t.id DESC LIMIT $6::int OFFSET ($5::int - 1) * $6::int
       )
       SELECT ${PROJECT_SCOPE_COLUMNS},
              ${pageBody(
                'items',
                `(SELECT ${jsonArray(item, 't.deleted_at DESC, t.id DESC')} FROM page t)`,
                `(SELECT CASE $4::text WHEN 'dataset' THEN p.dataset_trash_count WHEN 'collection' THEN p.collection_trash_count
                         ELSE p.dataset_trash_count + p.collection_trash_count END
                  FROM project p JOIN pr ON p.namespace_id = pr.namespace_id AND p.id = pr.id)`,
                '$5',
                '$6',
              )} AS body`,
      [userId, slug, projectSlug, type, page, pageSize],
    );
  }

  /**
   * Brings a deleted dataset or collection back, under its old name or `name`, unless a live row
   * of its kind holds that name (`name_taken`, nothing changed). A dataset re-attaches the
   * collections its deletion detached that are still standalone; a collection comes back into its
   * dataset when that is live, else standalone. Answers the restored object as JSON text.
   */
  restore(
    userId: string,
    slug: string,
    projectSlug: string,
    id: string,
    name: string | null,
    allowed: Role[],
    keep?: Keep,
  ): Promise<RestoreResult> {
    const params: unknown[] = [userId, slug, projectSlug, id, name, allowed];
    const body = `coalesce((SELECT ${datasetJson('rd')}::text FROM rd), (SELECT ${collectionJson('rc', memberIds('rc', null))}::text FROM rc))`;
    return (keep?.tx ?? this.db)
      .query<RestoreResult>(
        `WITH ${PROJECT_SCOPE}, ${TRASHED},
       wanted AS (SELECT coalesce($5::text, (SELECT name FROM ds), (SELECT name FROM cs)) AS name),
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
       go AS (SELECT wanted.name FROM wanted, taken, ns WHERE NOT taken.taken AND ns.role = ANY($6::text[])),
       rd AS (
         UPDATE dataset d SET deleted_at = NULL, name = go.name, updated_at = now()
         FROM ds, go WHERE d.namespace_id = ds.namespace_id AND d.id = ds.id
         RETURNING d.*
       ),
       reattached AS (
         UPDATE collection c SET dataset_id = rd.id, updated_at = now()
         FROM rd
         WHERE c.namespace_id = rd.namespace_id AND c.detached_from = rd.id AND c.dataset_id IS NULL AND c.deleted_at IS NULL
         RETURNING c.id
       ),
       rc AS (
         UPDATE collection c SET deleted_at = NULL, name = go.name, updated_at = now(),
           dataset_id = (SELECT d.id FROM dataset d
                         WHERE d.namespace_id = c.namespace_id AND d.id = c.dataset_id AND d.deleted_at IS NULL)
         FROM cs, go WHERE c.namespace_id = cs.namespace_id AND c.id = cs.id
         RETURNING c.*
       )${keepAnswer(keep, params, body)}
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${FOUND_IN_TRASH},
              CASE WHEN EXISTS (SELECT 1 FROM ds) THEN 'dataset' WHEN EXISTS (SELECT 1 FROM cs) THEN 'collection' END AS type,
              coalesce((SELECT taken FROM taken), false) AS name_taken,
              (SELECT name FROM wanted) AS name,
              ${body} AS body`,
        params,
      )
      .then(([row]) => row);
  }

  /** Deletes a deleted dataset or collection for good (members with it) if the caller's role is in `allowed`. */
  purge(
    userId: string,
    slug: string,
    projectSlug: string,
    id: string,
    allowed: Role[],
  ): Promise<ScopeResult & { target_found: boolean; purged: boolean }> {
    return this.db.row(
      `WITH ${PROJECT_SCOPE}, ${TRASHED},
       gd AS (
         DELETE FROM dataset d USING ds, ns
         WHERE d.namespace_id = ds.namespace_id AND d.id = ds.id AND ns.role = ANY($5::text[])
         RETURNING d.namespace_id, d.id
       ),
       gc AS (
         DELETE FROM collection c USING cs, ns
         WHERE c.namespace_id = cs.namespace_id AND c.id = cs.id AND ns.role = ANY($5::text[])
         RETURNING c.id
       ),
       forgotten AS (
         UPDATE collection c SET detached_from = NULL FROM gd
         WHERE c.namespace_id = gd.namespace_id AND c.detached_from = gd.id
       )
       SELECT ${PROJECT_SCOPE_COLUMNS}, ${FOUND_IN_TRASH},
              (EXISTS (SELECT 1 FROM gd) OR EXISTS (SELECT 1 FROM gc)) AS purged`,
      [userId, slug, projectSlug, id, allowed],
    );
  }

  /**
   * Purges up to `batch` collections and `batch` datasets deleted more than `days` ago (members
   * with them). Safe to run from several instances at once: a row one of them deletes, the other
   * skips.
   */
  async purgeExpired(days: number, batch: number): Promise<number> {
    const [row] = await this.db.maintenance<{ purged: number }>(
      `WITH gc AS (
         DELETE FROM collection WHERE (namespace_id, id) IN (
           SELECT namespace_id, id FROM collection WHERE deleted_at < now() - make_interval(days => $1::int) LIMIT $2::int)
         RETURNING 1
       ),
       gd AS (
         DELETE FROM dataset WHERE (namespace_id, id) IN (
           SELECT namespace_id, id FROM dataset WHERE deleted_at < now() - make_interval(days => $1::int) LIMIT $2::int)
         RETURNING namespace_id, id
       ),
       forgotten AS (
         UPDATE collection c SET detached_from = NULL FROM gd
         WHERE c.namespace_id = gd.namespace_id AND c.detached_from = gd.id
       )
       SELECT ((SELECT count(*) FROM gc) + (SELECT count(*) FROM gd))::int AS purged`,
      [days, batch],
    );
    return row.purged;
  }
}
