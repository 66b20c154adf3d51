import { applyDecorators, BadRequestException, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';

/** An entity tag as a client sends it in If-Match / If-None-Match: a quoted strong tag. */
const TAG = /^"[\x21\x23-\x7e]*"$/;

/**
 * The entity tags of a conditional header, as statements compare them (`tag = ANY($n)`, `*`
 * matching any current version), or null without the header. If-None-Match compares weakly (a
 * `W/` tag counts as its strong form), If-Match strongly (a weak tag never matches).
 */
function tagHeader(name: 'If-Match' | 'If-None-Match') {
  return createParamDecorator((_: unknown, context: ExecutionContext): string[] | null => {
    const value = context.switchToHttp().getRequest<FastifyRequest>().headers[name.toLowerCase()];
    if (value === undefined || value === '') return null;
    const tags = String(value)
      .split(',')
      .map((tag) => tag.trim())
      .filter(Boolean);
    for (const tag of tags) {
      if (tag !== '*' && !TAG.test(tag.replace(/^W\//, ''))) {
        throw new BadRequestException([`${name} must hold entity tags such as "…" (from an ETag header), or *`]);
      }
    }
    return name === 'If-None-Match' ? tags.map((tag) => tag.replace(/^W\//, '')) : tags;
  });
}

/** The If-None-Match tag of a GET (null without one). */
export const IfNoneMatch = tagHeader('If-None-Match');
/** The If-Match tag of a change (null without one). */
export const IfMatch = tagHeader('If-Match');

/** Documents a GET answering with an ETag and 304 for a current If-None-Match. */
export function ApiConditionalGet(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: 'An ETag from an earlier answer: 304 with no body while it is current',
      schema: { type: 'string' },
    }),
    ApiResponse({ status: 304, description: 'Not modified: the If-None-Match tag is current (no body)' }),
  );
}

/** Documents a change that accepts If-Match (its 412 goes in the route's ApiErrors). */
export function ApiIfMatch(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'If-Match',
      required: false,
      description: 'The ETag of the version this change is meant for: 412 (and nothing changed) if it is not current',
      schema: { type: 'string' },
    }),
  );
}
