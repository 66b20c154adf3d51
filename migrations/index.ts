import { Foundation1764133200000 } from './1764133200000-Foundation.js';
import { DatasetsAndCollections1764219600000 } from './1764219600000-DatasetsAndCollections.js';

/** Every migration, in order; listed rather than globbed so ts-jest and the compiled dist agree. */
export const MIGRATIONS = [Foundation1764133200000, DatasetsAndCollections1764219600000];
