import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ROLES, type Role } from '../auth/roles.js';
import { BODY_LIMIT, ID_LIST_BODY_LIMIT } from '../http/json-body.js';
import { headerRef, SHARED_RESPONSE } from './api-headers.js';

/*
 * Error answers in the OpenAPI document: every status a route can answer, each with an example
 * that is a real answer of that route (the sentences below are the services' own, for the names
 * the request examples use: namespace 'acme', project 'robotics', dataset 'training-v2',
 * collection 'front-camera-clips', member 'bob').
 */

/** An example request id, as the service generates them (a client may send its own). */
export const REQUEST_ID_EXAMPLE = '0c4b5e9a-7f7d-4d43-9a8e-2f6b1c3d5e7f';

export class ErrorDto {
  @ApiProperty({ type: 'integer', example: 404, description: 'The HTTP status' }) statusCode: number;
  @ApiProperty({ example: 'Not Found', description: "The status's reason phrase" }) error: string;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'What is wrong: one sentence, or (validation, 400) one sentence per problem',
    example: "Dataset 'training-v2' not found in project 'acme/robotics'",
  })
  message: string | string[];
  @ApiProperty({
    example: REQUEST_ID_EXAMPLE,
    pattern: '^[A-Za-z0-9._:-]{1,128}$',
    description: "The answer's X-Request-Id (the client's own when it sent one): quote it when reporting a failure",
  })
  requestId: string;
}

const REASON = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
} as const;
export type ErrorStatus = keyof typeof REASON;

/** One error answer's message: a sentence, or (400) the list of problems. */
export type Message = string | string[];
/** Several examples for one status, by a short summary (Swagger UI offers them in a list). */
export type Examples = Record<string, Message>;

/** The example body of an error answer. */
export const errorExample = (status: ErrorStatus, message: Message) => ({
  statusCode: status,
  error: REASON[status],
  message,
  requestId: REQUEST_ID_EXAMPLE,
});

const MEANING: Record<ErrorStatus, string> = {
  400: 'Invalid input: `message` lists every problem, one sentence each',
  401: 'Missing, malformed, expired or wrongly signed bearer token; the body says which. Carries `WWW-Authenticate: Bearer`',
  403: 'Your role in the namespace is too low for this; the message names the role needed',
  404: 'Not found: the message names what (a namespace you are not a member of is not found either)',
  409: 'Conflicts with the current state; the message says what is taken or what stands in the way',
  412: 'If-Match names a version that is not current; nothing was changed',
  413: 'Request body too large',
  415: 'Request body is not JSON (Content-Type must be application/json)',
  422: 'The Idempotency-Key was first used with a different method, path or body',
  429: 'Too many requests: the rate limit (`RATE_LIMIT_PER_MINUTE` per caller, ten times that per client address before authentication) is used up; retry after `Retry-After` seconds',
  503: 'The database is unavailable or busy (a timeout, a lost connection, a serialization failure); nothing was changed, try again',
};

/** The 403 of a route that needs `min`, as the service words it (for a caller one role below). */
export function forbidden(min: Exclude<Role, 'reader'>): Examples {
  const below = ROLES[ROLES.indexOf(min) - 1];
  return { [`role below ${min}`]: `Your role in namespace 'acme' is '${below}'; this needs '${min}' or above` };
}

const NOT_FOUND = {
  namespace: ['namespace', "Namespace 'acme' not found"],
  project: ['project', "Project 'robotics' not found in namespace 'acme'"],
  dataset: ['dataset', "Dataset 'training-v2' not found in project 'acme/robotics'"],
  collection: ['collection', "Collection 'front-camera-clips' not found in project 'acme/robotics'"],
  member: ['member', "Member 'bob' not found in namespace 'acme'"],
  datasetId: [
    'datasetId',
    "Dataset with id '5d1c8f0e-3b7a-4f2e-9c61-8a4d2b7e0f13' not found in project 'acme/robotics'",
  ],
  version: ['version', "Version '1' not found in dataset 'training-v2' of project 'acme/robotics'"],
  versionCollection: [
    'collection in the version',
    "Collection 'front-camera-clips' not found in version 1 of dataset 'training-v2'",
  ],
  versionTag: ['tag', "Version 1 of dataset 'training-v2' holds no tag 'production'"],
  collections: [
    'named collections',
    "Collections not found in project 'acme/robotics': 'edge-cases'; nothing was changed",
  ],
} as const;
export type Missing = keyof typeof NOT_FOUND;

