import pg from 'pg';
import request from 'supertest';
import { Database } from '#src/database/database.js';
import { testConfig, TestApp, tokenFor, uid } from './harness.js';

/*
 * Issue 21, row 3: one caller's concurrent writes of one row wait for its lock inside the
 * database, each on a pooled connection. DB_WRITES_PER_CALLER (default: half of DB_POOL_SIZE on a
 * server) lets at most that many of one caller's writes run at once; the others wait in the
 * service, holding no connection, and another tenant's writes and reads go on.
 */

const user = (): string => `u-${uid()}`;

async function gauges(t: TestApp): Promise<Record<string, number>> {
  const res = await request(t.app.getHttpServer()).get('/metrics');
  const values: Record<string, number> = {};
  for (const line of res.text.split('\n')) {
    const match = /^([a-z_]+) (-?[0-9.e+]+)$/.exec(line);
    if (match) values[match[1]] = Number(match[2]);
  }
  return values;
}

describe('Writes per caller (issue 21, row 3)', () => {
  let t: TestApp;
  let owner: string;
  let other: string;
  let mine: string;
  let theirs: string;

  beforeAll(async () => {
    t = await TestApp.start(testConfig({ DB_WRITES_PER_CALLER: '1' }));
    owner = user();
    other = user();
    mine = await t.project(await t.namespace(owner), owner);
    theirs = await t.project(await t.namespace(other), other);
    expect((await t.post(`${mine}/collections`, owner, { name: 'c', members: ['a'] })).status).toBe(201);
    expect((await t.post(`${theirs}/collections`, other, { name: 'c' })).status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  const patch = (as: string, path: string, description: string) =>
    request(t.app.getHttpServer())
      .patch(`${path}/collections/c`)
      .set('Authorization', `Bearer ${tokenFor(as)}`)
      .send({ description });

  it('while its first PATCH waits for the row lock, the others wait without a connection and another tenant writes', async () => {
    // The row lock held by another session (a server), or the embedded engine's one connection held.
    const url = process.env.DATABASE_URL;
    let unlock: () => Promise<void>;
    if (url) {
      const locker = new pg.Client({ connectionString: url });
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query(
        `SELECT 1 FROM collection c JOIN project p ON p.id = c.project_id
         WHERE p.slug = $1 AND c.name = 'c' AND c.deleted_at IS NULL FOR UPDATE OF c`,
        [mine.split('/')[4]],
      );
      unlock = async () => {
        await locker.query('ROLLBACK');
        await locker.end();
      };
    } else {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const tx = t.app.get(Database).transaction(() => held);
      unlock = async () => {
        release();
        await tx;
      };
    }
    const pending = Promise.all(Array.from({ length: 3 }, (_, i) => patch(owner, mine, `w${i}`)));
    const deadline = Date.now() + 5000;
    let g = await gauges(t);
    while (g.caller_writes_waiting < 2 && Date.now() < deadline) g = await gauges(t);
    expect(g).toMatchObject({
      caller_writes_running: 1,
      caller_writes_waiting: 2,
      caller_writes_waiting_max_per_caller: 2,
    });
    if (url) {
      // Only the first holds a connection; another tenant's write is answered meanwhile.
      expect(g.db_pool_in_use).toBeLessThanOrEqual(2);
      const started = Date.now();
      expect((await patch(other, theirs, 'x')).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2000);
    }
    await unlock();
    expect((await pending).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await gauges(t)).toMatchObject({ caller_writes_running: 0, caller_writes_waiting: 0 });
    expect((await patch(other, theirs, 'y')).status).toBe(200);
  });
});
