import type { Caller } from '../common/target.js';
import { ident, sql, type Sql } from '../database/sql.js';

/** Every type of change the feed carries (docs/CONTRACT.md, "Changes and webhooks"). */
export const CHANGE_TYPES = [
  'namespace.updated',
  'namespace.member.changed',
  'project.created',
  'project.updated',
  'project.deleted',
  'project.restored',
  'dataset.created',
  'dataset.updated',
  'dataset.deleted',
  'dataset.restored',
  'dataset.purged',
  'dataset.collections.changed',
  'dataset.version.created',
  'dataset.version.deleted',
  'dataset.tag.moved',
  'collection.created',
  'collection.updated',
  'collection.deleted',
  'collection.restored',
  'collection.purged',
  'collection.members.changed',
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/** What a change is about. */
export type ChangeTargetKind = 'namespace' | 'member' | 'project' | 'dataset' | 'collection' | 'version';

/**
 * CTE `name` that records a change of `type` for each row of `rows`, in the statement that makes
 * the change (no change without its event, no event without its change). `rows` has the columns
 * `namespace_id, project_id, project, target_id, target_name, data` (data: jsonb or null); the
 * cursor is given at commit (migration VersionsAndChanges, change_stamp()).
 */
export function recordChange(
  name: string,
  caller: Caller | null,
  type: ChangeType,
  kind: ChangeTargetKind,
  rows: Sql,
): Sql {
  return sql`${ident(name)} AS (
    INSERT INTO change (namespace_id, type, actor, request_id, project_id, project, target_kind, target_id, target_name, data)
    SELECT r.namespace_id, ${type}::text, ${caller?.userId ?? null}::text, ${caller?.requestId ?? null}::text,
           r.project_id, r.project, ${kind}::text, r.target_id, r.target_name, r.data
    FROM (${rows}) r
    RETURNING 1
  )`;
}
