import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

/** The caller, from the verified token's claims (absent claims are null). */
export interface AuthUser {
  sub: string;
  name: string | null;
  email: string | null;
  username: string | null;
}

export const IS_PUBLIC = 'isPublic';

/** Marks a route that needs no token (health checks). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** Injects the authenticated caller. */
export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthUser => ctx.switchToHttp().getRequest<{ user: AuthUser }>().user,
);
