import { answer, TestApp, uid, type Json, type Reply } from './harness.js';

/*
 * The objects e2e tests build on, made through the API as a client makes them: each helper sends
 * one request and fails the test unless it answers as it should.
 */

/** The usual cast of a spec: the namespace's owner, a writer and a reader, and a stranger to it. */
export const OWNER = 'alice';
export const WRITER = 'writer';
export const READER = 'reader';
export const STRANGER = 'mallory';

/** A namespace owned by OWNER with WRITER and READER in it, and one project: its path and ids. */
export async function workspace(
  t: TestApp,
): Promise<{ ns: string; path: string; projectSlug: string; projectId: string }> {
  const ns = await t.namespace(OWNER, { [WRITER]: 'writer', [READER]: 'reader' });
  const path = await t.project(ns, OWNER);
  const project = await t.get(path, OWNER);
  expect(project.status).toBe(200);
  return { ns, path, projectSlug: path.split('/').at(-1)!, projectId: project.body.id as string };
}

/** Another project in namespace `ns`: its path. */
export async function freshProject(t: TestApp, ns: string): Promise<string> {
  return t.project(ns, OWNER);
}

/** Creates a dataset in the project at `path`; answers its body. */
export async function createDataset(t: TestApp, path: string, body: Json, as = WRITER): Promise<Json> {
  const res = await t.post(`${path}/datasets`, as, body);
  expect(res.status).toBe(201);
  return res.body as Json;
}

/** Creates a collection in the project at `path`; answers its body. */
export async function createCollection(t: TestApp, path: string, body: Json, as = WRITER): Promise<Json> {
  const res = await t.post(`${path}/collections`, as, body);
  expect(res.status).toBe(201);
  return res.body as Json;
}

/** A collection's body as a reader sees it (all members, unless the query says otherwise). */
export async function getCollection(t: TestApp, path: string, name: string, query?: string): Promise<Json> {
  const res = await t.get(`${path}/collections/${name}`, READER, query);
  expect(res.status).toBe(200);
  return res.body as Json;
}

/** Appends members to a collection; answers `{added, total}`. */
export async function addMembers(t: TestApp, path: string, name: string, ids: string[], as = WRITER): Promise<Json> {
  const res = await t.post(`${path}/collections/${name}/members`, as, { add: ids });
  expect(res.status).toBe(200);
  return res.body as Json;
}

/** Removes members from a collection; answers `{removed, total}`. */
export async function removeMembers(t: TestApp, path: string, name: string, ids: string[], as = WRITER): Promise<Json> {
  const res = await t.delete(`${path}/collections/${name}/members`, as, { remove: ids });
  expect(res.status).toBe(200);
  return res.body as Json;
}

/** Attaches collections to a dataset by name. */
export async function link(t: TestApp, path: string, dataset: string, names: string[], as = WRITER): Promise<Json> {
  const res = await t.post(`${path}/datasets/${dataset}/collections`, as, { add: names });
  expect(res.status).toBe(200);
  return res.body as Json;
}

/** Ids `prefix-0` … `prefix-(n-1)`. */
export const ids = (prefix: string, n: number, from = 0): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i + from}`);

/** A user id of its own, for a test that needs callers no other test knows. */
export const user = (): string => `u-${uid()}`;

/** Status and body only (the harness has already checked the statement count). */
export const sb = ({ status, body }: { status: number; body: unknown }) => ({ status, body });

/*
 * Error answers as `{status, body}`, to compare with sb(reply): the messages of the contract's
 * namespace and role rules.
 */
export const badRequest = (message: string[]) => answer(400, message);
export const forbidden = (message: string) => answer(403, message);
export const notFound = (message: string) => answer(404, message);
export const conflict = (message: string) => answer(409, message);
/** The 403 for `role` in namespace `slug` where a route needs `min`. */
export const needs = (slug: string, role: string, min: string) =>
  forbidden(`Your role in namespace '${slug}' is '${role}'; this needs '${min}' or above`);
/** A missing namespace, and the same body for a caller who is no member of it. */
export const nsNotFound = (slug: string) => notFound(`Namespace '${slug}' not found`);

/** A 400 whose message names one problem with `field` in one string (API.md: "one per problem"). */
export function expectOneProblem(res: Reply, field: string): void {
  expect(res).toEqual({
    status: 400,
    body: { statusCode: 400, error: 'Bad Request', message: [expect.stringMatching(new RegExp(`^${field} `))] },
    statements: 0,
  });
}
