import type { BadRequestException } from '@nestjs/common';
import { atLeast, isRole, type Role } from '../auth/roles.js';
import { DomainError, ForbiddenError, NotFoundError, PreconditionFailedError, staleTag } from './errors.js';

/*
 * Every tenant statement answers one row whose first columns say what its scope found (the
 * caller's role, the project, the named row), then whether its change could happen, then its
 * answer. `decode` turns such a row into one outcome; `decide` turns an outcome into the answer or
 * the one domain error it means, with the same sentences for every route. The order is the
 * contract's: 404 in path order, then 403, then 412, then what the body named (404/409).
 */

/** The columns a statement's scope answers (see database/scope.ts). */
export interface ScopeRow {
  /** The caller's role in the namespace; null: no such namespace for them. */
  role: string | null;
  /** False: the project in the path is not there. Absent for namespace-level statements. */
  project_found?: boolean;
  /** False: the dataset or collection named in the path is not there. */
  target_found?: boolean;
}

/** A statement's row: its scope, and its answer (null: nothing to answer, the change did not happen). */
export interface Found<B = string> extends ScopeRow {
  body: B | null;
  /** The answer's ETag, when it has one. */
  etag?: string | null;
  /** A GET whose If-None-Match holds the current tag. */
  not_modified?: boolean;
  /** The change did not happen because If-Match held another tag. */
  stale?: boolean;
}

/** What a route addresses: the caller, and the path (namespace, project, dataset or collection). */
export interface Place {
  slug: string;
  projectSlug?: string;
  /** The named row's kind and name, for routes under `…/datasets/:name` or `…/collections/:name`. */
  kind?: 'Dataset' | 'Collection';
  name?: string;
}

/** What a statement's row means. */
export type Outcome<B> =
  | { kind: 'ok'; role: Role; body: B }
  | { kind: 'notFound'; what: 'namespace' | 'project' | 'target' }
  | { kind: 'forbidden'; role: Role; needs: Role }
  | { kind: 'stale'; what?: string }
  | { kind: 'notModified'; etag: string | null }
  | { kind: 'refused'; error: DomainError | BadRequestException };

export interface DecodeOptions<R> {
  /** A thing deeper in the path that the statement reports missing (a version, a member): its 404, checked before 403. */
  missing?: (row: R) => NotFoundError | null;
  /** The least role the route needs (reads: none). */
  needs?: Role;
  /** The If-Match tags the request carried: a change that did not happen with them was stale, else its row went. */
  ifMatch?: string[] | null;
  /** What a 412 names, when not the row of the path ("Version 3 of dataset 'd' in project 'a/b'"). */
  stale?: string;
  /** Refusals the statement reports in its own columns (a missing collection, a taken name), checked after 412. */
  refuse?: (row: R) => DomainError | BadRequestException | null;
}

/** The outcome of a statement's row. */
export function decode<R extends Found<B>, B = string>(row: R, options: DecodeOptions<R> = {}): Outcome<B> {
  if (!isRole(row.role)) return { kind: 'notFound', what: 'namespace' };
  if (row.project_found === false) return { kind: 'notFound', what: 'project' };
  if (row.target_found === false) return { kind: 'notFound', what: 'target' };
  const missing = options.missing?.(row) ?? null;
  if (missing !== null) return { kind: 'refused', error: missing };
  if (options.needs !== undefined && !atLeast(row.role, options.needs)) {
    return { kind: 'forbidden', role: row.role, needs: options.needs };
  }
  if (row.stale) return { kind: 'stale', what: options.stale };
  if (row.not_modified) return { kind: 'notModified', etag: row.etag ?? null };
  const refusal = options.refuse?.(row) ?? null;
  if (refusal !== null) return { kind: 'refused', error: refusal };
  if (row.body === null) {
    // The row was there when the statement started but the change did not happen: under If-Match
    // its tag had moved on; without, someone deleted it meanwhile.
    // (A statement that reports `stale` itself has said so already.)
    return row.stale === undefined && options.ifMatch
      ? { kind: 'stale', what: options.stale }
      : { kind: 'notFound', what: 'target' };
  }
  return { kind: 'ok', role: row.role, body: row.body };
}

/** The sentence naming the thing at `place` ("Collection 'c' in project 'acme/robotics'"). */
export function describe(place: Place): string {
  if (place.kind !== undefined && place.name !== undefined) {
    return `${place.kind} '${place.name}' in project '${place.slug}/${place.projectSlug}'`;
  }
  if (place.projectSlug !== undefined) return `Project '${place.slug}/${place.projectSlug}'`;
  return `Namespace '${place.slug}'`;
}

/** The 404 of what `what` names at `place`. */
export function notFound(place: Place, what: 'namespace' | 'project' | 'target'): NotFoundError {
  if (what === 'namespace' || place.projectSlug === undefined) {
    return new NotFoundError(`Namespace '${place.slug}' not found`);
  }
  if (what === 'project' || place.kind === undefined) {
    return new NotFoundError(`Project '${place.projectSlug}' not found in namespace '${place.slug}'`);
  }
  return new NotFoundError(`${place.kind} '${place.name}' not found in project '${place.slug}/${place.projectSlug}'`);
}

/** The 403 of a role below what a route needs. */
export function forbidden(place: Place, role: Role, needs: Role): ForbiddenError {
  return new ForbiddenError(`Your role in namespace '${place.slug}' is '${role}'; this needs '${needs}' or above`);
}

/** A GET whose If-None-Match is current: the answer is 304 with this tag. */
export class NotModified {
  constructor(readonly etag: string | null) {}
}

/**
 * The answer an outcome carries, or the error it means. `notModified` comes back as a NotModified
 * value (not an error): the route answers 304.
 */
export function decide<B>(outcome: Outcome<B>, place: Place): B | NotModified {
  switch (outcome.kind) {
    case 'ok':
      return outcome.body;
    case 'notFound':
      throw notFound(place, outcome.what);
    case 'forbidden':
      throw forbidden(place, outcome.role, outcome.needs);
    case 'stale':
      throw staleTag(outcome.what ?? describe(place));
    case 'notModified':
      return new NotModified(outcome.etag);
    case 'refused':
      throw outcome.error;
  }
}

/** `decide` for changes, which never answer 304. */
export function settle<R extends Found<B>, B = string>(row: R, place: Place, options: DecodeOptions<R> = {}): B {
  const decided = decide(decode<R, B>(row, options), place);
  if (decided instanceof NotModified) throw new Error('a change cannot answer 304');
  return decided;
}

export { PreconditionFailedError };
