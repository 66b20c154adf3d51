import { Database } from '#src/database/database.js';
import { TestApp } from './harness.js';

describe('health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  it('live and ready need no token and answer 200 while the database answers', async () => {
    expect(await t.send('get', '/health/live', { statements: 0 })).toEqual({
      status: 200,
      body: { status: 'ok' },
      statements: 0,
    });
    expect(await t.get('/health/ready', null)).toEqual({ status: 200, body: { status: 'ok' }, statements: 1 });
  });

  it('ready answers 503 when the database does not answer; live still 200', async () => {
    await t.app.get(Database).close();
    expect(await t.send('get', '/health/ready', { statements: 1 })).toEqual({
      status: 503,
      body: { statusCode: 503, error: 'Service Unavailable', message: 'The database does not answer' },
      statements: 1,
    });
    expect((await t.send('get', '/health/live', { statements: 0 })).status).toBe(200);
  });
});
