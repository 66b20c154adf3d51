import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseUnavailableError, sqlState } from '../database/database.js';
import { CONSTRAINT_MESSAGES } from './constraint-messages.js';
import { DomainError, TooManyRequestsError } from './errors.js';

/** The contract's error body: Nest's shape, always JSON, with the request's id. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  requestId?: string;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function errorBody(statusCode: number, message: string | string[], requestId?: string): ErrorBody {
  const body: ErrorBody = { statusCode, error: REASONS[statusCode] ?? HttpStatus[statusCode] ?? 'Error', message };
  if (requestId !== undefined) body.requestId = requestId;
  return body;
}

/** SQLSTATEs that mean "try again": serialization failure, deadlock, lock or statement timeout. */
const BUSY = new Set(['40001', '40P01', '55P03', '57014']);
/** SQLSTATE classes and codes that mean the server cannot serve now: connection, shutdown, too many clients. */
const UNAVAILABLE = /^(08|57P|53)/;

const mib = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;

/**
 * Fastify's own errors (raised while reading the body, before Nest runs) carry a statusCode;
 * give them the contract's shape and a message a client can act on.
 */
function fastifyError(
  error: { code?: string; statusCode?: number; message?: string },
  request: FastifyRequest,
): [number, string | string[]] | null {
  if (typeof error.code !== 'string' || !error.code.startsWith('FST_') || typeof error.statusCode !== 'number') {
    return null;
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return [413, `Request body is larger than ${mib(request.routeOptions.bodyLimit ?? 0)}`];
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return [415, 'Request body must be JSON (Content-Type: application/json)'];
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return [400, 'Request body is empty but Content-Type is application/json'];
    default:
      return error.statusCode < 500 ? [error.statusCode, error.message ?? 'Bad request'] : null;
  }
}

/** The one place where errors become HTTP answers. No stack trace or SQL ever reaches a client. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent || reply.raw.destroyed) {
      // The client went away (or the answer was already on its way): nothing to send, nothing broken.
      request.log.debug({ err: exception }, 'request ended before an error answer could be sent');
      return;
    }
    const [status, message] = this.answer(exception, request);
    if (exception instanceof TooManyRequestsError) void reply.header('retry-after', exception.retryAfter);
    if (status === 401) {
      const invalid = request.headers.authorization !== undefined;
      void reply.header('www-authenticate', `Bearer realm="dreamlake"${invalid ? ', error="invalid_token"' : ''}`);
    }
    void reply
      .status(status)
      .header('content-type', 'application/json; charset=utf-8')
      .send({
        ...errorBody(status, message, request.id),
        ...(exception instanceof DomainError ? exception.extra : {}),
      });
  }

  private answer(exception: unknown, request: FastifyRequest): [number, string | string[]] {
    if (exception instanceof DomainError) return [exception.status, exception.message];
    if (exception instanceof HttpException) {
      // Nest wraps Fastify's own errors (body too large, bad media type…) as their cause.
      return fastifyError(exception.cause ?? {}, request) ?? this.fromHttpException(exception);
    }
    const fromFastify = fastifyError(exception ?? {}, request);
    if (fromFastify) return fromFastify;
    const code = sqlState(exception);
    if (code !== null) {
      const known = this.fromDatabase(exception as { constraint?: string }, code, request);
      if (known) return known;
    }
    if (exception instanceof DatabaseUnavailableError) {
      request.log.warn({ err: exception.cause }, 'database unreachable');
      return [503, 'The database is unavailable; try again'];
    }
    request.log.error({ err: exception }, `${request.method} ${request.url} failed`);
    return [500, 'Internal server error'];
  }

  private fromHttpException(exception: HttpException): [number, string | string[]] {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && 'message' in response) {
      const message = response.message;
      if (typeof message === 'string' || Array.isArray(message)) return [status, message as string | string[]];
    }
    return [status, typeof response === 'string' ? response : exception.message];
  }

  private fromDatabase(
    error: { constraint?: string; message?: string },
    code: string,
    request: FastifyRequest,
  ): [number, string | string[]] | null {
    const known = error.constraint ? CONSTRAINT_MESSAGES[error.constraint] : undefined;
    if (known && ['23505', '23514', '23503'].includes(code)) {
      const req = {
        body: (request.body ?? {}) as Record<string, unknown>,
        params: (request.params ?? {}) as Record<string, string>,
      };
      return [known.status, known.message(req)];
    }
    // Data exceptions (a value out of range, an invalid character…) are bad input, not a server fault.
    if (code.startsWith('22')) return [400, ['The request holds a value the database cannot store']];
    if (BUSY.has(code)) {
      request.log.warn({ sqlState: code, err: error }, 'database busy');
      return [503, 'The database is busy; try again'];
    }
    if (UNAVAILABLE.test(code)) {
      request.log.warn({ sqlState: code, err: error }, 'database unavailable');
      return [503, 'The database is unavailable; try again'];
    }
    return null;
  }
}
