import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { CONSTRAINT_MESSAGES } from './constraint-messages.js';
import { DomainError } from './errors.js';

/** The contract's error body: Nest's shape, always JSON. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function errorBody(statusCode: number, message: string | string[]): ErrorBody {
  return { statusCode, error: REASONS[statusCode] ?? HttpStatus[statusCode] ?? 'Error', message };
}

/** SQLSTATEs that mean "try again later" rather than "the server is broken". */
const TRANSIENT = new Set(['40001', '40P01', '55P03', '57014', '53300', '57P01', '08006', '08001']);

/** Socket-level failures reaching the database server: the service is unavailable, not broken. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

function databaseUnreachable(exception: unknown): boolean {
  if (!(exception instanceof Error)) return false;
  const code = (exception as { code?: unknown }).code;
  if (typeof code === 'string' && (UNREACHABLE.has(code) || code.startsWith('08') || code.startsWith('57P'))) {
    return true;
  }
  // pg's pool rejects a checkout that waited longer than the connect timeout with this error (no code).
  return /timeout exceeded when trying to connect|Connection terminated/.test(exception.message);
}

/**
 * Fastify's own errors (raised while reading the body, before Nest runs) carry a statusCode;
 * give them the contract's shape and a message a client can act on.
 */
function fastifyError(error: { code?: string; statusCode?: number; message?: string }): ErrorBody | null {
  if (typeof error.code !== 'string' || !error.code.startsWith('FST_') || typeof error.statusCode !== 'number') {
    return null;
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errorBody(413, 'Request body is larger than 5 MiB');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errorBody(415, 'Request body must be JSON (Content-Type: application/json)');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errorBody(400, 'Request body is empty but Content-Type is application/json');
    default:
      return error.statusCode < 500 ? errorBody(error.statusCode, error.message ?? 'Bad request') : null;
  }
}

/** The one place where errors become HTTP answers. No stack trace or SQL ever reaches a client. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = this.toBody(exception, request);
    void reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  toBody(exception: unknown, request: FastifyRequest): ErrorBody {
    if (exception instanceof DomainError) return errorBody(exception.status, exception.message);
    if (exception instanceof HttpException) {
      // Nest wraps Fastify's own errors (body too large, bad media type…) as their cause.
      return fastifyError(exception.cause ?? {}) ?? this.fromHttpException(exception);
    }
    if (exception instanceof QueryFailedError) {
      const known = this.fromDatabase(exception, request);
      if (known) return known;
    }
    const fromFastify = fastifyError(exception ?? {});
    if (fromFastify) return fromFastify;
    if (databaseUnreachable(exception)) {
      this.logger.warn(`request ${request.id}: database unreachable: ${(exception as Error).message}`);
      return errorBody(503, 'The database is unavailable; try again');
    }
    this.logger.error(
      `request ${request.id} ${request.method} ${request.url} failed: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`,
    );
    return errorBody(500, 'Internal server error');
  }

  private fromHttpException(exception: HttpException): ErrorBody {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && 'message' in response) {
      const message = response.message;
      if (typeof message === 'string' || Array.isArray(message)) return errorBody(status, message as string | string[]);
    }
    return errorBody(status, typeof response === 'string' ? response : exception.message);
  }

  private fromDatabase(
    exception: { driverError: unknown; message: string },
    request: FastifyRequest,
  ): ErrorBody | null {
    const driverError = exception.driverError as { code?: string; constraint?: string };
    const known = driverError.constraint ? CONSTRAINT_MESSAGES[driverError.constraint] : undefined;
    if (known && ['23505', '23514', '23503'].includes(driverError.code ?? '')) {
      const req = {
        body: (request.body ?? {}) as Record<string, unknown>,
        params: (request.params ?? {}) as Record<string, string>,
      };
      return errorBody(known.status, known.message(req));
    }
    // Data exceptions (e.g. a NUL character in a name) are bad input, not a server fault.
    if (driverError.code?.startsWith('22')) {
      return errorBody(400, ['The request holds a value the database cannot store (' + driverError.code + ')']);
    }
    if (TRANSIENT.has(driverError.code ?? '')) {
      this.logger.warn(`request ${request.id}: database busy (${driverError.code}): ${exception.message}`);
      return errorBody(503, 'The database is busy; try again');
    }
    return null;
  }
}
