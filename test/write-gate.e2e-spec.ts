import pg from 'pg';
import request from 'supertest';
import { Database } from '#src/database/database.js';
import { testConfig, TestApp, tokenFor, uid } from './harness.js';

/*
 * Issue 21, row 3: concurrent writes of one row wait for its lock inside the database, each on a
 * pooled connection. Writes of one target (the path of the row they change) run one at a time per
 * instance, and DB_WRITES_PER_CALLER (default: half of DB_POOL_SIZE on a server) lets at most that
 * many of one caller's writes run at once; the others wait in the service, holding no connection,
 * and another tenant's writes and reads go on.
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
    for (const name of ['c', 'd', 'e'])
      expect((await t.post(`${mine}/collections`, owner, { name, members: ['a'] })).status).toBe(201);
    expect((await t.post(`${theirs}/collections`, other, { name: 'c' })).status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  const patch = (as: string, path: string, description: string, name = 'c') =>
    request(t.app.getHttpServer())
      .patch(`${path}/collections/${name}`)
      .set('Authorization', `Bearer ${tokenFor(as)}`)
      .send({ description });

  /** Collection c's row lock held by another session (a server), or the embedded engine's one connection held. */
  async function lockC(): Promise<() => Promise<void>> {
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
    return unlock;
  }

  const waitFor = async (ready: (g: Record<string, number>) => boolean): Promise<Record<string, number>> => {
    const deadline = Date.now() + 5000;
    let g = await gauges(t);
    while (!ready(g) && Date.now() < deadline) g = await gauges(t);
    return g;
  };

  it('while its first PATCH waits for the row lock, its writes of other rows wait without a connection and another tenant writes', async () => {
    const url = process.env.DATABASE_URL;
    const unlock = await lockC();
    const first = patch(owner, mine, 'w0').then((r) => r); // sent now (supertest sends when awaited)
    expect(await waitFor((g) => g.caller_writes_running === 1)).toMatchObject({ caller_writes_running: 1 });
    const pending = Promise.all([first, patch(owner, mine, 'w1', 'd'), patch(owner, mine, 'w2', 'e')]);
    const g = await waitFor((gs) => gs.caller_writes_waiting >= 2);
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

  it('writes of one row wait for each other in the service, one in the database at a time, whoever sends them', async () => {
    const url = process.env.DATABASE_URL;
    const unlock = await lockC();
    const pending = Promise.all([
      patch(owner, mine, 't0'),
      patch(owner, mine, 't1'),
      patch(owner, mine, 't2'),
      request(t.app.getHttpServer())
        .post(`${mine}/collections/c/members`)
        .set('Authorization', `Bearer ${tokenFor(owner)}`)
        .send({ add: ['b'] }),
    ]);
    const g = await waitFor((gs) => gs.target_writes_waiting >= 3);
    expect(g).toMatchObject({ target_writes_waiting: 3, caller_writes_running: 1, caller_writes_waiting: 0 });
    if (url) {
      expect(g.db_pool_in_use).toBeLessThanOrEqual(2);
      // Another tenant's write goes ahead meanwhile.
      expect((await patch(other, theirs, 'z')).status).toBe(200);
    }
    await unlock();
    const answers = await pending;
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(answers[3].body).toEqual({ added: 1, total: 2 });
    expect(await gauges(t)).toMatchObject({
      target_writes_waiting: 0,
      caller_writes_running: 0,
      caller_writes_waiting: 0,
    });
    const c = await t.get(`${mine}/collections/c`, owner);
    expect(['t0', 't1', 't2']).toContain(c.body.description);
    expect(c.body.members).toEqual(['a', 'b']);
  });
});
