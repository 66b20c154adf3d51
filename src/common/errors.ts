/** Domain errors: services throw these; the exception filter alone turns them into HTTP answers. */
export abstract class DomainError extends Error {
  abstract readonly status: 403 | 404 | 409;
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
