import { Injectable } from '@nestjs/common';
import type { Found } from '../common/outcome.js';
import type { NamespaceAt } from '../common/target.js';
import { Database } from '../database/database.js';
import { jsonOf } from '../database/fragments.js';
import { GenerateSql } from '../database/generate-sql.js';
import { namespaceScope } from '../database/scope.js';
import { and, iso, jsonArray, sql } from '../database/sql.js';
import type { ChangeDto } from './dto/change.dto.js';
import type { ChangeType } from './record.js';

/** What a feed read found: the namespace (its id, for a long poll), its last cursor and the oldest kept. */
export interface FeedPage extends Found {
  namespace_id: string | null;
  last: string;
  purged_through: string;
  /** Changes the page holds. */
  count: number;
}

/** A feed read: after which cursor (null: the oldest kept), how many, of which types and project. */
export interface FeedQuery {
  after: string | null;
  limit: number;
  types: ChangeType[] | null;
  project: string | null;
}

/** A page never reads more than this many changes to find `limit` of the types and project asked for. */
export const FEED_SCAN = 10_000;

/** A change of the feed from row `c`. */
const CHANGE_JSON = jsonOf<ChangeDto>({
  cursor: sql`c.cursor::text`,
  at: iso(sql`c.at`),
  type: sql`c.type`,
  actor: sql`c.actor`,
  requestId: sql`c.request_id`,
  project: sql`c.project`,
  target: sql`json_build_object('kind', c.target_kind, 'id', c.target_id, 'name', c.target_name)`,
  data: sql`c.data`,
});

/** The change feed of a namespace: read in commit order, kept for CHANGES_RETENTION_DAYS. */
@Injectable()
export class ChangesRepository {
  constructor(private readonly db: Database) {}

  /**
   * Up to `limit` changes after the cursor, in cursor (= commit) order, read from the namespace's
   * cursor index: at most FEED_SCAN changes are read to find those of the types and project asked
   * for, and `nextCursor` resumes after the last one read (a page may hold fewer than `limit`).
   * Also answers the namespace's last cursor and how far retention purged, for 400 and 410.
   */
  @GenerateSql(
    { params: (f) => [at(f), { after: '41', limit: 100, types: null, project: null }], scaled: true },
    {
      name: 'types, project',
      params: (f) => [
        at(f),
        { after: null, limit: 100, types: ['collection.members.changed'], project: f.projectSlug },
      ],
      scaled: true,
    },
  )
  page(at: NamespaceAt, query: FeedQuery): Promise<FeedPage & { project_found: boolean }> {
    const scope = namespaceScope(at);
    const filtered = query.types !== null || query.project !== null;
    const start = sql`coalesce(${query.after}::bigint, (SELECT purged_through FROM seq), 0)`;
    return this.db.one(
      sql`WITH ${scope.with},
       seq AS (SELECT s.last, s.purged_through FROM change_seq s, ns WHERE s.namespace_id = ns.id),
       pj AS (SELECT p.id FROM project p, ns WHERE p.namespace_id = ns.id AND p.slug = ${query.project}::text AND p.deleted_at IS NULL),
       scan AS (
         SELECT c.* FROM ns CROSS JOIN LATERAL (
           SELECT c.* FROM change c WHERE c.namespace_id = ns.id AND c.cursor > ${start}
           ORDER BY c.cursor LIMIT ${filtered ? FEED_SCAN : query.limit}::int
         ) c
       ),
       page AS (
         SELECT * FROM scan c
         WHERE ${and(
           query.types === null ? null : sql`c.type = ANY(${query.types}::text[])`,
           query.project === null ? null : sql`c.project_id = (SELECT id FROM pj)`,
         )}
         ORDER BY c.cursor LIMIT ${query.limit}::int
       )
       SELECT ${scope.found}, (SELECT id FROM ns) AS namespace_id,
              (${query.project}::text IS NULL OR EXISTS (SELECT 1 FROM pj)) AS project_found,
              coalesce((SELECT last FROM seq), 0)::text AS last,
              coalesce((SELECT purged_through FROM seq), 0)::text AS purged_through,
              (SELECT count(*)::int FROM page) AS count,
              json_build_object(
                'changes', (SELECT ${jsonArray(CHANGE_JSON, sql`c.cursor`)} FROM page c),
                'nextCursor', (CASE WHEN (SELECT count(*) FROM page) = ${query.limit}::int
                                    THEN (SELECT max(cursor) FROM page)
                                    ELSE coalesce((SELECT max(cursor) FROM scan), ${start}) END)::text
              )::text AS body`,
    );
  }

  /**
   * Drops up to `batch` changes older than `days` (the oldest first), and records per namespace
   * how far the feed was purged (a cursor before it answers 410). Safe from several instances.
   */
  @GenerateSql({ params: () => [30, 1000] })
  async purgeExpired(days: number, batch: number): Promise<number> {
    const statement = sql`WITH gone AS (
         DELETE FROM change c WHERE (c.namespace_id, c.id) IN (
           SELECT x.namespace_id, x.id FROM change x WHERE x.at < now() - make_interval(days => ${days}::int)
           ORDER BY x.at LIMIT ${batch}::int FOR UPDATE SKIP LOCKED)
         RETURNING c.namespace_id, c.cursor
       ),
       upto AS (
         UPDATE change_seq s SET purged_through = greatest(s.purged_through, g.upto)
         FROM (SELECT namespace_id, max(cursor) AS upto FROM gone GROUP BY namespace_id) g
         WHERE s.namespace_id = g.namespace_id
       )
       SELECT count(*)::int AS purged FROM gone`;
    const [row] = await this.db.maintenance<{ purged: number }>(statement.text, statement.values);
    return row.purged;
  }
}

/** An example target for GenerateSql. */
const at = (f: { user: string; requestId: string; slug: string }): NamespaceAt => ({
  userId: f.user,
  requestId: f.requestId,
  slug: f.slug,
});
