import { ISO, testConfig, TestApp, uid, UUID } from './harness.js';

/*
 * Issue 21, row 3: a PATCH of a collection and a trash restore answer with the collection, but
 * never built whole for a big one: above FULL_ANSWER_MEMBERS members (50,000 by default; 100 here
 * so the test stays small) the answer holds the first 100 ids and `membersTruncated: true`, as a
 * list item does; GET (streamed) or the member pages give the rest.
 */

const user = (): string => `u-${uid()}`;
const ids = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);

describe('Bounded answers to writes of big collections (issue 21, row 3)', () => {
  let t: TestApp;
  let owner: string;
  let project: string;

  beforeAll(async () => {
    t = await TestApp.start(testConfig({ FULL_ANSWER_MEMBERS: '100' }));
    owner = user();
    project = await t.project(await t.namespace(owner), owner);
    for (const [name, count] of [
      ['big', 150],
      ['edge', 100],
    ] as const) {
      expect((await t.post(`${project}/collections`, owner, { name, members: ids(count) })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  const collection = (name: string, members: string[], memberCount: number, description: string | null) => ({
    id: UUID,
    name,
    description,
    tags: [],
    metadata: null,
    projectId: UUID,
    datasetId: null,
    members,
    memberCount,
    createdAt: ISO,
    updatedAt: ISO,
  });

  it('PATCH of a collection over FULL_ANSWER_MEMBERS answers the first 100 ids and membersTruncated', async () => {
    const res = await t.exchange('patch', `${project}/collections/big`, { as: owner, body: { description: 'x' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...collection('big', ids(100), 150, 'x'), membersTruncated: true });
    expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
    // The tag is the collection's, as GET gives it (whole).
    const got = await t.exchange('get', `${project}/collections/big`, { as: owner });
    expect(got.headers.etag).toBe(res.headers.etag);
    expect(got.body).toEqual(collection('big', ids(150), 150, 'x'));
  });

  it('PATCH of a collection at FULL_ANSWER_MEMBERS answers every member, as before', async () => {
    const res = await t.patch(`${project}/collections/edge`, owner, { description: 'y' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(collection('edge', ids(100), 100, 'y'));
  });

  it('a trash restore of a collection over FULL_ANSWER_MEMBERS answers the same bounded collection', async () => {
    const id = (await t.get(`${project}/collections/big`, owner, 'members=false')).body.id as string;
    expect((await t.delete(`${project}/collections/big`, owner)).status).toBe(200);
    const restored = await t.post(`${project}/trash/${id}/restore`, owner);
    expect(restored).toEqual({
      status: 200,
      body: { ...collection('big', ids(100), 150, 'x'), id, membersTruncated: true },
      statements: 1,
    });
    const again = await t.get(`${project}/collections/big`, owner);
    expect(again.body.members).toEqual(ids(150));
  });
});
