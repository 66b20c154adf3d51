import { BadRequestException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { WithRouteConfig } from '../common/route-config.js';

/** Every route's JSON body limit (413 beyond). */
export const BODY_LIMIT = 256 * 1024;
/** The limit of routes that carry id lists (member add/remove, collection create, dataset link/unlink). */
export const ID_LIST_BODY_LIMIT = 8 * 1024 * 1024;
/** Deepest nesting of arrays and objects a body may have. */
export const MAX_DEPTH = 64;
/** Keys refused anywhere in a body but inside `metadata`, where every key is data. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route carries id lists: its body may be up to ID_LIST_BODY_LIMIT. */
    idListBody?: boolean;
  }
}

/** Marks a route whose body carries id lists, so it may be up to 8 MiB. */
export const IdListBody = (): MethodDecorator => WithRouteConfig({ idListBody: true });

/**
 * What is wrong with a parsed body, or null. Walks it with an explicit stack (never recursion over
 * client data): nesting deeper than MAX_DEPTH, prototype keys outside `metadata`, and (when the
 * text holds an escaped NUL) NUL characters, which PostgreSQL text cannot store.
 */
export function bodyProblem(body: unknown, mayHoldNul: boolean, mayHoldSurrogates = false): string | null {
  const checkStrings = mayHoldNul || mayHoldSurrogates;
  /** What is wrong with one string of the body (a key or a value), or null. */
  const stringProblem = (text: string, what: 'Strings' | 'Keys'): string | null => {
    if (mayHoldNul && text.includes('\u0000'))
      return `${what} in the request body must not contain NUL characters (\\u0000)`;
    // PostgreSQL would store a lone surrogate as U+FFFD: the client would read back something else.
    if (mayHoldSurrogates && !text.isWellFormed()) {
      return `${what} in the request body must be well-formed Unicode (no lone surrogates)`;
    }
    return null;
  };
  const stack: { value: unknown; depth: number; data: boolean }[] = [{ value: body, depth: 1, data: false }];
  while (stack.length > 0) {
    const { value, depth, data } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = stringProblem(value, 'Strings');
      if (problem !== null) return problem;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_DEPTH) return `The request body is nested deeper than ${MAX_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (const item of value) {
        if (item !== null && typeof item === 'object') stack.push({ value: item, depth: depth + 1, data });
        else if (checkStrings && typeof item === 'string') stack.push({ value: item, depth, data });
      }
      continue;
    }
    for (const key of Object.keys(value)) {
      const problem = checkStrings ? stringProblem(key, 'Keys') : null;
      if (problem !== null) return problem;
      if (!data && PROTOTYPE_KEYS.has(key)) {
        return `The key '${key}' is not allowed in a request body (except inside metadata)`;
      }
      const item = (value as Record<string, unknown>)[key];
      // `metadata` at the top of a body is the client's own data: any key may appear in it.
      const inData = data || (depth === 1 && key === 'metadata');
      if (item !== null && typeof item === 'object') stack.push({ value: item, depth: depth + 1, data: inData });
      else if (checkStrings && typeof item === 'string') stack.push({ value: item, depth, data: inData });
    }
  }
  return null;
}

/**
 * JSON is the only body the API takes (anything else: 415), for every method, DELETE included
 * (the CLI sends `{"remove": [...]}`); an empty body counts as no body, so a client that always
 * sends the JSON content type is not refused. Bodies are limited per route before they are read:
 * 8 MiB where they carry id lists, 256 KiB elsewhere.
 */
export function parseJsonBodies(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addHook('onRoute', (route) => {
    if (route.config?.idListBody) route.bodyLimit = ID_LIST_BODY_LIMIT;
  });
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (_request, text: string, done: (error: Error | null, value?: unknown) => void) => {
      if (text.trim() === '') return done(null, undefined);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return done(new BadRequestException('Request body is not valid JSON'));
      }
      const problem = bodyProblem(parsed, text.includes('\\u0000'), /\\u[dD][89a-fA-F]/.test(text));
      done(problem === null ? null : new BadRequestException([problem]), parsed);
    },
  );
}
