import { PATH_METADATA } from '@nestjs/common/constants.js';
import { ApiParam, type ApiParamOptions } from '@nestjs/swagger';
import { NAME_PATTERN, SLUG_MAX, SLUG_PATTERN } from './slug.js';

/** How each path parameter of the API is documented: its type, pattern, and an example that exists in the walkthrough. */
const PATH_PARAMS: Record<string, (segmentBefore: string) => ApiParamOptions> = {
  slug: () => ({
    name: 'slug',
    description: 'Namespace slug',
    schema: { type: 'string', pattern: SLUG_PATTERN.source, minLength: 1, maxLength: SLUG_MAX, example: 'acme' },
  }),
  projectSlug: () => ({
    name: 'projectSlug',
    description: 'Project slug',
    schema: { type: 'string', pattern: SLUG_PATTERN.source, minLength: 1, maxLength: SLUG_MAX, example: 'robotics' },
  }),
  // A `:name` is a dataset's or a collection's, by the segment before it.
  name: (segmentBefore) => ({
    name: 'name',
    description: segmentBefore === 'datasets' ? 'Dataset name' : 'Collection name',
    schema: {
      type: 'string',
      pattern: NAME_PATTERN.source,
      minLength: 1,
      maxLength: 100,
      example: segmentBefore === 'datasets' ? 'training-v2' : 'front-camera-clips',
    },
  }),
  userId: () => ({
    name: 'userId',
    description: "The member's user id: a token `sub`, URL-encoded",
    schema: { type: 'string', minLength: 1, maxLength: 255, example: 'bob' },
  }),
  id: () => ({ name: 'id', description: 'Id', schema: { type: 'string', format: 'uuid' } }),
  deliveryId: () => ({ name: 'deliveryId', description: 'A delivery id', schema: { type: 'string', format: 'uuid' } }),
  ref: () => ({
    name: 'ref',
    description: 'A version: its number, one of its tags, or `latest`',
    schema: { type: 'string', example: '1' },
  }),
  a: () => ({
    name: 'a',
    description: 'The version to compare from: a number, a tag or `latest`',
    schema: { type: 'string', example: '1' },
  }),
  b: () => ({
    name: 'b',
    description: 'The version to compare to: a number, a tag, `latest`, or `working` (the live dataset)',
    schema: { type: 'string', example: 'working' },
  }),
  n: () => ({ name: 'n', description: 'A version number', schema: { type: 'integer', minimum: 1, example: 1 } }),
  tag: () => ({
    name: 'tag',
    description: 'A version tag (not all digits, not latest or working)',
    schema: { type: 'string', pattern: NAME_PATTERN.source, maxLength: 100, example: 'production' },
  }),
  collection: () => ({
    name: 'collection',
    description: 'Collection name (as the version froze it)',
    schema: {
      type: 'string',
      pattern: NAME_PATTERN.source,
      minLength: 1,
      maxLength: 100,
      example: 'front-camera-clips',
    },
  }),
};

const joinPath = (...parts: string[]): string => parts.filter(Boolean).join('/');

/**
 * Documents every path parameter of a controller's routes (`:slug`, `:projectSlug`, `:name`,
 * `:userId`, `:id`) with its type and pattern, whether a handler takes it alone or in an object.
 * A class decorator, so it sees each handler's route path.
 */
export function ApiPathParams(): ClassDecorator {
  return (target) => {
    const base = String(Reflect.getMetadata(PATH_METADATA, target) ?? '');
    const prototype = target.prototype as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(prototype)) {
      const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
      const handler: unknown = descriptor?.value;
      if (key === 'constructor' || !descriptor || typeof handler !== 'function') continue;
      const own = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (own === undefined) continue;
      const segments = joinPath(base, ...(Array.isArray(own) ? own.slice(0, 1) : [own])).split('/');
      segments.forEach((segment, index) => {
        const param = segment.startsWith(':') ? PATH_PARAMS[segment.slice(1)] : undefined;
        if (param) ApiParam(param(segments[index - 1] ?? ''))(prototype, key, descriptor);
      });
    }
    return target;
  };
}
