import request from 'supertest';
import { TestApp, tokenFor, uid, type Json, checkRequestId } from './harness.js';

/*
 * Membership changes and namespace deletes racing each other (issue 7, rows 2-4): every outcome
 * must be one a serial order of the same requests gives. The requests go straight through
 * supertest (the harness's statement counter is shared by requests in flight); the reads that
 * check the outcome go through the harness. On the embedded database the statements run one after
 * another; on a PostgreSQL server they really race, so each race is run for several rounds.
 */

const ROUNDS = 20;
const LONG = 180_000;

type Method = 'get' | 'put' | 'post' | 'delete';

const OWNER_ONLY = (slug: string) => ({
  statusCode: 403,
  error: 'Forbidden',
  message: `Only an owner of namespace '${slug}' may grant, change or revoke the owner role`,
});

describe('races on memberships and namespace deletes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start();
  }, 150_000);
  afterAll(async () => {
    await t.close();
  }, 150_000);

  /** One request straight to the server (no statement counting), as `as`. */
  async function raw(
    method: Method,
    path: string,
    as: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> {
    let req = request(t.app.getHttpServer())
      [method](path)
      .set('Authorization', `Bearer ${tokenFor(as)}`);
    if (body !== undefined) req = req.send(body as object);
    const res = await req;
    checkRequestId(res);
    return { status: res.status, body: res.body };
  }

  /** Every member's role in namespace `slug`, read by `as`. */
  async function roles(slug: string, as: string): Promise<Record<string, string>> {
    const res = await t.get(`/namespaces/${slug}/members`, as, 'pageSize=200');
    expect(res.status).toBe(200);
    return Object.fromEntries(res.body.members.map((m: Json) => [m.userId, m.role]));
  }

  const member = (userId: string, role: string) => ({ userId, role, createdAt: expect.any(String) });

  it.each([
    ['a writer', 'writer'],
    ['someone not yet a member', null],
  ])(
    'row 2: an owner grants %s owner while an admin sets them reader: they end owner, as in either serial order',
    async (_, before) => {
      for (let round = 0; round < ROUNDS; round++) {
        const [owner, admin, x] = [`own-${uid()}`, `adm-${uid()}`, `x-${uid()}`];
        const slug = await t.namespace(owner, { [admin]: 'admin', ...(before ? { [x]: before } : {}) });
        const [grant, demote] = await Promise.all([
          raw('put', `/namespaces/${slug}/members/${x}`, owner, { role: 'owner' }),
          raw('put', `/namespaces/${slug}/members/${x}`, admin, { role: 'reader' }),
        ]);
        // owner first: the admin may not change an owner (403); admin first: reader, then owner.
        expect(grant).toEqual({ status: 200, body: member(x, 'owner') });
        expect([
          { status: 200, body: member(x, 'reader') },
          { status: 403, body: OWNER_ONLY(slug) },
        ]).toContainEqual(demote);
        expect((await roles(slug, owner))[x]).toBe('owner');
      }
    },
    LONG,
  );

  it(
    'row 2: an admin changes a member while an owner demotes that admin: the change stands only if it went first',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const [owner, admin, w] = [`own-${uid()}`, `adm-${uid()}`, `w-${uid()}`];
        const slug = await t.namespace(owner, { [admin]: 'admin', [w]: 'writer' });
        const [demoteAdmin, change] = await Promise.all([
          raw('put', `/namespaces/${slug}/members/${admin}`, owner, { role: 'reader' }),
          raw('put', `/namespaces/${slug}/members/${w}`, admin, { role: 'reader' }),
        ]);
        expect(demoteAdmin).toEqual({ status: 200, body: member(admin, 'reader') });
        // admin first: both change; owner first: the admin is a reader now (403), the writer stays.
        expect([
          { status: 200, body: member(w, 'reader') },
          {
            status: 403,
            body: {
              statusCode: 403,
              error: 'Forbidden',
              message: `Your role in namespace '${slug}' is 'reader'; this needs 'admin' or above`,
            },
          },
        ]).toContainEqual(change);
        const now = await roles(slug, owner);
        expect(now[admin]).toBe('reader');
        expect(now[w]).toBe(change.status === 200 ? 'reader' : 'writer');
      }
    },
    LONG,
  );

  it(
    'row 3: 20 parallel removals of one member: exactly one 200, nineteen 404 with the exact body',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const [owner, admin, x] = [`own-${uid()}`, `adm-${uid()}`, `x-${uid()}`];
        const slug = await t.namespace(owner, { [admin]: 'admin', [x]: 'writer' });
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            raw('delete', `/namespaces/${slug}/members/${x}`, i % 2 ? admin : owner),
          ),
        );
        expect(results.filter((r) => r.status === 200)).toEqual([{ status: 200, body: { success: true } }]);
        const rest = results.filter((r) => r.status !== 200);
        expect(rest).toHaveLength(19);
        for (const r of rest) {
          expect(r).toEqual({
            status: 404,
            body: { statusCode: 404, error: 'Not Found', message: `Member '${x}' not found in namespace '${slug}'` },
          });
        }
        const now = await roles(slug, owner);
        expect(now).toEqual({ [owner]: 'owner', [admin]: 'admin' });
      }
    },
    LONG,
  );

  it(
    'row 3: a removal and a role change of one member at once: both 200; the change re-adds them only if it went second',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const [owner, admin, x] = [`own-${uid()}`, `adm-${uid()}`, `x-${uid()}`];
        const slug = await t.namespace(owner, { [admin]: 'admin', [x]: 'writer' });
        const [removed, changed] = await Promise.all([
          raw('delete', `/namespaces/${slug}/members/${x}`, owner),
          raw('put', `/namespaces/${slug}/members/${x}`, admin, { role: 'reader' }),
        ]);
        expect(removed).toEqual({ status: 200, body: { success: true } });
        expect(changed).toEqual({ status: 200, body: member(x, 'reader') });
        // change first: it is removed after; removal first: the change adds them anew (a new createdAt).
        const members = await t.get(`/namespaces/${slug}/members`, owner, 'pageSize=200');
        const row = members.body.members.find((m: Json) => m.userId === x);
        if (row) expect(row).toEqual(changed.body);
      }
    },
    LONG,
  );

  it(
    'row 4: 20 parallel deletes of one namespace: exactly one 200, nineteen 404',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const owner = `own-${uid()}`;
        const slug = await t.namespace(owner, { [`co-${uid()}`]: 'owner' });
        const results = await Promise.all(
          Array.from({ length: 20 }, () => raw('delete', `/namespaces/${slug}`, owner)),
        );
        expect(results.filter((r) => r.status === 200)).toEqual([{ status: 200, body: { success: true } }]);
        const rest = results.filter((r) => r.status !== 200);
        expect(rest).toHaveLength(19);
        for (const r of rest) {
          expect(r).toEqual({
            status: 404,
            body: { statusCode: 404, error: 'Not Found', message: `Namespace '${slug}' not found` },
          });
        }
        expect((await t.get(`/namespaces/${slug}`, owner)).status).toBe(404);
        // and gone from the owner's list (their namespace counter went down once)
        const mine = await t.get('/namespaces', owner);
        expect(mine.body.total).toBe(0);
      }
    },
    LONG,
  );

  it(
    'row 4: a namespace delete and a project create at once: delete then 404, or create then 409',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const owner = `own-${uid()}`;
        const slug = await t.namespace(owner);
        const [deleted, created] = await Promise.all([
          raw('delete', `/namespaces/${slug}`, owner),
          raw('post', `/namespaces/${slug}/projects`, owner, { name: 'late' }),
        ]);
        if (deleted.status === 200) {
          expect(deleted.body).toEqual({ success: true });
          expect(created).toEqual({
            status: 404,
            body: { statusCode: 404, error: 'Not Found', message: `Namespace '${slug}' not found` },
          });
          expect((await t.get(`/namespaces/${slug}`, owner)).status).toBe(404);
        } else {
          expect(deleted).toEqual({
            status: 409,
            body: {
              statusCode: 409,
              error: 'Conflict',
              message: `Namespace '${slug}' still has projects; delete them first`,
            },
          });
          expect(created.status).toBe(201);
          const ns = await t.get(`/namespaces/${slug}`, owner);
          expect(ns.status).toBe(200);
          expect(ns.body.projects).toBe(1);
        }
      }
    },
    LONG,
  );
});
