/** A JSON array aggregate that is `[]`, not null, when there are no rows. */
export const jsonArray = (expr: string, order: string): string => `coalesce(json_agg(${expr} ORDER BY ${order}), '[]')`;

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
