import { createHash } from 'node:crypto';
import { applyDecorators, BadRequestException, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { IdempotencyRequest } from './idempotency.service.js';

const KEY = /^[\x20-\x7e]{1,255}$/;

/** The path with each segment decoded (`%70` and `p` name the same route), then the query as parsed. */
function normalisedUrl(request: FastifyRequest): string {
  const path = request.url.split('?')[0];
  const decoded = path
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join('/');
  return `${decoded}?${JSON.stringify(request.query ?? {})}`;
}

/**
 * The request's Idempotency-Key (null without one) with its caller and fingerprint: method, path
 * (decoded, issue 21 row 11e) and body (as parsed, so whitespace does not count). Two
 * Idempotency-Key headers are a 400 (Node would join them into one value).
 */
export const IdempotencyKey = createParamDecorator(
  (_: unknown, context: ExecutionContext): IdempotencyRequest | null => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const key = request.headers['idempotency-key'];
    if (key === undefined) return null;
    const sent = request.raw.rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'idempotency-key');
    if (sent.length > 1) throw new BadRequestException(['Send one Idempotency-Key header, not several']);
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new BadRequestException(['Idempotency-Key must be 1-255 printable ASCII characters']);
    }
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${normalisedUrl(request)}\n${JSON.stringify(request.body ?? null)}`)
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
