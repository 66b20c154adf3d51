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

/** What a statement on a named dataset or collection found: the scope, then the row itself. */
export interface TargetResult extends ScopeResult {
  target_found: boolean;
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

/** The 404 for a dataset or collection named in the path. */
export function targetNotFound(kind: 'Dataset' | 'Collection', path: ProjectPath, name: string): NotFoundError {
  return new NotFoundError(`${kind} '${name}' not found in project '${path.slug}/${path.projectSlug}'`);
}

/** 404 for a missing namespace, project, then the named dataset or collection; returns the caller's role. */
export function resolveTarget(
  found: TargetResult,
  path: ProjectPath,
  kind: 'Dataset' | 'Collection',
  name: string,
): Role {
  const role = resolveScope(found, path);
  if (!found.target_found) throw targetNotFound(kind, path, name);
  return role;
}