/** The 404s of a route, one example for each thing that may be missing (in the order they are checked). */
export function notFound(...things: Missing[]): Examples {
  return Object.fromEntries(things.map((thing) => NOT_FOUND[thing]));
}

/** What each statement's conflict says (409). */
export const CONFLICT = {
  namespaceSlug: "Namespace slug 'acme' is already taken",
  namespaceHasProjects: "Namespace 'acme' still has projects; delete them first",
  lastOwner: "Namespace 'acme' must keep at least one owner",
  projectSlug: "Project slug 'robotics' is already taken in namespace 'acme'",
  datasetName: "Dataset 'training-v2' already exists in project 'acme/robotics'",
  collectionName: "Collection 'front-camera-clips' already exists in project 'acme/robotics'",
  collectionsTaken: "Collections already belong to another dataset: 'edge-cases'; nothing was changed",
  tagHeld:
    "Tags held by another version of dataset 'training-v2': 'production'; nothing was frozen (move a tag with PUT …/versions/:n/tags/:tag)",
  versionTagged: "Version 1 holds tags 'production'; delete or move them first",
  restoreClash:
    "Collections the version needs are held by other live collections of project 'acme/robotics': 'front-camera-clips'; nothing was changed (rename or delete those first)",
} as const;

/** Validation problems as the service words them (400), one sentence each. */
export const INVALID = {
  slug: 'slug must be 1-64 lowercase letters, digits or inner hyphens (^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$)',
  name: "name must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit",
  nameMissing: 'name should not be null or undefined',
  nameEmpty: 'name must not be empty',
  nameNull: 'name must not be null',
  role: 'role must be one of: reader, writer, admin, owner',
  page: 'page must not be less than 1',
  pageSize: 'pageSize must not be greater than 200',
  sort: 'sort must be one of: name, -name, createdAt, -createdAt, updatedAt, -updatedAt',
  metadata: 'metadata must be a JSON object of at most 64 KiB serialized and 32 levels deep',
  userId:
    'userId must be 1-255 characters of well-formed Unicode without control, zero-width or bidi-override characters',
  datasetId: 'datasetId must be a UUID',
  nodeIds: (field: 'add' | 'remove' | 'members') => `${field} holds invalid node ids: "a b"`,
  collectionNames: (field: 'add' | 'remove') => `${field} holds invalid collection names: "bad name"`,
  bothForms: 'use page/pageSize or after/limit, not both',
  afterUnknown: "after: node id 'episode-9999' is not a member of collection 'front-camera-clips'",
  members: 'members must be true or false',
  standalone: 'datasetId and standalone=true exclude each other',
  versionTags:
    'each of tags must be a name (1-100 letters, digits, ., _ or -) that is not all digits nor latest or working',
  versionTag: 'tag must be a name (1-100 letters, digits, ., _ or -) that is not all digits nor latest or working',
  versionMessage: 'message must be shorter than or equal to 1000 characters',
  tooManyTags: 'version 1 already holds 20 tags',
  diffCursor: 'after: not a cursor this listing gave',
} as const;

/** The 403 of a member change that touches the owner role, by an admin. */
export const OWNER_ROLE_ONLY = "Only an owner of namespace 'acme' may grant, change or revoke the owner role";

/** The 400 of a URL with a NUL in it: every route can answer it, before anything else. */
export const NUL_IN_URL = ['The URL must not contain NUL characters (%00)'];

export interface ErrorSpec {
  /** Validation problems (400); the URL-NUL example is added to every route. */
  400?: Message | Examples;
  403?: Message | Examples;
  404?: Message | Examples;
  409?: Message | Examples;
  412?: Message | Examples;
  422?: Message | Examples;
  /** The route reads a JSON body: 413 beyond its limit (8 MiB for id lists, 256 KiB else), 415 for another type. */
  body?: 'json' | 'idList';
}

const kib = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;

/** Where the examples go: one message → `example`; several → `examples`, by summary. */
function examplesOf(status: ErrorStatus, given: Message | Examples) {
  if (typeof given === 'string' || Array.isArray(given)) return { example: errorExample(status, given) };
  const entries = Object.entries(given).map(([summary, message]) => [
    summary.replace(/\W+/g, '-'),
    { summary, value: errorExample(status, message) },
  ]);
  return { examples: Object.fromEntries(entries) as Record<string, { summary: string; value: unknown }> };
}

/**
 * One error response, always JSON (also on routes that produce something else). `shared` names it
 * under `components.responses` when every route gives the same one (see finishDocument).
 */
