import { iso } from './scope.js';

/*
 * JSON shapes of the contract built in SQL, shared by the features whose answers embed them
 * (a dataset's GET embeds its collections). Each takes the table alias it reads from.
 */

/**
 * Node ids of collection `c` in insertion order, all of them or the first `limit`. The subquery
 * walks the position index in order and json_agg keeps that order; an ORDER BY inside json_agg
 * would sort a million ids again (PostgreSQL 15 does not skip presorted aggregate input).
 */
export function memberIds(c: string, limit?: number): string {
  return `(SELECT coalesce(json_agg(x.node_id), '[]') FROM (
     SELECT m.node_id FROM collection_member m
     WHERE m.namespace_id = ${c}.namespace_id AND m.collection_id = ${c}.id
     ORDER BY m.position${limit === undefined ? '' : ` LIMIT ${Math.trunc(limit)}`}) x)`;
}

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
