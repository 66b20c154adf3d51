import { error } from '../harness.js';

/* The answers and orderings the datasets specs share. */

export const byName = <T extends { name: string }>(items: T[]): T[] =>
  [...items].sort((a, b) => a.name.localeCompare(b.name));

export const notFound = (path: string, name: string) => {
  const [, , slug, , project] = path.split('/');
  return error(404, `Dataset '${name}' not found in project '${slug}/${project}'`);
};
