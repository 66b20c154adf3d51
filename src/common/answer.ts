import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, type Observable } from 'rxjs';
import { HeavyRead } from './heavy-reads.js';
import { NotModified } from './outcome.js';
import type { RawJson } from './raw-json.js';

/** Headers an answer may carry besides its body. */
export interface AnswerHeaders {
  etag?: string | null;
  /** The new resource's path (a 201). */
  location?: string;
  /** Replayed from an Idempotency-Key. */
  replayed?: boolean;
  /** Cache-Control. */
  cache?: string;
  /** Content-Type of a streamed body (JSON when not given). */
  contentType?: string;
  /** Any other header (e.g. Repr-Digest). */
  extra?: Record<string, string>;
}

/**
 * An answer with the headers the contract gives it (ETag, Location, Idempotent-Replayed, caching):
 * services return these, and AnswerInterceptor alone puts them on the reply. The body is JSON text
 * built by PostgreSQL, or (big answers) its pieces in order; a 304 has none.
 */
export class Answer<T = unknown> {
  constructor(
    readonly body: RawJson<T> | AsyncIterable<string> | null,
    readonly headers: AnswerHeaders = {},
  ) {}

  /** The same answer with more headers. */
  with(headers: AnswerHeaders): Answer<T> {
    return new Answer(this.body, { ...this.headers, ...headers });
  }

  /** 304, carrying the current tag. */
  static notModified<T>(current: NotModified, headers: AnswerHeaders = {}): Answer<T> {
    return new Answer<T>(null, { ...headers, etag: current.etag });
  }
}

/**
 * Puts an Answer's headers on the reply and hands Nest what to send: the body, or for a 304 a web
 * Response (whose status wins over the route's). Anything else a handler returns passes as it is.
 */
@Injectable()
export class AnswerInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(map((result: unknown) => (result instanceof Answer ? apply(reply, result) : result)));
  }
}

function apply(reply: FastifyReply, answer: Answer): unknown {
  const { etag, location, replayed, cache, contentType, extra } = answer.headers;
  if (etag) void reply.header('etag', etag);
  if (location) void reply.header('location', location);
  if (replayed) void reply.header('idempotent-replayed', 'true');
  if (cache) void reply.header('cache-control', cache);
  for (const [name, value] of Object.entries(extra ?? {})) void reply.header(name, value);
  if (answer.body === null) {
    const headers: Record<string, string> = { etag: etag ?? '' };
    if (cache) headers['cache-control'] = cache;
    return new Response(null, { status: 304, headers });
  }
  if (!('text' in answer.body)) void reply.header('content-type', contentType ?? 'application/json; charset=utf-8');
  // A big answer watches its client: released when it leaves or stops reading.
  if (answer.body instanceof HeavyRead) return answer.body.to(reply);
  return answer.body;
}

/** A path segment as it goes into a Location header. */
export const segment = (value: string): string => encodeURIComponent(value);
