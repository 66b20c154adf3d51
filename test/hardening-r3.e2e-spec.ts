import { TestApp, uid } from './harness.js';

/*
 * Issue 21 (hardening, round 3), the rows decided by one service: page numbers up to the
 * documented maximum on every list (row 10).
 */

const user = (): string => `u-${uid()}`;

describe('Issue 21', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  it('row 10: every list answers page 1e9 (the documented maximum) with an empty page, not 400', async () => {
    const owner = user();
    const slug = await t.namespace(owner);
    const project = await t.project(slug, owner);
    expect((await t.post(`${project}/datasets`, owner, { name: 'ds' })).status).toBe(201);
    expect((await t.post(`${project}/collections`, owner, { name: 'c', members: ['a'] })).status).toBe(201);
    const lists: [string, string][] = [
      ['/namespaces', 'namespaces'],
      [`/namespaces/${slug}/members`, 'members'],
      [`/namespaces/${slug}/projects`, 'projects'],
      [`/namespaces/${slug}/webhooks`, 'webhooks'],
      [`${project}/datasets`, 'datasets'],
      [`${project}/collections`, 'collections'],
      [`${project}/collections/c/members`, 'members'],
      [`${project}/trash`, 'items'],
      [`${project}/datasets/ds/versions`, 'versions'],
    ];
    for (const [path, key] of lists) {
      for (const page of ['1e9', '1000000000', '10737419']) {
        const got = await t.get(path, owner, `page=${page}&pageSize=200`);
        expect({ path, status: got.status, items: got.body[key], page: got.body.page }).toEqual({
          path,
          status: 200,
          items: [],
          page: Number(page),
        });
      }
    }
    expect(await t.get(`${project}/trash`, owner, 'page=1000000001')).toMatchObject({ status: 400 });
  });
});
