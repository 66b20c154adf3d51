import { ChangesService } from '#src/changes/changes.service.js';
import { Database } from '#src/database/database.js';
import { DECIDED_BY_DATABASE, ISO, TestApp, UUID, answer, type Json } from './harness.js';
import {
  OWNER,
  READER,
  STRANGER,
  WRITER,
  addMembers,
  createCollection,
  createDataset,
  ids,
  link,
  removeMembers,
  workspace,
} from './factories.js';

/*
 * The change feed (docs/CONTRACT.md, "Changes and webhooks"): each write records its change in the
 * same statement; a reader following nextCursor sees every change once, in commit order; long
 * polls; filters; retention.
 */

describe('GET /namespaces/:slug/changes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  /** Every change of the namespace, following nextCursor pages of `limit`. */
  async function follow(ns: string, query = '', limit = 3): Promise<Json[]> {
    const all: Json[] = [];
    let after = '';
    for (let i = 0; i < 1000; i++) {
      const res = await t.get(
        `/namespaces/${ns}/changes`,
        READER,
        `limit=${limit}${after ? `&after=${after}` : ''}${query}`,
      );
      expect(res.status).toBe(200);
      if (res.body.changes.length === 0) return all;
      all.push(...(res.body.changes as Json[]));
      after = res.body.nextCursor as string;
    }
    throw new Error('the feed did not end');
  }

  it('records each write as its change, in order, with consecutive cursors', async () => {
    const { ns, path, projectSlug, projectId } = await workspace(t);
    const d = await createDataset(t, path, { name: 'ds' });
    const c = await createCollection(t, path, { name: 'c', members: ['m-0'] });
    await addMembers(t, path, 'c', ids('x', 2000));
    await removeMembers(t, path, 'c', ['x-0', 'nope']);
    await link(t, path, 'ds', ['c']);
    expect((await t.post(`${path}/datasets/ds/versions`, WRITER, { tags: ['prod'] })).status).toBe(201);
    expect((await t.patch(`${path}/collections/c`, WRITER, { description: 'd' })).status).toBe(200);
    expect((await t.delete(`${path}/collections/c`, WRITER)).status).toBe(200);
    const changes = await follow(ns);
    const types = changes.map((x) => x.type);
    // The workspace itself: two memberships, then the project.
    expect(types).toEqual([
      'namespace.member.changed',
      'namespace.member.changed',
      'project.created',
      'dataset.created',
      'collection.created',
      'collection.members.changed',
      'collection.members.changed',
      'dataset.collections.changed',
      'dataset.version.created',
      'collection.updated',
      'collection.deleted',
    ]);
    expect(changes.map((x) => x.cursor)).toEqual(changes.map((_, i) => String(i + 1)));
    const byType = (type: string) => changes.filter((x) => x.type === type);
    expect(byType('collection.members.changed')).toEqual([
      {
        cursor: '6',
        at: ISO,
        type: 'collection.members.changed',
        actor: WRITER,
        requestId: expect.any(String),
        project: projectSlug,
        target: { kind: 'collection', id: c.id, name: 'c' },
        data: { added: 2000, removed: 0, total: 2001 },
      },
      expect.objectContaining({ data: { added: 0, removed: 1, total: 2000 } }),
    ]);
    expect(byType('dataset.collections.changed')[0]).toMatchObject({
      target: { kind: 'dataset', id: d.id, name: 'ds' },
      data: { added: ['c'], removed: [] },
    });
    expect(byType('dataset.version.created')[0].data).toEqual({ version: 1, tags: ['prod'] });
    expect(byType('project.created')[0]).toMatchObject({
      project: projectSlug,
      target: { kind: 'project', id: projectId },
    });
    expect(byType('namespace.member.changed')[0]).toMatchObject({ actor: OWNER, target: { kind: 'member', id: null } });
  });

  it('carries the request id of the write that made the change', async () => {
    const { ns, path } = await workspace(t);
    const res = await t.exchange('post', `${path}/datasets`, {
      as: WRITER,
      body: { name: 'x' },
      headers: { 'X-Request-Id': 'req-feed-1' },
    });
    expect(res.status).toBe(201);
    const changes = await follow(ns);
    expect(changes.at(-1)).toMatchObject({ type: 'dataset.created', requestId: 'req-feed-1' });
  });

  it('filters by types and by project; a filtered page may be short, nextCursor still moves on', async () => {
    const { ns, path, projectSlug } = await workspace(t);
    const other = await t.project(ns, OWNER);
    await createDataset(t, path, { name: 'a' });
    await createDataset(t, other, { name: 'b' });
    await createCollection(t, path, { name: 'c' });
    const datasets = await follow(ns, '&types=dataset.created');
    expect(datasets.map((x) => x.target.name)).toEqual(['a', 'b']);
    const inProject = await follow(ns, `&project=${projectSlug}`);
    expect(inProject.map((x) => x.type)).toEqual(['project.created', 'dataset.created', 'collection.created']);
    expect((await t.get(`/namespaces/${ns}/changes`, READER, 'types=nope')).status).toBe(400);
    expect(await t.get(`/namespaces/${ns}/changes`, READER, 'project=nope')).toEqual({
      ...answer(404, `Project 'nope' not found in namespace '${ns}'`),
      statements: 1,
    });
  });

  it('400 for a malformed or unknown cursor, 404 for a stranger, 200 for a reader', async () => {
    const { ns } = await workspace(t);
    expect((await t.get(`/namespaces/${ns}/changes`, READER, 'after=abc')).status).toBe(400);
    expect((await t.get(`/namespaces/${ns}/changes`, READER, 'limit=1001')).status).toBe(400);
    expect((await t.get(`/namespaces/${ns}/changes`, READER, 'wait=31')).status).toBe(400);
    const unknown = await t.send('get', `/namespaces/${ns}/changes?after=999`, {
      as: READER,
      statements: DECIDED_BY_DATABASE,
    });
    expect(unknown).toEqual({
      ...answer(400, ['after: cursor 999 is not one this feed gave (its last is 3)']),
      statements: 1,
    });
    expect((await t.get(`/namespaces/${ns}/changes`, STRANGER)).status).toBe(404);
    const page = await t.get(`/namespaces/${ns}/changes`, READER, 'after=3');
    expect(page.body).toEqual({ changes: [], nextCursor: '3' });
  });

  it('a long poll answers as soon as a change commits, not when its wait is over', async () => {
    const { ns, path } = await workspace(t);
    const started = Date.now();
    const poll = t.send('get', `/namespaces/${ns}/changes?after=3&wait=20`, { as: READER, statements: null });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Not counted: the poll's own second statement (sent when it wakes) lands in the same counter.
    const late = await t.send('post', `${path}/datasets`, { as: WRITER, body: { name: 'late' }, statements: null });
    expect(late.status).toBe(201);
    const res = await poll;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(res.status).toBe(200);
    expect(res.body.changes.map((x: Json) => x.type)).toEqual(['dataset.created']);
    expect(res.body.nextCursor).toBe('4');
    // Nothing newer and nothing coming: after the wait, an empty page with the same cursor.
    const idle = await t.send('get', `/namespaces/${ns}/changes?after=4&wait=1`, { as: READER, statements: null });
    expect(idle.body).toEqual({ changes: [], nextCursor: '4' });
  });

  it('410 with oldestCursor for a cursor past retention', async () => {
    const { ns, path } = await workspace(t);
    await createDataset(t, path, { name: 'old' });
    const db = t.app.get(Database);
    const q = `UPDATE change SET at = now() - interval '40 days' WHERE namespace_id = (SELECT id FROM namespace WHERE slug = $1) AND cursor <= 2`;
    await db.maintenance(q, [ns]);
    expect(await t.app.get(ChangesService).purgeExpired()).toBeGreaterThanOrEqual(2);
    const gone = await t.send('get', `/namespaces/${ns}/changes?after=1`, {
      as: READER,
      statements: DECIDED_BY_DATABASE,
    });
    expect(gone).toEqual({
      status: 410,
      body: {
        statusCode: 410,
        error: 'Gone',
        message: 'Changes after cursor 1 are no longer kept (CHANGES_RETENTION_DAYS); resume from oldestCursor',
        oldestCursor: '2',
      },
      statements: 1,
    });
    const rest = await follow(ns);
    expect(rest.map((x) => x.cursor)).toEqual(['3', '4']);
    expect(rest[0]).toMatchObject({ target: { id: UUID } });
  });
});
