/** A JSON array aggregate that is `[]`, not null, when there are no rows. */
export const jsonArray = (expr: string, order: string): string => `coalesce(json_agg(${expr} ORDER BY ${order}), '[]')`;

/**
 * The JSON text of a page answer, `{"<key>": [...], page, pageSize, total, totalPages}`, from the
 * items' JSON array, the exact total and the page parameters (`$n` of page and pageSize). The total
 * is computed once (OFFSET 0 keeps the planner from copying its subquery into both uses).
 */
export function pageBody(key: string, items: string, total: string, page: string, pageSize: string): string {
  return `(SELECT json_build_object('${key}', ${items}, 'page', ${page}::int, 'pageSize', ${pageSize}::int,
            'total', tot.n, 'totalPages', (tot.n + ${pageSize}::int - 1) / ${pageSize}::int)::text
          FROM (SELECT (${total})::int AS n OFFSET 0) tot)`;
}

/** LIMIT/OFFSET of page `$page` (from 1) of `$pageSize` rows. */
export const pageWindow = (page: string, pageSize: string): string =>
  `LIMIT ${pageSize}::int OFFSET (${page}::int - 1) * ${pageSize}::int`;

/** Columns a PATCH may set, by how their JSON value becomes a column value. */
type PatchColumn = 'slug' | 'name' | 'description' | 'tags' | 'metadata';

const PATCH_VALUE: Record<PatchColumn, (patch: string) => string> = {
  slug: (patch) => `${patch}->>'slug'`,
  name: (patch) => `${patch}->>'name'`,
  description: (patch) => `${patch}->>'description'`,
  tags: (patch) => `ARRAY(SELECT jsonb_array_elements_text(${patch}->'tags'))`,
  metadata: (patch) => `nullif(${patch}->'metadata', 'null')`,
};

/**
 * SET assignments for a PATCH given as one jsonb parameter: a column changes only when its key is
 * present in the body, so an absent field keeps its value (and concurrent PATCHes of different
 * fields both stick, as each re-reads the row it updates).
 */
export function patchAssignments(alias: string, param: string, columns: PatchColumn[]): string {
  const patch = `${param}::jsonb`;
  return columns
    .map((c) => `${c} = CASE WHEN ${patch} ? '${c}' THEN ${PATCH_VALUE[c](patch)} ELSE ${alias}.${c} END`)
    .join(',\n           ');
}

/** Whether the tag expression `etag` satisfies conditional-header tags in parameter `param` (text[]; `*` is any). */
export const tagMatches = (etag: string, param: string): string =>
  `(${etag} = ANY(${param}::text[]) OR '*' = ANY(${param}::text[]))`;

/** Whether a change may go ahead under If-Match tags in `param` (null: no If-Match). */
export const ifMatchHolds = (etag: string, param: string): string =>
  `(${param}::text[] IS NULL OR ${tagMatches(etag, param)})`;

/**
 * Positional parameters of a statement whose text depends on the request (a list's filters): each
 * value is added where it is used and referenced as `$n::type`, so no parameter goes unused.
 */
export class Params {
  readonly values: unknown[];
  constructor(first: unknown[] = []) {
    this.values = [...first];
  }
  /** Adds `value` and answers its reference, `$n::type`. */
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}
