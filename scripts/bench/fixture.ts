import type { Api } from './setup.js';

/*
 * The data `npm run bench` and `npm run profile` read, created through the service's own API by
 * one caller (a fresh `sub` per run, so a reused database changes nothing): a namespace with 20
 * projects, the caller in 20 namespaces; in project `bench` 51 datasets and 51 collections (the
 * dataset `ds` holds 2 collections of 10 members, every `cNN` has 10 members) and a collection
 * `m1000` of 1,000 members created first, so list pages hold only the 10-member ones. Writes and
 * the big collection go to projects of their own, so the reads see the same data before and after.
 */

export const NAMESPACES = 20;
export const PROJECTS = 20;
export const DATASETS = 50;
export const COLLECTIONS = 50;
export const MEMBERS_PER_COLLECTION = 10;
export const MEMBER_COLLECTION_SIZE = 1000;

/** Node ids `prefix-from` … `prefix-(from+n-1)`, for the big batches of the benches. */
export const ids = (prefix: string, n: number, from = 0): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i + from}`);

export interface Fixture {
  sub: string;
  namespace: string;
  /** `/namespaces/<ns>/projects/bench` */
  project: string;
  /** Project for the write figures. */
  writes: string;
  /** Project for the big-collection figures. */
  big: string;
}

export interface ReadRoute {
  key: string;
  label: string;
  path: string;
}

const two = (i: number): string => String(i).padStart(2, '0');

export async function createFixture(api: Api, sub: string): Promise<Fixture> {
  const namespace = sub;
  await api.call('POST', '/namespaces', { slug: namespace });
  for (let i = 1; i < NAMESPACES; i++) await api.call('POST', '/namespaces', { slug: `${namespace}-${two(i)}` });
  const projects = `/namespaces/${namespace}/projects`;
  await api.call('POST', projects, { name: 'bench' });
  for (let i = 1; i < PROJECTS; i++) await api.call('POST', projects, { name: `p${two(i)}` });
  await api.call('POST', projects, { name: 'writes' });
  await api.call('POST', projects, { name: 'big' });

  const project = `${projects}/bench`;
  await api.call('POST', `${project}/collections`, {
    name: 'm1000',
    members: ids('m', MEMBER_COLLECTION_SIZE),
  });
  for (let i = 0; i < COLLECTIONS; i++) {
    await api.call('POST', `${project}/collections`, {
      name: `c${two(i)}`,
      tags: ['bench', `t${i % 5}`],
      members: ids(`c${two(i)}`, MEMBERS_PER_COLLECTION),
    });
  }
  for (let i = 0; i < DATASETS; i++) {
    await api.call('POST', `${project}/datasets`, { name: `d${two(i)}`, tags: ['bench'], description: `dataset ${i}` });
  }
  await api.call('POST', `${project}/datasets`, { name: 'ds', tags: ['bench'] });
  await api.call('POST', `${project}/datasets/ds/collections`, { add: ['c00', 'c01'] });
  await api.call('POST', `${projects}/writes/collections`, { name: 'w' });
  return { sub, namespace, project, writes: `${projects}/writes`, big: `${projects}/big` };
}

/** The main reads, each one request shape; `key` is what BENCH_ROUTES and `npm run profile` select by. */
export function readRoutes(f: Fixture): ReadRoute[] {
  return [
    { key: 'namespace', label: 'GET namespace', path: `/namespaces/${f.namespace}` },
    { key: 'project', label: 'GET project', path: f.project },
    { key: 'dataset', label: 'GET dataset (2 collections × 10 members)', path: `${f.project}/datasets/ds` },
    {
      key: 'collection',
      label: `GET collection (${MEMBERS_PER_COLLECTION} members)`,
      path: `${f.project}/collections/c10`,
    },
    { key: 'datasets', label: `GET dataset list (${DATASETS})`, path: `${f.project}/datasets` },
    { key: 'collections', label: `GET collections list (${COLLECTIONS})`, path: `${f.project}/collections` },
    {
      key: 'projects',
      label: `GET projects list (${PROJECTS + 2})`,
      path: `/namespaces/${f.namespace}/projects`,
    },
    { key: 'namespaces', label: `GET namespaces list (${NAMESPACES})`, path: '/namespaces' },
    {
      key: 'members-page',
      label: `GET member page (50 of ${MEMBER_COLLECTION_SIZE})`,
      path: `${f.project}/collections/m1000/members?page=2&pageSize=50`,
    },
    {
      key: 'members-cursor',
      label: `GET member cursor page (100 after #500 of ${MEMBER_COLLECTION_SIZE})`,
      path: `${f.project}/collections/m1000/members?after=m-499&limit=100`,
    },
  ];
}

/** The routes whose keys are listed in `spec` (comma-separated), or all of them when it is empty. */
export function selectRoutes(routes: ReadRoute[], spec: string | undefined): ReadRoute[] {
  const keys = (spec ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (keys.length === 0) return routes;
  const unknown = keys.filter((key) => !routes.some((route) => route.key === key));
  if (unknown.length > 0) {
    throw new Error(`unknown route(s) ${unknown.join(', ')}; known: ${routes.map((route) => route.key).join(', ')}`);
  }
  return routes.filter((route) => keys.includes(route.key));
}
