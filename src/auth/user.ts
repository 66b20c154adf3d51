import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { WithRouteConfig } from '../common/route-config.js';

/** The caller, from the verified token's claims (absent claims are null). */
export interface AuthUser {
  sub: string;
  name: string | null;
  email: string | null;
  username: string | null;
  /** The token's `exp`, in seconds since the epoch. */
  expiresAt: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook before the body is read; absent on public routes. */
    user?: AuthUser;
  }
  interface FastifyContextConfig {
    /** The route needs no token. */
    public?: boolean;
  }
}

export const IS_PUBLIC = 'isPublic';

/**
 * Marks a route that needs no token (health checks, metrics): for the Fastify hook that checks
 * tokens before the body is read, and for the guard behind it.
 */
export const Public = (): MethodDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), WithRouteConfig({ public: true }));

/** Injects the authenticated caller. */
export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthUser => ctx.switchToHttp().getRequest<{ user: AuthUser }>().user,
);
