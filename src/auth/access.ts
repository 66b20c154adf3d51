import { ForbiddenError, NotFoundError } from '../common/errors.js';
import { atLeast, isRole, type Role } from './roles.js';

/** What a statement's scope CTEs found: the caller's role (null: no such namespace for them). */
export interface ScopeResult {
  role: string | null;
  project_found?: boolean;
}

export interface ScopePath {
  slug: string;
  projectSlug?: string;
}

/** The path segments that address a project (`:slug/projects/:projectSlug`). */
export interface ProjectPath extends ScopePath {
  projectSlug: string;
}

/**
 * Turns a statement's scope columns into 404s: namespace first (also for non-members), then
 * project. Returns the caller's role.
 */
export function resolveScope(found: ScopeResult, path: ScopePath): Role {
  if (!isRole(found.role)) throw new NotFoundError(`Namespace '${path.slug}' not found`);
  if (path.projectSlug !== undefined && !found.project_found) {
    throw new NotFoundError(`Project '${path.projectSlug}' not found in namespace '${path.slug}'`);
  }
  return found.role;
}

/** 403 unless the caller's role is `min` or stronger. */
export function requireRole(role: Role, min: Role, path: ScopePath): void {
  if (!atLeast(role, min)) {
    throw new ForbiddenError(`Your role in namespace '${path.slug}' is '${role}'; this needs '${min}' or above`);
  }
}
