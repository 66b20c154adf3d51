import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A client's own request id is kept when it is 1–128 characters of this set. */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's genReqId: the client's `X-Request-Id` when it is well formed, else a new UUID. */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_ID.test(given) ? given : randomUUID();
}
