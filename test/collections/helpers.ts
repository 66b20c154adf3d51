import { error } from '../harness.js';
import { ns, P } from '../suite.js';

/* The answers and ids the collections specs share; `P` and `ns` are the spec file's (suite.ts). */

export const ids = (n: number, prefix = 'n'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);

export const notFound = (name: string, path = P) => {
  const [, , slug, , project] = path.split('/');
  return error(404, `Collection '${name}' not found in project '${slug}/${project}'`);
};
export const datasetNotFound = (id: string, path = P) => {
  const [, , slug, , project] = path.split('/');
  return error(404, `Dataset with id '${id}' not found in project '${slug}/${project}'`);
};
export const nonMember = () => error(404, `Namespace '${ns}' not found`);
