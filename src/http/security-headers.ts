import helmet from '@fastify/helmet';
import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/*
 * Security headers on every answer (@fastify/helmet): X-Content-Type-Options: nosniff,
 * X-Frame-Options: DENY, a Content-Security-Policy, and helmet's other defaults (Referrer-Policy:
 * no-referrer, Cross-Origin-Opener/Resource-Policy: same-origin, …). No Strict-Transport-Security:
 * the service speaks plain HTTP behind whatever terminates TLS, browsers ignore HSTS over HTTP
 * (RFC 6797 §8.1), and pinning a whole host to HTTPS for a year is the TLS terminator's decision.
 */

/** The JSON API is never a page: nothing may load, nothing may frame it. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * Swagger UI at /docs: its own scripts (no inline script: its init script is a file), its
 * stylesheet plus the inline styles of its page and its rendering (style attributes), data: images
 * of its stylesheet, and Try it out's requests to this origin.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The headers that matter of the strict set, for the answers written before any hook runs (a
 * malformed URL, a request that did not arrive in time).
 */
export const OUTSIDE_HOOK_HEADERS = {
  'content-security-policy': API_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

/** Helmet's directives object for a policy written as a header value. */
function directives(policy: string): Record<string, string[]> {
  return Object.fromEntries(
    policy.split('; ').map((directive) => {
      const [name, ...values] = directive.split(' ');
      return [name, values];
    }),
  );
}

const csp = (policy: string): FastifyHelmetOptions['contentSecurityPolicy'] => ({
  useDefaults: false,
  directives: directives(policy),
});

/** Whether a route serves Swagger UI (its page and its assets). */
const isDocs = (url: string): boolean => url === '/docs' || url.startsWith('/docs/');

/**
 * Registers helmet for every route, with the strict policy except on Swagger UI's routes (given
 * DOCS_CSP as they are added). Register it before any hook that may answer, so those answers carry
 * the headers too.
 */
export async function registerSecurityHeaders(fastify: FastifyInstance): Promise<void> {
  fastify.addHook('onRoute', (route) => {
    // Before helmet's own onRoute hook, which reads a route's `helmet` option.
    if (isDocs(route.url)) route.helmet = { contentSecurityPolicy: csp(DOCS_CSP) };
  });
  await fastify.register(helmet, {
    global: true,
    contentSecurityPolicy: csp(API_CSP),
    frameguard: { action: 'deny' },
    strictTransportSecurity: false,
  });
}
