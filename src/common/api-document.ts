import type { HeaderObject, OpenAPIObject, ParameterObject, ReferenceObject, ResponseObject } from '@nestjs/swagger';
import { headerRef, RESPONSE_HEADERS, SHARED_RESPONSE, type HeaderName } from './api-headers.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const RATE_LIMIT_HEADERS: HeaderName[] = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];

/**
 * What the decorators cannot say route by route, done once on the generated document:
 * - `X-Request-Id` on every response, and the caller's `RateLimit-*` on the successes and 429s of
 *   the routes that need a token (a caller is counted once known); `Location` on 201s, `ETag` on
 *   the answers of conditional GETs and PATCHes, `Idempotent-Replayed` where Idempotency-Key is taken;
 * - responses that are the same on every route (401, 413, 415, 429, 503) defined once under
 *   `components.responses` and referenced;
 * - path parameters first, in path order (Swagger UI asks for them in that order).
 */
export function finishDocument(document: OpenAPIObject): OpenAPIObject {
  const shared: Record<string, ResponseObject> = {};
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const needsToken = (operation.security ?? document.security ?? []).length > 0;
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!response || '$ref' in response) continue;
        const headers: Record<string, HeaderObject | ReferenceObject> = { 'X-Request-Id': headerRef('X-Request-Id') };
        if (needsToken && (status.startsWith('2') || status === '429'))
          for (const name of RATE_LIMIT_HEADERS) headers[name] = headerRef(name);
        if (status === '201') headers.Location = headerRef('Location');
        if (
          status.startsWith('2') &&
          (takes(operation, 'If-None-Match') || (method === 'patch' && takes(operation, 'If-Match')))
        )
          headers.ETag = headerRef('ETag');
        if (status.startsWith('2') && takes(operation, 'Idempotency-Key'))
          headers['Idempotent-Replayed'] = headerRef('Idempotent-Replayed');
        response.headers = { ...headers, ...response.headers };
        const marked = response as ResponseObject & { [SHARED_RESPONSE]?: string };
        const name = marked[SHARED_RESPONSE];
        if (name !== undefined) {
          delete marked[SHARED_RESPONSE];
          shared[name] ??= response;
          operation.responses[status] = { $ref: `#/components/responses/${name}` };
        }
      }
      if (operation.parameters) operation.parameters = pathParamsFirst(path, operation.parameters);
    }
  }
  document.components = {
    ...document.components,
    responses: { ...document.components?.responses, ...shared },
    headers: { ...document.components?.headers, ...RESPONSE_HEADERS },
  };
  return document;
}

/** Whether an operation takes the request header `name`. */
function takes(operation: { parameters?: (ParameterObject | ReferenceObject)[] }, name: string): boolean {
  return (operation.parameters ?? []).some((p) => 'in' in p && p.in === 'header' && p.name === name);
}

function pathParamsFirst(
  path: string,
  parameters: (ParameterObject | ReferenceObject)[],
): (ParameterObject | ReferenceObject)[] {
  const position = (parameter: ParameterObject | ReferenceObject): number =>
    'in' in parameter && parameter.in === 'path' ? path.indexOf(`{${parameter.name}}`) : Number.MAX_SAFE_INTEGER;
  return [...parameters].sort((a, b) => position(a) - position(b));
}
