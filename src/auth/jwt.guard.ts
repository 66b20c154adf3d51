import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC } from './user.js';

/** Global guard: every route needs a valid bearer token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    return isPublic ? true : super.canActivate(context);
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false, info: unknown): TUser {
    if (error || !user) throw new UnauthorizedException(describe(info));
    return user;
  }
}

/** Why a token was refused, in words a client can act on (never the key or the token). */
function describe(info: unknown): string {
  const name = (info as { name?: string } | undefined)?.name;
  const message = (info as { message?: string } | undefined)?.message ?? '';
  if (name === 'TokenExpiredError') return 'Bearer token has expired';
  if (name === 'NotBeforeError') return 'Bearer token is not valid yet';
  if (message === 'No auth token') return 'Missing bearer token (Authorization: Bearer <JWT>)';
  if (name === 'JsonWebTokenError') return `Invalid bearer token: ${message}`;
  return 'Invalid bearer token';
}
