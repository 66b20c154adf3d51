import type { FastifyReply } from 'fastify';
import type { RawJson } from './raw-json.js';

/** An answer with the headers the contract gives it (ETag, Location, Idempotent-Replayed). */
export interface Answer<T = unknown> {
  /** The JSON text, or (big answers) its pieces in order; absent for 304. */
  body?: RawJson<T> | AsyncIterable<string>;
  etag?: string | null;
  location?: string;
  replayed?: boolean;
  /** The client's If-None-Match matched `etag`: 304, no body. */
  notModified?: boolean;
}

/**
 * Puts an answer's headers on the reply of a handler that takes `@Res({ passthrough: true })`,
 * and returns what Nest sends: the body, or for a 304 a web Response (whose status wins over the
 * route's 200).
 */
export function respond<T>(
  reply: FastifyReply,
  answer: Answer<T>,
): RawJson<T> | AsyncIterable<string> | Response | undefined {
  if (answer.etag) void reply.header('etag', answer.etag);
  if (answer.location) void reply.header('location', answer.location);
  if (answer.replayed) void reply.header('idempotent-replayed', 'true');
  if (answer.notModified) return new Response(null, { status: 304, headers: { etag: answer.etag ?? '' } });
  if (answer.body !== undefined && !('text' in answer.body)) {
    void reply.header('content-type', 'application/json; charset=utf-8');
  }
  return answer.body;
}

/** A path segment as it goes into a Location header. */
export const segment = (value: string): string => encodeURIComponent(value);