function errorResponse(status: ErrorStatus, given: Message | Examples, description = MEANING[status], shared?: string) {
  const headers = {
    ...(status === 401 ? { 'WWW-Authenticate': headerRef('WWW-Authenticate') } : {}),
    ...(status === 429 ? { 'Retry-After': headerRef('Retry-After') } : {}),
  };
  return applyDecorators(
    ApiExtraModels(ErrorDto),
    ApiResponse({
      status,
      description,
      content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorDto) }, ...examplesOf(status, given) } },
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(shared ? { [SHARED_RESPONSE]: shared } : {}),
    }),
  );
}

/**
 * The error answers of a route that needs a token: the statuses given, each with its examples, plus
 * what any such route may answer: 400 (a NUL in the URL), 401, 429 and 503; and 413/415 when it
 * reads a JSON body.
 */
export function ApiErrors(spec: ErrorSpec = {}): MethodDecorator {
  const { body, ...statuses } = spec;
  const given = statuses as Partial<Record<ErrorStatus, Message | Examples>>;
  const invalid = given[400];
  const badRequest: Examples = {
    ...(invalid === undefined ? {} : typeof invalid === 'string' || Array.isArray(invalid) ? { invalid } : invalid),
    'NUL in the URL': NUL_IN_URL,
  };
  const limit = body === 'idList' ? ID_LIST_BODY_LIMIT : BODY_LIMIT;
  return applyDecorators(
    errorResponse(400, badRequest),
    errorResponse(
      401,
      {
        'no token': 'Missing bearer token (Authorization: Bearer <JWT>)',
        'expired token': 'Bearer token has expired',
      },
      MEANING[401],
      'Unauthorized',
    ),
    ...(['403', '404', '409', '412', '422'] as const)
      .filter((status) => given[Number(status) as ErrorStatus] !== undefined)
      .map((status) => errorResponse(Number(status) as ErrorStatus, given[Number(status) as ErrorStatus]!)),
    ...(body
      ? [
          errorResponse(
            413,
            `Request body is larger than ${kib(limit)}`,
            `Request body larger than ${kib(limit)}${body === 'idList' ? ' (this route takes id lists)' : ''}`,
            body === 'idList' ? 'IdListBodyTooLarge' : 'BodyTooLarge',
          ),
          errorResponse(
            415,
            'Request body must be JSON (Content-Type: application/json)',
            MEANING[415],
            'UnsupportedMediaType',
          ),
        ]
      : []),
    errorResponse(429, 'Too many requests; retry in 42 s', MEANING[429], 'TooManyRequests'),
    errorResponse(503, 'The database is unavailable; try again', MEANING[503], 'ServiceUnavailable'),
  );
}

/** The error answers of a route that needs no token (health, metrics): a NUL in the URL → 400. */
export function ApiPublicErrors(): MethodDecorator {
  return errorResponse(400, { 'NUL in the URL': NUL_IN_URL });
}

/** 503 of a route that asks the database and answers in its own words. */
export function ApiUnavailable(message: string, description: string): MethodDecorator {
  return errorResponse(503, message, description);
}

/** What a change answers when its If-Match tag is not current (412). */
export const STALE = {
  namespace: "Namespace 'acme' has changed since the If-Match tag was read; nothing was changed",
  project: "Project 'acme/robotics' has changed since the If-Match tag was read; nothing was changed",
  dataset:
    "Dataset 'training-v2' in project 'acme/robotics' has changed since the If-Match tag was read; nothing was changed",
  collection:
    "Collection 'front-camera-clips' in project 'acme/robotics' has changed since the If-Match tag was read; nothing was changed",
  version:
    "Version 1 of dataset 'training-v2' in project 'acme/robotics' has changed since the If-Match tag was read; nothing was changed",
  member: "Member 'bob' in namespace 'acme' has changed since the If-Match tag was read; nothing was changed",
  trashItem:
    "Item '5d1c8f0e-3b7a-4f2e-9c61-8a4d2b7e0f13' in the trash of project 'acme/robotics' has changed since the If-Match tag was read; nothing was changed",
} as const;

/** What a POST with an Idempotency-Key answers when the key is busy (409) or was used for another request (422). */
export const IDEMPOTENCY = {
  inProgress: 'A request with this Idempotency-Key is still in progress; retry it shortly',
  reused: 'This Idempotency-Key was used for a different request (method, path or body); use a new key',
} as const;
