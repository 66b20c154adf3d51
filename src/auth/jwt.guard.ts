import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from './user.js';

/**
 * Global guard behind the authentication hook: the hook has verified the token before the body
 * was read; this only makes sure no protected handler ever runs without a caller.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.switchToHttp().getRequest<FastifyRequest>().user) return true;
    if (this.reflector.get<boolean>(IS_PUBLIC, context.getHandler())) return true;
    throw new UnauthorizedException('Missing bearer token (Authorization: Bearer <JWT>)');
  }
}
