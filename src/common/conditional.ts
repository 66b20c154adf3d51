import { applyDecorators, BadRequestException, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';

/**
 * The entries of an RFC 9110 entity-tag list (`#entity-tag` or `*`): each `*`, `"…"` or `W/"…"`,
 * separated by commas with optional whitespace. A quoted tag may itself hold commas (etagc is
 * %x21 / %x23-7E / obs-text), so the list is scanned, never split on every comma. Null when the
 * value is not such a list.
 */
export function entityTags(value: string): string[] | null {
  const tags: string[] = [];
  let i = 0;
  const skip = () => {
    while (i < value.length && (value[i] === ' ' || value[i] === '\t' || value[i] === ',')) i++;
  };
  skip();
  while (i < value.length) {
    if (value[i] === '*') {
      tags.push('*');
      i++;
    } else {
      const start = i;
      if (value.startsWith('W/', i)) i += 2;
      if (value[i] !== '"') return null;
      const end = value.indexOf('"', i + 1);
      if (end === -1) return null;
      const opaque = value.slice(i + 1, end);
      if (!/^[\x21\x23-\x7e\x80-\xff]*$/.test(opaque)) return null;
      tags.push(value.slice(start, end + 1));
      i = end + 1;
    }
    // between two entries: optional whitespace, then a comma (or the end)
    while (i < value.length && (value[i] === ' ' || value[i] === '\t')) i++;
    if (i < value.length && value[i] !== ',') return null;
    skip();
  }
  return tags;
}

/**
 * The entity tags of a conditional header, as statements compare them (`tag = ANY($n)`, `*`
 * matching any current version), or null without the header. If-None-Match compares weakly (a
 * `W/` tag counts as its strong form), If-Match strongly (a weak tag never matches).
 */
function tagHeader(name: 'If-Match' | 'If-None-Match') {
  return createParamDecorator((_: unknown, context: ExecutionContext): string[] | null => {
    const value = context.switchToHttp().getRequest<FastifyRequest>().headers[name.toLowerCase()];
    if (value === undefined || value === '') return null;
    const tags = entityTags(String(value));
    if (tags === null || tags.length === 0) {
      throw new BadRequestException([`${name} must hold entity tags such as "…" (from an ETag header), or *`]);
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

/** What If-Match means on a change of a target that has no ETag of its own (RFC 9110 §13.1.1). */
export const IF_MATCH_UNTAGGED = {
  member:
    'A membership has no ETag, so only `*` can match, and only a member who is there: `*` changes an existing ' +
    'member and never adds one; a list of tags never matches. 412 (and nothing changed) when it does not match',
  trashItem:
    'A trash item has no ETag, so only `*` can match (it is in the trash); a list of tags never matches. ' +
    '412 (and nothing changed) when it does not match',
} as const;

/**
 * Documents a change that accepts If-Match (its 412 goes in the route's ApiErrors); `description`
 * for a target without an ETag of its own (IF_MATCH_UNTAGGED).
 */
export function ApiIfMatch(
  description = 'The ETag of the version this change is meant for: 412 (and nothing changed) if it is not current',
): MethodDecorator {
  return applyDecorators(ApiHeader({ name: 'If-Match', required: false, description, schema: { type: 'string' } }));
}
