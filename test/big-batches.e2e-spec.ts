import { Database } from '#src/database/database.js';
import { TestApp, type Json } from './harness.js';
import { WRITER, createCollection, createDataset, ids, workspace } from './factories.js';

/*
 * The DreamLake CLI's big batches on a database whose statistics are missing or stale (CI's server
 * runs with autovacuum off and never ANALYZEs; a real server analyzes late): a collection of
 * 150,000 members created a moment ago, then 50,000 of them removed in one request. Issue 14: the
 * remove answered 503 after 30 s when its plan compared every row with every id; it must answer 200
 * with exact counts, whatever the statistics say (its speed is `npm run bench:scale`'s business).
 * Then 5,000 collections linked to a dataset and unlinked: the unlink probed every name once per
 * linked collection on a never-analyzed embedded table (25,000,000 probes, 114 s).
 */

describe('big batches on fresh tables', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  it('a collection of 150,000 members, then 50,000 of them removed at once: exact counts', async () => {
    const { path } = await workspace(t);
    await createCollection(t, path, { name: 'big', members: ids('n', 100_000) });
    const added = await t.post(`${path}/collections/big/members`, WRITER, { add: ids('n', 50_000, 100_000) });
    expect(added).toEqual({ status: 200, body: { added: 50_000, total: 150_000 }, statements: 1 });
    // Every other id of the first 100,000, and 100 that are not members.
    const remove = [...ids('n', 100_000).filter((_, i) => i % 2 === 1), ...ids('absent', 100)];
    const removed = await t.send('delete', `${path}/collections/big/members`, { as: WRITER, body: { remove } });
    expect(removed).toEqual({ status: 200, body: { removed: 50_000, total: 100_000 }, statements: 1 });
    const page = await t.get(`${path}/collections/big/members`, WRITER, 'limit=3');
    expect((page.body.members as Json[]).map((m) => m.nodeId)).toEqual(['n-0', 'n-2', 'n-4']);
    const last = await t.get(`${path}/collections/big/members`, WRITER, 'page=2000&pageSize=50');
    expect(last.body).toMatchObject({ total: 100_000, totalPages: 2000 });
    expect((last.body.members as Json[]).at(-1)!.nodeId).toBe('n-149999');
  });

  it('5,000 collections linked to a dataset, then unlinked at once: exact counts', async () => {
    const { path, projectId } = await workspace(t);
    await createDataset(t, path, { name: 'linked' });
    // The collections made in one statement (5,000 requests would only time the HTTP layer).
    const names = ids('c', 5_000);
    await t.app.get(Database).query(
      `INSERT INTO collection (namespace_id, project_id, name)
       SELECT p.namespace_id, p.id, n FROM project p, unnest($2::text[]) n WHERE p.id = $1::uuid`,
      [projectId, names],
    );
    const linked = await t.post(`${path}/datasets/linked/collections`, WRITER, { add: [...names, 'c-0'] });
    expect(linked).toEqual({ status: 200, body: { added: 5_000, total: 5_000 }, statements: 1 });
    const unlinked = await t.send('delete', `${path}/datasets/linked/collections`, {
      as: WRITER,
      body: { remove: [...names.filter((_, i) => i % 2 === 0), 'absent'] },
    });
    expect(unlinked).toEqual({ status: 200, body: { removed: 2_500, total: 2_500 }, statements: 1 });
    const rest = await t.send('delete', `${path}/datasets/linked/collections`, { as: WRITER, body: { remove: names } });
    expect(rest).toEqual({ status: 200, body: { removed: 2_500, total: 0 }, statements: 1 });
  });
});
