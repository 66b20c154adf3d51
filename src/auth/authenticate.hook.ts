import { UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import passport from 'passport';
import { BEARER } from './bearer.js';
import type { AuthUser } from './user.js';

/** Verified tokens kept per process; a token is verified once, then looked up until it expires. */
const VERIFIED_TOKENS = 10_000;

/** Why a token was refused, in words a client can act on (never the key or the token). */
function describe(info: unknown): string {
  if (info instanceof UnauthorizedException) return info.message;
  const name = (info as { name?: string } | undefined)?.name;
  // jsonwebtoken prefixes what the key callback refused with this; the reason alone is clearer.
  const message = ((info as { message?: string } | undefined)?.message ?? '').replace(
    'error in secret or public key callback: ',
    '',
  );
  if (message === 'maxAge exceeded') return 'Bearer token is older than JWT_MAX_AGE allows';
  if (name === 'TokenExpiredError') return 'Bearer token has expired';
  if (name === 'NotBeforeError') return 'Bearer token is not valid yet';
  if (message === 'No auth token') return 'Missing bearer token (Authorization: Bearer <JWT>)';
  if (message === 'invalid token') return 'Invalid bearer token: jwt malformed';
  if (name === 'JsonWebTokenError') return `Invalid bearer token: ${message}`;
  return 'Invalid bearer token';
}

/** Runs the passport-jwt strategy on one request; resolves the caller or the reason for a 401. */
function verify(request: FastifyRequest): Promise<AuthUser> {
  return new Promise((resolve, reject) => {
    const done = (error: unknown, user: AuthUser | false, info: unknown): void => {
      if (user) resolve(user);
      else reject(new UnauthorizedException(describe(error ?? info)));
    };
    const middleware = passport.authenticate('jwt', { session: false }, done) as (
      request: FastifyRequest,
      response: undefined,
      next: (error: unknown) => void,
    ) => void;
    middleware(request, undefined, reject);
  });
}

/**
 * Whether a request needs no token: its route is marked @Public(), it is Swagger UI or its
 * document, or no route matches (a 404 protects nothing).
 */
function isPublic(request: FastifyRequest): boolean {
  return request.routeOptions.config?.public === true || request.is404 || request.url.startsWith('/docs');
}

/**
 * The Fastify `onRequest` hook that authenticates every protected request before its body is
 * read, so an unauthenticated request never costs a body parse. Verified tokens are cached until
 * they expire (bounded; the cache lives as long as the process and its configuration).
 */
export function authenticationHook(): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const verified = new LRUCache<string, AuthUser>({ max: VERIFIED_TOKENS });
  return async (request) => {
    if (isPublic(request)) return;
    const header = request.headers.authorization;
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token !== undefined) {
      const known = verified.get(token);
      if (known !== undefined && known.expiresAt * 1000 > Date.now()) {
        request.user = known;
        return;
      }
    } else if (header !== undefined && /^bearer\s/i.test(header)) {
      throw new UnauthorizedException('Invalid bearer token: the header must be exactly "Bearer <JWT>"');
    }
    const user = await verify(request);
    if (token !== undefined) verified.set(token, user);
    request.user = user;
  };
}
