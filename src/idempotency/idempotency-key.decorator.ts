import { createHash } from 'node:crypto';
import { applyDecorators, BadRequestException, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { IdempotencyRequest } from './idempotency.service.js';

const KEY = /^[\x20-\x7e]{1,255}$/;

/**
 * The request's Idempotency-Key (null without one) with its caller and fingerprint: method, path
 * and body (as parsed, so whitespace does not count).
 */
export const IdempotencyKey = createParamDecorator(
  (_: unknown, context: ExecutionContext): IdempotencyRequest | null => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const key = request.headers['idempotency-key'];
    if (key === undefined) return null;
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new BadRequestException(['Idempotency-Key must be 1-255 printable ASCII characters']);
    }
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');
    return { userId: request.user!.sub, key, fingerprint };
  },
);

/** Documents the Idempotency-Key header of a POST (its 409 and 422 go in the route's ApiErrors). */
export function ApiIdempotent(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Makes retries safe: the first request with a key runs and its answer is kept 24 h for the caller; a retry ' +
        'with the same method, path and body gets it again (with `Idempotent-Replayed: true`) and changes nothing.',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]+$' },
    }),
  );
}
