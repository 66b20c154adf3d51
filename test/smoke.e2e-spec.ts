import { TestApp } from './harness.js';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  it('health', async () => {
    const res = await t.get('/health/ready', null);
    expect(res).toEqual({ status: 200, body: { status: 'ok' }, statements: 1 });
  });

  it('a namespace and a project', async () => {
    const slug = await t.namespace('alice');
    const path = await t.project(slug, 'alice');
    const res = await t.get(path, 'alice');
    expect(res.status).toBe(200);
  });
});
