import type { HeaderObject, ReferenceObject } from '@nestjs/swagger';

/** Response headers the OpenAPI document names, defined once under `components.headers`. */
const HEADERS = {
  'X-Request-Id': {
    description:
      "This request's id: the client's own `X-Request-Id` when it sent a well-formed one, else a generated UUID. " +
      'Error bodies carry it as `requestId`, and every log line about the request carries it.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$', example: '0c4b5e9a-7f7d-4d43-9a8e-2f6b1c3d5e7f' },
  },
  'RateLimit-Limit': {
    description:
      'Requests the caller may send in the current minute (`RATE_LIMIT_PER_MINUTE`); absent when it is 0 (off)',
    schema: { type: 'integer', minimum: 1, example: 6000 },
  },
  'RateLimit-Remaining': {
    description: 'Requests the caller has left in the current minute',
    schema: { type: 'integer', minimum: 0, example: 5999 },
  },
  'RateLimit-Reset': {
    description: 'Seconds until the current minute ends and the count starts again',
    schema: { type: 'integer', minimum: 0, example: 42 },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer', minimum: 0, example: 42 },
  },
  ETag: {
    description:
      'A strong tag of this version of the answer: it changes whenever anything the answer shows changes. ' +
      'Send it as `If-None-Match` to be told 304 while it is current, or as `If-Match` to change only that version.',
    schema: { type: 'string', example: '"3f1c9a7e0b5d4c2e8a6f1b3d5c7e9a0b"' },
  },
  Location: {
    description: 'The path of the new resource',
    schema: { type: 'string', example: '/namespaces/acme/projects/robotics/datasets/training-v2' },
  },
  'Idempotent-Replayed': {
    description:
      '`true` when this is the answer kept for an earlier request with the same Idempotency-Key (nothing changed now)',
    schema: { type: 'string', enum: ['true'] },
  },
  'WWW-Authenticate': {
    description: 'RFC 6750: `Bearer realm="dreamlake"`, with `error="invalid_token"` when a token was sent but refused',
    schema: { type: 'string', example: 'Bearer realm="dreamlake", error="invalid_token"' },
  },
} satisfies Record<string, HeaderObject>;

export const RESPONSE_HEADERS: Record<string, HeaderObject> = HEADERS;
export type HeaderName = keyof typeof HEADERS;

/** A reference to one of them. */
export const headerRef = (name: HeaderName): ReferenceObject => ({ $ref: `#/components/headers/${name}` });

/** Marks a response that is the same on every route, to be moved under `components.responses` by that name. */
export const SHARED_RESPONSE = 'x-shared-response';
