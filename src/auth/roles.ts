/** Roles in a namespace, weakest first; each role may do everything the ones before it may. */
export const ROLES = ['reader', 'writer', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` is `min` or stronger. */
export function atLeast(role: Role, min: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(min);
}

/** Every role that is `min` or stronger; statements take it as their permission gate. */
export function rolesFrom(min: Role): Role[] {
  return ROLES.slice(ROLES.indexOf(min));
}

/** The least role needed for each kind of action (API.md, Roles). */
export const REQUIRED_ROLE = {
  read: 'reader',
  writeContent: 'writer',
  manageProjects: 'admin',
  updateNamespace: 'admin',
  manageMembers: 'admin',
  manageOwners: 'owner',
  deleteNamespace: 'owner',
} as const satisfies Record<string, Role>;

/**
 * Whether `actor` may give `target` the role `next` (null: remove them). Admins manage members
 * below owner; only owners grant, change or revoke `owner`.
 */
export function mayChangeMember(actor: Role, current: Role | null, next: Role | null): boolean {
  if (!atLeast(actor, REQUIRED_ROLE.manageMembers)) return false;
  const touchesOwner = current === 'owner' || next === 'owner';
  return !touchesOwner || atLeast(actor, REQUIRED_ROLE.manageOwners);
}
