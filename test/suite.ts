import { error, TestApp, type Json } from './harness.js';
import {
  createCollection as createCollectionIn,
  createDataset as createDatasetIn,
  getCollection as getCollectionIn,
  OWNER,
  WRITER,
  workspace,
} from './factories.js';

/*
 * The app one spec file tests, booted before its tests and closed after them, and (for the route
 * specs of datasets and collections) the namespace and project they share. The bindings are set
 * by bootApp() or bootAppWithProject(); every spec file has its own copy of this module. The
 * helpers are factories.ts's, bound to this file's app and namespace.
 */

export let t: TestApp;
/** The shared namespace: OWNER owns it, WRITER and READER are members with those roles. */
export let ns: string;
/** The shared project's path, `/namespaces/:ns/projects/:projectSlug`. */
export let P: string;
export let projectSlug: string;
export let projectId: string;

export function bootApp(): void {
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });
}

export function bootAppWithProject(): void {
  bootApp();
  beforeAll(async () => {
    ({ ns, path: P, projectSlug, projectId } = await workspace(t));
  });
}

/** A fresh project in the shared namespace, for tests that look at whole lists. */
export async function freshProject(): Promise<{ path: string; id: string; slug: string }> {
  const path = await t.project(ns, OWNER);
  const res = await t.get(path, OWNER);
  expect(res.status).toBe(200);
  return { path, id: res.body.id, slug: path.split('/').at(-1)! };
}

export const getCollection = (path: string, name: string, query?: string): Promise<Json> =>
  getCollectionIn(t, path, name, query);

export const createDataset = (path: string, body: Json, as = WRITER): Promise<Json> =>
  createDatasetIn(t, path, body, as);

export const createCollection = (path: string, body: Json, as = WRITER): Promise<Json> =>
  createCollectionIn(t, path, body, as);

/** A reader's 403 in the shared namespace. */
export const forbidden = () => error(403, `Your role in namespace '${ns}' is 'reader'; this needs 'writer' or above`);
