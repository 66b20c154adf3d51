import { Foundation1764133200000 } from './1764133200000-Foundation.js';
import { DatasetsAndCollections1764219600000 } from './1764219600000-DatasetsAndCollections.js';
import { Scale1764300000000 } from './1764300000000-Scale.js';
import { ClientSafety1764500000000 } from './1764500000000-ClientSafety.js';
import { VersionsAndChanges1764700000000 } from './1764700000000-VersionsAndChanges.js';
import { PlansWithoutStatistics1764800000000 } from './1764800000000-PlansWithoutStatistics.js';
import { FreshClaimsAndLockOrder1764900000000 } from './1764900000000-FreshClaimsAndLockOrder.js';

/** Every migration, in order; listed rather than globbed so ts-jest and the compiled dist agree. */
export const MIGRATIONS = [
  Foundation1764133200000,
  DatasetsAndCollections1764219600000,
  Scale1764300000000,
  ClientSafety1764500000000,
  VersionsAndChanges1764700000000,
  PlansWithoutStatistics1764800000000,
  FreshClaimsAndLockOrder1764900000000,
];
