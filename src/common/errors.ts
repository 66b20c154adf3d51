/** Domain errors: services throw these; the exception filter alone turns them into HTTP answers. */
export abstract class DomainError extends Error {
  abstract readonly status: 403 | 404 | 409 | 410 | 412 | 422 | 429;
  /** Fields the error body carries beside statusCode, error, message and requestId. */
  readonly extra: Record<string, unknown> = {};
}

/** What was asked for is no longer kept (a feed cursor past retention); `extra` says where to resume. */
export class GoneError extends DomainError {
  readonly status = 410;
  constructor(
    message: string,
    override readonly extra: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The thing (or one of its parents) does not exist, or the caller may not see it. */
export class NotFoundError extends DomainError {
  readonly status = 404;
}

/** The caller can see the thing but their role does not allow the change. */
export class ForbiddenError extends DomainError {
  readonly status = 403;
}

/** The request conflicts with the current state (a taken name, a last owner, a non-empty parent). */
export class ConflictError extends DomainError {
  readonly status = 409;
}

/** If-Match named a tag that is not the current one: nothing was changed. */
export class PreconditionFailedError extends DomainError {
  readonly status = 412;
}

/** The 412 of a write whose If-Match tag is stale; `what` names the row ("Project 'acme/robotics'"). */
export function staleTag(what: string): PreconditionFailedError {
  return new PreconditionFailedError(`${what} has changed since the If-Match tag was read; nothing was changed`);
}

/** The request is well formed but cannot be processed as sent (an Idempotency-Key reused for another request). */
export class UnprocessableError extends DomainError {
  readonly status = 422;
}

/** Too much at once; `retryAfter` seconds tells the client when to try again. */
export class TooManyRequestsError extends DomainError {
  readonly status = 429;
  constructor(
    message: string,
    readonly retryAfter: number,
  ) {
    super(message);
  }
}
