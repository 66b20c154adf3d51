import { ISO, uid, UUID } from '../harness.js';

/* The slugs, messages and objects the namespaces specs share. */

export const newSlug = (): string => `ns-${uid()}`;

export const SLUG_MESSAGE = (property = 'slug') =>
  `${property} must be 1-64 lowercase letters, digits or inner hyphens (^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$)`;
export const OWNER_ONLY = (slug: string) =>
  `Only an owner of namespace '${slug}' may grant, change or revoke the owner role`;

export const namespaceObject = (slug: string, fields: Record<string, unknown> = {}) => ({
  id: UUID,
  slug,
  name: slug,
  description: null,
  metadata: null,
  createdAt: ISO,
  updatedAt: ISO,
  ...fields,
});
