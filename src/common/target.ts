import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { NamedTarget, NamespaceTarget, ProjectTarget } from '../database/scope.js';
import type { Place } from './outcome.js';

/** Who asks (the token's `sub`) and for which request (its id goes into the change feed). */
export interface Caller {
  userId: string;
  requestId: string;
}

/** A route under `/namespaces/:slug`. */
export interface NamespaceAt extends Caller, NamespaceTarget, Place {}

/** A route under `/namespaces/:slug/projects/:projectSlug`. */
export interface ProjectAt extends NamespaceAt, ProjectTarget {
  projectSlug: string;
}

/** A route under `…/datasets/:name` or `…/collections/:name`. */
export interface NamedAt extends ProjectAt, NamedTarget {
  kind: 'Dataset' | 'Collection';
  name: string;
}

/**
 * The route's target as one object: the caller, the request id, and the path's slugs and name
 * (`kind` says whether `:name` is a dataset's or a collection's). Controllers type it as the
 * narrowest of NamespaceAt / ProjectAt / NamedAt their path gives.
 */
export const At = createParamDecorator((kind: 'Dataset' | 'Collection' | undefined, ctx: ExecutionContext) => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest<{ Params: Record<string, string | undefined> }>>();
  const { slug, projectSlug, name } = request.params;
  const at: Caller & Partial<NamedAt> = { userId: request.user!.sub, requestId: request.id, slug };
  if (projectSlug !== undefined) at.projectSlug = projectSlug;
  if (kind !== undefined && name !== undefined) {
    at.kind = kind;
    at.name = name;
  }
  return at;
});
