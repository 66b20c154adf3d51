import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

/*
 * The DreamLake catalog client for internal services: openapi-fetch over the types that
 * openapi-typescript generates from the service's openapi.json (`npm run client` regenerates
 * schema.d.ts; CI fails when it is not current).
 */

export type { components, operations, paths };
/** The answer and request bodies by schema name, e.g. `Schemas['CollectionDto']`. */
export type Schemas = components['schemas'];
/** Every error answer: `{statusCode, error, message, requestId}`. */
export type CatalogError = Schemas['ErrorDto'];
export type CatalogClient = Client<paths>;

/** A bearer token, or a function that returns the current one (called for every request). */
export type TokenSource = string | (() => string | Promise<string>);

/**
 * A typed client for the catalog at `baseUrl` (e.g. `http://catalog:3000`), sending
 * `Authorization: Bearer <token>` on every request. Each call resolves to `{data, error, response}`:
 * `data` typed by the route's success answer, `error` by its error answer.
 */
export function createCatalogClient(
  baseUrl: string,
  token: TokenSource,
  options: Omit<ClientOptions, 'baseUrl'> = {},
): CatalogClient {
  const client = createClient<paths>({ ...options, baseUrl });
  client.use({
    async onRequest({ request }) {
      request.headers.set('Authorization', `Bearer ${typeof token === 'string' ? token : await token()}`);
      return request;
    },
  });
  return client;
}
