import request from 'supertest';
import { testConfig, TestApp, tokenFor, uid, type Json } from './harness.js';

/*
 * Full-member GETs of big collections and datasets (API.md, Scale; Abuse limits): above 50,000
 * members the answer is streamed from the database as the client reads it (on a server one
 * cursor, on the embedded engine chunk by chunk), at most HEAVY_READS at once per instance, others
 * waiting in a bounded queue and 429 beyond it. The answer is the same JSON as a small one's.
 */

const user = (): string => `u-${uid()}`;
const BIG = 60_000;

describe('Streamed big answers and the heavy-read limit', () => {
  let t: TestApp;
  let owner: string;
  let project: string;
  const ids = Array.from({ length: BIG }, (_, i) => `episode-${String(i).padStart(6, '0')}`);

  beforeAll(async () => {
    t = await TestApp.start(testConfig({ HEAVY_READS: '1' }));
    owner = user();
    project = await t.project(await t.namespace(owner), owner);
    const ds = (await t.post(`${project}/datasets`, owner, { name: 'ds' })).body as Json;
    expect((await t.post(`${project}/collections`, owner, { name: 'big', datasetId: ds.id })).status).toBe(201);
    expect((await t.post(`${project}/collections/big/members`, owner, { add: ids })).status).toBe(200);
    expect(
      (await t.post(`${project}/collections`, owner, { name: 'small', datasetId: ds.id, members: ['s1', 's2'] }))
        .status,
    ).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET of a collection of 60,000 members streams every id in order, as JSON like any other answer', async () => {
    const res = await t.exchange('get', `${project}/collections/big`, { as: owner, statements: null });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const body = res.body as Json;
    expect(body.members).toEqual(ids);
    expect({ ...body, members: undefined }).toEqual({
      id: expect.any(String),
      name: 'big',
      description: null,
      tags: [],
      metadata: null,
      projectId: expect.any(String),
      datasetId: expect.any(String),
      members: undefined,
      memberCount: BIG,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    // A current tag still answers 304 without streaming anything.
    const again = await t.exchange('get', `${project}/collections/big`, {
      as: owner,
      headers: { 'If-None-Match': res.headers.etag },
    });
    expect(again.status).toBe(304);
    // members=false needs no stream.
    expect((await t.get(`${project}/collections/big`, owner, 'members=false')).body.memberCount).toBe(BIG);
  });

  it('GET of a dataset whose collections hold more than 50,000 members streams them all, by name', async () => {
    const res = await t.exchange('get', `${project}/datasets/ds`, { as: owner, statements: null });
    expect(res.status).toBe(200);
    const body = res.body as Json;
    expect(body.name).toBe('ds');
    expect(body.collections.map((c: Json) => [c.name, c.memberCount, c.members.length])).toEqual([
      ['big', BIG, BIG],
      ['small', 2, 2],
    ]);
    expect(body.collections[0].members).toEqual(ids);
    expect(body.collections[1].members).toEqual(['s1', 's2']);
  });

  it('GET of a dataset of more than 1,000 collections is streamed however few their members (issue 21, row 4)', async () => {
    await t.post(`${project}/datasets`, owner, { name: 'wide' });
    const names = Array.from({ length: 1_001 }, (_, i) => `w-${String(i).padStart(4, '0')}`);
    for (const name of names) await t.post(`${project}/collections`, owner, { name, members: [`${name}-a`] });
    expect((await t.post(`${project}/datasets/wide/collections`, owner, { add: names })).body).toEqual({
      added: 1_001,
      total: 1_001,
    });
    const res = await t.exchange('get', `${project}/datasets/wide`, { as: owner, statements: null });
    expect(res.status).toBe(200);
    // Built whole it would be one statement; streamed, the lookup and then the stream's.
    expect(res.statements).toBeGreaterThan(1);
    const body = res.body as Json;
    expect(body.collections.map((c: Json) => [c.name, c.members])).toEqual(names.map((n) => [n, [`${n}-a`]]));
    // A dataset of 1,000 small collections is still built in one statement.
    await t.delete(`${project}/datasets/wide/collections`, owner, { remove: [names[0]] });
    const small = await t.exchange('get', `${project}/datasets/wide`, { as: owner });
    expect(small.status).toBe(200);
    expect((small.body as Json).collections).toHaveLength(1_000);
  });

  it('big reads beyond HEAVY_READS wait, and beyond the queue get 429 with Retry-After; small reads never wait', async () => {
    const server = t.app.getHttpServer();
    const token = tokenFor(owner);
    const big = () => request(server).get(`${project}/collections/big`).set('Authorization', `Bearer ${token}`);
    const results = await Promise.all(Array.from({ length: 8 }, () => big()));
    const statuses = results.map((r) => r.status);
    // HEAVY_READS=1: one runs, two wait (one caller may fill half of the queue), the rest are refused.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    for (const refused of results.filter((r) => r.status === 429)) {
      expect(refused.headers['retry-after']).toBe('2');
      expect(refused.body).toMatchObject({
        statusCode: 429,
        error: 'Too Many Requests',
        message: 'Too many large reads in progress; retry in a few seconds',
      });
    }
    for (const ok of results.filter((r) => r.status === 200)) expect((ok.body as Json).members).toHaveLength(BIG);
    expect((await t.get(`${project}/collections/small`, owner)).status).toBe(200);
  });

  it("one caller's full queue does not refuse another caller's big read (issue 21, row 2)", async () => {
    const server = t.app.getHttpServer();
    const reader = user();
    const slug = project.split('/')[2];
    expect((await t.put(`/namespaces/${slug}/members/${reader}`, owner, { role: 'reader' })).status).toBe(200);
    const big = (sub: string) =>
      request(server)
        .get(`${project}/collections/big`)
        .set('Authorization', `Bearer ${tokenFor(sub)}`);
    const results = await Promise.all([...Array.from({ length: 8 }, () => big(owner)), big(reader)]);
    expect(results.slice(0, 8).some((r) => r.status === 429)).toBe(true);
    expect(results[8].status).toBe(200);
    expect((results[8].body as Json).members).toHaveLength(BIG);
  });
});
