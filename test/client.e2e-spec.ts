import type { AddressInfo } from 'node:net';
import { Database } from '#src/database/database.js';
import { createCatalogClient, type CatalogClient } from '../clients/typescript/index.js';
import { ISO, TestApp, UUID, tokenFor, uid } from './harness.js';

/*
 * The TypeScript client (clients/typescript) against the running service over HTTP, as an
 * internal service would use it: namespace → project → collection → members → both listing forms.
 * Every answer is checked for its X-Request-Id and its one SQL statement (none before the database).
 */

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

describe('TypeScript client (openapi-fetch)', () => {
  let t: TestApp;
  let baseUrl: string;
  let catalog: CatalogClient;
  const checked: string[] = [];

  /** A client for `sub` whose every answer must carry a request id and cost the statements the harness allows. */
  function clientFor(sub: string | null): CatalogClient {
    const client = createCatalogClient(baseUrl, sub === null ? 'not-a-token' : tokenFor(sub));
    const database = t.app.get(Database);
    client.use({
      onRequest() {
        database.statements = 0;
      },
      async onResponse({ request, response }) {
        const where = `${request.method} ${new URL(request.url).pathname} → ${response.status}`;
        const id = response.headers.get('x-request-id');
        expect([where, id]).toEqual([where, expect.stringMatching(REQUEST_ID)]);
        if (response.status >= 400) {
          const body = (await response.clone().json()) as { requestId?: string };
          expect([where, body.requestId]).toEqual([where, id]);
        }
        const expected = [400, 401].includes(response.status) ? 0 : 1;
        expect([where, database.statements]).toEqual([where, expected]);
        checked.push(where);
        return undefined;
      },
    });
    return client;
  }

  beforeAll(async () => {
    t = await TestApp.start();
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
    catalog = clientFor('client-user');
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates a namespace, a project and a collection, adds members and pages them both ways', async () => {
    const slug = `acme-${uid()}`;

    const namespace = await catalog.POST('/namespaces', { body: { slug, name: 'Acme Robotics' } });
    expect(namespace.response.status).toBe(201);
    expect(namespace.data).toEqual({
      id: UUID,
      slug,
      name: 'Acme Robotics',
      description: null,
      metadata: null,
      createdAt: ISO,
      updatedAt: ISO,
    });

    const project = await catalog.POST('/namespaces/{slug}/projects', {
      params: { path: { slug } },
      body: { name: 'Robotics', tags: ['lidar'] },
    });
    expect(project.response.status).toBe(201);
    expect(project.data).toEqual({
      id: UUID,
      namespaceId: namespace.data!.id,
      name: 'Robotics',
      slug: 'robotics',
      description: null,
      tags: ['lidar'],
      metadata: null,
      createdAt: ISO,
      updatedAt: ISO,
    });

    const path = { slug, projectSlug: project.data!.slug };
    const created = await catalog.POST('/namespaces/{slug}/projects/{projectSlug}/collections', {
      params: { path },
      body: { name: 'front-camera-clips', members: ['episode-0001', 'episode-0002', 'episode-0001'] },
    });
    expect(created.response.status).toBe(201);
    expect(created.data).toEqual({
      id: UUID,
      name: 'front-camera-clips',
      description: null,
      tags: [],
      metadata: null,
      projectId: project.data!.id,
      datasetId: null,
      members: ['episode-0001', 'episode-0002'],
      memberCount: 2,
      createdAt: ISO,
      updatedAt: ISO,
    });

    const collection = { ...path, name: 'front-camera-clips' };
    const added = await catalog.POST('/namespaces/{slug}/projects/{projectSlug}/collections/{name}/members', {
      params: { path: collection },
      body: { add: ['episode-0002', 'episode-0003', 'clip:42', 'clip:43'] },
    });
    expect({ status: added.response.status, body: added.data }).toEqual({
      status: 200,
      body: { added: 3, total: 5 },
    });

    const all = ['episode-0001', 'episode-0002', 'episode-0003', 'clip:42', 'clip:43'];
    const entries = (ids: string[]) => ids.map((nodeId) => ({ nodeId, addedAt: ISO }));
    const members = '/namespaces/{slug}/projects/{projectSlug}/collections/{name}/members' as const;

    // Page form: pages of 2 until page >= totalPages, as the CLI loops.
    const pages: unknown[] = [];
    for (let page = 1; ; page += 1) {
      const { data, response } = await catalog.GET(members, {
        params: { path: collection, query: { page, pageSize: 2 } },
      });
      expect(response.status).toBe(200);
      pages.push(data);
      if (!data || !('totalPages' in data) || page >= data.totalPages) break;
    }
    expect(pages).toEqual([
      { members: entries(all.slice(0, 2)), page: 1, pageSize: 2, total: 5, totalPages: 3 },
      { members: entries(all.slice(2, 4)), page: 2, pageSize: 2, total: 5, totalPages: 3 },
      { members: entries(all.slice(4)), page: 3, pageSize: 2, total: 5, totalPages: 3 },
    ]);

    // Cursor form: limit 2, after the previous nextCursor until it is null.
    const cursorPages: unknown[] = [];
    let after: string | undefined;
    do {
      const { data, response } = await catalog.GET(members, {
        params: { path: collection, query: { limit: 2, after } },
      });
      expect(response.status).toBe(200);
      cursorPages.push(data);
      after = data && 'nextCursor' in data ? (data.nextCursor ?? undefined) : undefined;
    } while (after !== undefined && cursorPages.length < 10);
    expect(cursorPages).toEqual([
      { members: entries(all.slice(0, 2)), nextCursor: 'episode-0002' },
      { members: entries(all.slice(2, 4)), nextCursor: 'clip:42' },
      { members: entries(all.slice(4)), nextCursor: null },
    ]);

    // Both forms at once: 400, typed as the error body.
    const mixed = await catalog.GET(members, { params: { path: collection, query: { page: 1, limit: 2 } } });
    expect(mixed.response.status).toBe(400);
    expect(mixed.error).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: ['use page/pageSize or after/limit, not both'],
      requestId: mixed.response.headers.get('x-request-id'),
    });
  });

  it('answers errors as typed error bodies: 401 for a bad token, 404 naming what is missing, 409 naming what is taken', async () => {
    const anonymous = await clientFor(null).GET('/me');
    expect(anonymous.response.status).toBe(401);
    expect(anonymous.error).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Invalid bearer token: jwt malformed',
      requestId: expect.stringMatching(REQUEST_ID),
    });

    const slug = `acme-${uid()}`;
    expect((await catalog.POST('/namespaces', { body: { slug } })).response.status).toBe(201);
    const taken = await catalog.POST('/namespaces', { body: { slug } });
    expect({ status: taken.response.status, message: taken.error?.message }).toEqual({
      status: 409,
      message: `Namespace slug '${slug}' is already taken`,
    });

    const missing = await catalog.GET('/namespaces/{slug}/projects/{projectSlug}', {
      params: { path: { slug, projectSlug: 'robotics' } },
    });
    expect({ status: missing.response.status, message: missing.error?.message }).toEqual({
      status: 404,
      message: `Project 'robotics' not found in namespace '${slug}'`,
    });

    // Every answer of this file went through the checks of clientFor.
    expect(checked).toHaveLength(15);
  });
});
