/*
 * Each repository method carries the example calls its SQL is rendered with (as Immich's
 * @GenerateSql): `npm run sql` renders every example of every method into sql/, CI fails when a
 * method has none or the files drift, and the plan test EXPLAINs the `scaled` and prepared ones on
 * a big database with the names of that database.
 */

/** The names an example call addresses; the renderer and the plan test each give their own. */
export interface Fixture {
  user: string;
  requestId: string;
  slug: string;
  projectSlug: string;
  dataset: string;
  collection: string;
  /** A member of `collection` (a cursor). */
  member: string;
  /** A tag some collections and datasets carry. */
  tag: string;
  /** A substring of some names. */
  word: string;
  /** A dataset id of the project. */
  datasetId: string;
  /** A deleted dataset or collection id (trash). */
  trashId: string;
  /** Ids in a member add/remove batch (absent ones). */
  batch: number;
  /** A version number of `dataset`, and a later one (diffs). */
  version: number;
  laterVersion: number;
}

/** One example call of a repository method. */
export interface SqlExample {
  /** Shown after the method's name (`CollectionsRepository.list (q)`); the plan test's budgets use it. */
  name?: string;
  /** The method's arguments for these names. */
  params: (f: Fixture) => unknown[];
  /** A list, page, cursor or batch: the plan test holds it to a buffer budget. */
  scaled?: boolean;
  /**
   * The method takes a `Keep` (Idempotency-Key) as its last argument: the statement is also
   * rendered with one, as retries send it.
   */
  keyed?: boolean;
}

const EXAMPLES = new Map<object, Map<string, SqlExample[]>>();

/** Attaches example calls to a repository method. */
export function GenerateSql(...examples: SqlExample[]): MethodDecorator {
  return (target, key) => {
    const byMethod = EXAMPLES.get(target) ?? new Map<string, SqlExample[]>();
    byMethod.set(String(key), [...(byMethod.get(String(key)) ?? []), ...examples]);
    EXAMPLES.set(target, byMethod);
  };
}

/** The example calls of `method` on a repository's prototype (empty: none given). */
export function sqlExamples(prototype: object, method: string): SqlExample[] {
  return EXAMPLES.get(prototype)?.get(method) ?? [];
}

/** A method that sends no statement of its own (say why), so needs no example. */
export function NoSql(_why: string): MethodDecorator {
  return (target, key) => {
    const byMethod = EXAMPLES.get(target) ?? new Map<string, SqlExample[]>();
    byMethod.set(String(key), []);
    EXAMPLES.set(target, byMethod);
  };
}

/** Whether `method` was declared (with examples or as sending none). */
export function sqlDeclared(prototype: object, method: string): boolean {
  return EXAMPLES.get(prototype)?.has(method) ?? false;
}
