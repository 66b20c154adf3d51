import request from 'supertest';
import { TestApp, tokenFor, uid, type Json, checkRequestId } from './harness.js';

/*
 * Real parallel requests. The harness's statement counter is shared by all requests in flight,
 * so these go straight through supertest (statuses and bodies are still asserted); the serial
 * reads that check the outcome go through the harness. On the embedded database PGlite runs the
 * statements one after another; on a PostgreSQL server they really race.
 */

const OWNER = 'alice';
const WRITER = 'writer';
const LONG = 120_000;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Deterministic shuffle (a seeded LCG), so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const pool = (n: number, prefix: string): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);

describe('concurrency', () => {
  let t: TestApp;
  let ns: string;
  let P: string;
  let projectSlug: string;

  beforeAll(async () => {
    t = await TestApp.start();
    ns = await t.namespace(OWNER, { [WRITER]: 'writer' });
    P = await t.project(ns, OWNER);
    projectSlug = P.split('/').at(-1)!;
  }, 150_000);
  afterAll(async () => {
    await t.close();
  }, 150_000);

  /** One request straight to the server (no statement counting), as `as`. */
  async function raw(
    method: Method,
    path: string,
    body?: unknown,
    as = WRITER,
  ): Promise<{ status: number; body: Json }> {
    let req = request(t.app.getHttpServer())
      [method](path)
      .set('Authorization', `Bearer ${tokenFor(as)}`);
    if (body !== undefined) req = req.send(body as object);
    const res = await req;
    checkRequestId(res);
    return { status: res.status, body: res.body };
  }

  /** Every member id of a collection, in order, and the counts the service reports. */
  async function state(name: string): Promise<{ members: string[]; memberCount: number; pagedTotal: number }> {
    const full = await t.get(`${P}/collections/${name}`, OWNER);
    expect(full.status).toBe(200);
    const paged = await t.get(`${P}/collections/${name}/members`, OWNER, 'pageSize=1');
    expect(paged.status).toBe(200);
    return { members: full.body.members, memberCount: full.body.memberCount, pagedTotal: paged.body.total };
  }

  /** Walks the member listing by page (200 a page) and returns every node id. */
  async function pagedMembers(name: string): Promise<string[]> {
    const out: string[] = [];
    for (let page = 1; ; page++) {
      const res = await t.get(`${P}/collections/${name}/members`, OWNER, `page=${page}&pageSize=200`);
      expect(res.status).toBe(200);
      out.push(...res.body.members.map((m: Json) => m.nodeId));
      if (page >= res.body.totalPages) break;
    }
    return out;
  }

  it(
    '8 clients create the same dataset name at once: exactly one 201, seven 409',
    async () => {
      for (let round = 0; round < 3; round++) {
        const name = `race-ds-${uid()}`;
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => raw('post', `${P}/datasets`, { name, description: `client ${i}` })),
        );
        const created = results.filter((r) => r.status === 201);
        const conflicts = results.filter((r) => r.status === 409);
        expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
        for (const r of conflicts) {
          expect(r.body).toEqual({
            statusCode: 409,
            error: 'Conflict',
            message: `Dataset '${name}' already exists in project '${ns}/${projectSlug}'`,
          });
        }
        const list = await t.get(`${P}/datasets`, OWNER, `q=${name}`);
        expect(list.body.total).toBe(1);
        expect(list.body.datasets[0].id).toBe(created[0].body.id);
        expect(list.body.datasets[0].description).toBe(created[0].body.description);
      }
    },
    LONG,
  );

  it(
    '8 clients create the same collection name at once: exactly one 201, seven 409',
    async () => {
      for (let round = 0; round < 3; round++) {
        const name = `race-col-${uid()}`;
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => raw('post', `${P}/collections`, { name, members: [`client-${i}`] })),
        );
        expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
        for (const r of results.filter((x) => x.status === 409)) {
          expect(r.body).toEqual({
            statusCode: 409,
            error: 'Conflict',
            message: `Collection '${name}' already exists in project '${ns}/${projectSlug}'`,
          });
        }
        const winner = results.find((r) => r.status === 201)!.body;
        const got = await t.get(`${P}/collections/${name}`, OWNER);
        expect(got.body).toEqual(winner);
        expect(got.body.members).toHaveLength(1);
        const list = await t.get(`${P}/collections`, OWNER, `q=${name}`);
        expect(list.body.total).toBe(1);
      }
    },
    LONG,
  );

  it(
    '6 clients add overlapping member lists at once: Σadded = distinct ids, no duplicates',
    async () => {
      const name = `race-members-${uid()}`;
      expect((await t.post(`${P}/collections`, WRITER, { name })).status).toBe(201);
      const ids = pool(1000, 'node');
      // client i adds ids [100·i, 100·i + 500), each in its own shuffled order: heavy overlaps
      const batches = Array.from({ length: 6 }, (_, i) => shuffled(ids.slice(i * 100, i * 100 + 500), i + 1));
      const results = await Promise.all(batches.map((add) => raw('post', `${P}/collections/${name}/members`, { add })));
      for (const r of results) {
        expect(r.status).toBe(200);
        expect(Object.keys(r.body).sort()).toEqual(['added', 'total']);
        expect(r.body.total).toBeGreaterThanOrEqual(500);
        expect(r.body.total).toBeLessThanOrEqual(1000);
      }
      const distinct = new Set(batches.flat()).size;
      expect(distinct).toBe(1000);
      expect(results.reduce((sum, r) => sum + r.body.added, 0)).toBe(distinct);
      expect(Math.max(...results.map((r) => r.body.total))).toBe(1000);

      const s = await state(name);
      expect(s.memberCount).toBe(distinct);
      expect(s.pagedTotal).toBe(distinct);
      expect(s.members).toHaveLength(distinct);
      expect(new Set(s.members).size).toBe(distinct);
      expect([...s.members].sort()).toEqual(ids);
      expect(await pagedMembers(name)).toEqual(s.members);

      // The requests ran one after another on the collection: ordered by the total each saw, every
      // request appended exactly its `added` new ids as one block, in the order it gave them.
      const serial = results
        .map((r, k) => ({ k, added: r.body.added as number, total: r.body.total as number }))
        .sort((a, b) => a.total - b.total || b.added - a.added);
      let start = 0;
      for (const { k, added, total } of serial) {
        expect(total - start).toBe(added);
        const given = new Map(batches[k].map((id, i) => [id, i]));
        const positions = s.members.slice(start, total).map((id) => given.get(id));
        expect(positions.every((pos) => pos !== undefined)).toBe(true);
        expect(positions).toEqual([...positions].sort((a, b) => a! - b!));
        start = total;
      }
      expect(start).toBe(distinct);
    },
    LONG,
  );

  it(
    'concurrent adds and removes keep memberCount equal to the real number of members',
    async () => {
      const name = `race-mixed-${uid()}`;
      const ids = pool(1000, 'mix');
      const initial = ids.slice(0, 500);
      expect((await t.post(`${P}/collections`, WRITER, { name, members: initial })).status).toBe(201);

      let expected = initial.length;
      for (let round = 0; round < 3; round++) {
        const requests: Promise<{ kind: 'add' | 'remove'; status: number; body: Json }>[] = [];
        for (let i = 0; i < 5; i++) {
          const seed = round * 100 + i + 1;
          const add = shuffled(ids, seed).slice(0, 300);
          const remove = shuffled(ids, seed + 50).slice(0, 300);
          requests.push(
            raw('post', `${P}/collections/${name}/members`, { add }).then((r) => ({ kind: 'add' as const, ...r })),
            raw('delete', `${P}/collections/${name}/members`, { remove }).then((r) => ({
              kind: 'remove' as const,
              ...r,
            })),
          );
        }
        const results = await Promise.all(requests);
        for (const r of results) {
          expect(r.status).toBe(200);
          expect(Object.keys(r.body).sort()).toEqual(r.kind === 'add' ? ['added', 'total'] : ['removed', 'total']);
        }
        const added = results.filter((r) => r.kind === 'add').reduce((sum, r) => sum + r.body.added, 0);
        const removed = results.filter((r) => r.kind === 'remove').reduce((sum, r) => sum + r.body.removed, 0);
        expected += added - removed;

        const s = await state(name);
        expect(s.members).toHaveLength(new Set(s.members).size);
        expect(s.memberCount).toBe(s.members.length);
        expect(s.pagedTotal).toBe(s.members.length);
        expect(s.members.length).toBe(expected);
        expect(await pagedMembers(name)).toEqual(s.members);
        // one of the requests ran last: its total is the final count
        expect(results.map((r) => r.body.total)).toContain(s.members.length);
      }
    },
    LONG,
  );

  it(
    'two datasets link the same standalone collection at once: one 200, one 409, it ends in exactly one',
    async () => {
      for (let round = 0; round < 3; round++) {
        const tag = uid();
        const col = `shared-col-${tag}`;
        expect((await t.post(`${P}/collections`, WRITER, { name: col })).status).toBe(201);
        const names = [`ds-a-${tag}`, `ds-b-${tag}`];
        const ids: string[] = [];
        for (const name of names) {
          const res = await t.post(`${P}/datasets`, WRITER, { name });
          expect(res.status).toBe(201);
          ids.push(res.body.id);
        }
        const results = await Promise.all(
          names.map((name) => raw('post', `${P}/datasets/${name}/collections`, { add: [col] })),
        );
        expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
        const winner = results.findIndex((r) => r.status === 200);
        expect(results[winner].body).toEqual({ added: 1, total: 1 });
        expect(results[1 - winner].body).toEqual({
          statusCode: 409,
          error: 'Conflict',
          message: `Collections already belong to another dataset: '${col}'; nothing was changed`,
        });
        const got = await t.get(`${P}/collections/${col}`, OWNER);
        expect(got.body.datasetId).toBe(ids[winner]);
      }
    },
    LONG,
  );

  it(
    '6 clients delete the same dataset at once: one 200, five 404; its collections are standalone',
    async () => {
      const name = `race-del-${uid()}`;
      const ds = await t.post(`${P}/datasets`, WRITER, { name });
      expect(ds.status).toBe(201);
      const col = `race-del-col-${uid()}`;
      expect((await t.post(`${P}/collections`, WRITER, { name: col, datasetId: ds.body.id })).status).toBe(201);
      const results = await Promise.all(Array.from({ length: 6 }, () => raw('delete', `${P}/datasets/${name}`)));
      expect(results.map((r) => r.status).sort()).toEqual([200, 404, 404, 404, 404, 404]);
      expect(results.find((r) => r.status === 200)!.body).toEqual({ success: true });
      for (const r of results.filter((x) => x.status === 404)) {
        expect(r.body).toEqual({
          statusCode: 404,
          error: 'Not Found',
          message: `Dataset '${name}' not found in project '${ns}/${projectSlug}'`,
        });
      }
      expect((await t.get(`${P}/collections/${col}`, OWNER)).body.datasetId).toBeNull();
    },
    LONG,
  );

  it(
    'a dataset deleted while collections are linked to it never leaves a collection in a deleted dataset',
    async () => {
      for (let round = 0; round < 5; round++) {
        const name = `race-dl-${uid()}`;
        expect((await t.post(`${P}/datasets`, WRITER, { name })).status).toBe(201);
        const cols = Array.from({ length: 4 }, () => `race-dl-col-${uid()}`);
        for (const col of cols) expect((await t.post(`${P}/collections`, WRITER, { name: col })).status).toBe(201);
        const [deleted, ...links] = await Promise.all([
          raw('delete', `${P}/datasets/${name}`),
          ...cols.map((col) => raw('post', `${P}/datasets/${name}/collections`, { add: [col] })),
        ]);
        expect(deleted).toEqual({ status: 200, body: { success: true } });
        for (const link of links) expect([200, 404]).toContain(link.status);
        for (const col of cols) {
          const got = await t.get(`${P}/collections/${col}`, OWNER, 'members=false');
          expect(got.body.datasetId).toBeNull();
        }
      }
    },
    LONG,
  );

  it(
    'two owners demoting each other at once: one 200, the other 403 as it is no longer an owner (a serial order)',
    async () => {
      for (let round = 0; round < 5; round++) {
        const slug = await t.namespace(OWNER, { bob: 'owner' });
        const results = await Promise.all([
          raw('put', `/namespaces/${slug}/members/bob`, { role: 'admin' }, OWNER),
          raw('put', `/namespaces/${slug}/members/${OWNER}`, { role: 'admin' }, 'bob'),
        ]);
        // Whoever goes second is an admin by then, as its statement reads its role after the lock.
        expect(results.map((r) => r.status).sort()).toEqual([200, 403]);
        expect(results.find((r) => r.status === 403)!.body).toEqual({
          statusCode: 403,
          error: 'Forbidden',
          message: `Only an owner of namespace '${slug}' may grant, change or revoke the owner role`,
        });
        const members = await t.get(`/namespaces/${slug}/members`, OWNER);
        const roles = members.body.members.map((m: Json) => m.role);
        expect(roles.filter((r: string) => r === 'owner')).toHaveLength(1);
      }
    },
    LONG,
  );

  it(
    '8 clients create the same namespace slug at once: one 201, seven 409',
    async () => {
      const slug = `race-ns-${uid()}`;
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => raw('post', '/namespaces', { slug }, `user-${i}`)),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      for (const r of results.filter((x) => x.status === 409)) {
        expect(r.body).toEqual({
          statusCode: 409,
          error: 'Conflict',
          message: `Namespace slug '${slug}' is already taken`,
        });
      }
    },
    LONG,
  );
});
