import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { TEST_SECRET, tokenFor, uid } from './harness.js';
import { removeTempDirs, requireBuild, ROOT, ServiceProcess, tempDir } from './service-process.js';

/*
 * Idempotency keys survive a crash (API.md, Safety for clients → Idempotency keys: "the kept
 * answer is written in the same transaction as the change, so a crash never leaves a change
 * without its key or a key without its change"; issue 10). The built service runs on the
 * database of the run (DATABASE_URL, else an embedded DATA_DIR in a temp dir); keyed writes are
 * sent and the process is killed with SIGKILL while they are in flight, at a different moment in
 * each round; restarted on the same database (the DATA_DIR lock of the killed process is taken
 * over), every key is checked: either its change is there and a retry replays it, or its change
 * is not there and a retry performs it, once.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Answer {
  status: number;
  body: Json;
  replayed: boolean;
}

/** One keyed write, and what came back before the kill (null: the connection died first). */
interface Op {
  kind: 'collection' | 'members' | 'dataset';
  name: string;
  path: string;
  body: Json;
  key: string;
  ids: string[];
  first: Answer | null;
}

/**
 * Each round sends its writes at once and sends SIGKILL once `answers` of them have been answered
 * and `ms` more have passed: from before any arrives to when the last few are still running.
 */
const ROUNDS = [
  { answers: 0, ms: 0 },
  { answers: 0, ms: 30 },
  { answers: 1, ms: 0 },
  { answers: 4, ms: 2 },
  { answers: 8, ms: 0 },
  { answers: 11, ms: 5 },
];
const PER_ROUND = { collection: 4, members: 6, dataset: 3 };
const IDS_PER_ADD = 25;

/** The service's settings on the run's engine: the server database, else an embedded DATA_DIR. */
function engine(dataDir: string): Record<string, string> {
  const url = process.env.DATABASE_URL;
  return { ...(url ? { DATABASE_URL: url } : { DATA_DIR: dataDir }), JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'warn' };
}

async function send(service: ServiceProcess, token: string, method: string, path: string, body?: Json, key?: string) {
  const res = await fetch(`${service.base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : null) as Json,
    replayed: res.headers.get('idempotent-replayed') === 'true',
  };
}

describe('idempotency keys across kill -9', () => {
  // The same DATA_DIR for every restart (the killed process's lock is taken over).
  const env = engine(tempDir('crash'));
  const alice = `u-${uid()}`;
  const token = tokenFor(alice);
  let service: ServiceProcess;

  afterAll(async () => {
    await service?.stop('SIGKILL');
  });

  it('every key either has its change and replays it, or has neither and the retry performs it once', async () => {
    service = await ServiceProcess.start(env);
    const slug = `ns-${uid()}`;
    expect((await send(service, token, 'POST', '/namespaces', { slug })).status).toBe(201);
    expect(
      (await send(service, token, 'POST', `/namespaces/${slug}/projects`, { name: 'crash', slug: 'crash' })).status,
    ).toBe(201);
    const project = `/namespaces/${slug}/projects/crash`;
    expect((await send(service, token, 'POST', `${project}/collections`, { name: 'pool' })).status).toBe(201);

    const ops: Op[] = [];
    for (const [round, moment] of ROUNDS.entries()) {
      const batch: Op[] = [];
      for (let i = 0; i < PER_ROUND.collection; i++) {
        const name = `c-${round}-${i}`;
        const ids = [`${name}:a`, `${name}:b`];
        batch.push({
          kind: 'collection',
          name,
          path: `${project}/collections`,
          body: { name, members: ids },
          key: `k-${uid()}`,
          ids,
          first: null,
        });
      }
      for (let i = 0; i < PER_ROUND.members; i++) {
        const ids = Array.from({ length: IDS_PER_ADD }, (_, j) => `m-${round}-${i}-${j}`);
        batch.push({
          kind: 'members',
          name: 'pool',
          path: `${project}/collections/pool/members`,
          body: { add: ids },
          key: `k-${uid()}`,
          ids,
          first: null,
        });
      }
      for (let i = 0; i < PER_ROUND.dataset; i++) {
        const name = `d-${round}-${i}`;
        batch.push({
          kind: 'dataset',
          name,
          path: `${project}/datasets`,
          body: { name },
          key: `k-${uid()}`,
          ids: [],
          first: null,
        });
      }
      let answered = 0;
      const inFlight = batch.map((op) =>
        send(service, token, 'POST', op.path, op.body, op.key).then(
          (answer) => {
            op.first = answer;
            answered++;
          },
          () => undefined,
        ),
      );
      for (const deadline = Date.now() + 30_000; answered < moment.answers && Date.now() < deadline;) {
        await new Promise((done) => setTimeout(done, 1));
      }
      await new Promise((done) => setTimeout(done, moment.ms));
      expect(await service.stop('SIGKILL')).toBeNull();
      await Promise.all(inFlight);
      ops.push(...batch);
      service = await ServiceProcess.start(env);
    }

    // Answers that came back before a kill are successes (nothing here may fail).
    for (const op of ops.filter((o) => o.first !== null)) {
      expect({ key: op.key, status: op.first!.status, replayed: op.first!.replayed }).toEqual({
        key: op.key,
        status: op.kind === 'members' ? 200 : 201,
        replayed: false,
      });
    }

    const pool = new Set<string>((await send(service, token, 'GET', `${project}/collections/pool`)).body.members);
    let added = 0;
    const outcome = { replayed: 0, performed: 0, unanswered: 0 };
    for (const op of ops) {
      let exists: boolean;
      if (op.kind === 'members') {
        const present = op.ids.filter((id) => pool.has(id)).length;
        // All of a request's ids or none: a statement is atomic.
        expect({ key: op.key, present }).toEqual({ key: op.key, present: present === 0 ? 0 : op.ids.length });
        exists = present > 0;
      } else {
        const read = await send(
          service,
          token,
          'GET',
          `${project}/${op.kind === 'dataset' ? 'datasets' : 'collections'}/${op.name}`,
        );
        expect([200, 404]).toContain(read.status);
        exists = read.status === 200;
      }
      // An answer received means the change was made.
      if (op.first !== null) expect({ key: op.key, exists }).toEqual({ key: op.key, exists: true });

      const retry = await send(service, token, 'POST', op.path, op.body, op.key);
      const expected = op.kind === 'members' ? 200 : 201;
      expect({ key: op.key, exists, status: retry.status, replayed: retry.replayed }).toEqual({
        key: op.key,
        exists,
        status: expected,
        // A change without its key would be retried here: 409 (name taken) or a second add.
        replayed: exists,
      });
      if (op.first !== null) expect(retry.body).toEqual(op.first.body);
      if (op.kind === 'members') {
        expect(retry.body.added).toBe(IDS_PER_ADD);
        added += retry.body.added as number;
      } else {
        expect(retry.body.name).toBe(op.name);
      }
      // And the retry of the retry is the same answer again, replayed.
      const again = await send(service, token, 'POST', op.path, op.body, op.key);
      expect({ status: again.status, body: again.body, replayed: again.replayed }).toEqual({
        status: expected,
        body: retry.body,
        replayed: true,
      });
      outcome[exists ? 'replayed' : 'performed']++;
      if (exists && op.first === null) outcome.unanswered++;
    }

    // No duplicate: each name once, and the pool holds every id once, counted once in `added`.
    const list = await send(service, token, 'GET', `${project}/collections?pageSize=200`);
    expect(list.status).toBe(200);
    const names = (list.body.collections as Json[]).map((c) => c.name as string).sort();
    const created = ops.filter((o) => o.kind === 'collection').map((o) => o.name);
    expect(names).toEqual(['pool', ...created].sort());
    expect(list.body.total).toBe(created.length + 1);
    const datasets = await send(service, token, 'GET', `${project}/datasets?pageSize=200`);
    expect((datasets.body.datasets as Json[]).map((d) => d.name as string).sort()).toEqual(
      ops
        .filter((o) => o.kind === 'dataset')
        .map((o) => o.name)
        .sort(),
    );
    const final = await send(service, token, 'GET', `${project}/collections/pool`);
    const adds = ops.filter((o) => o.kind === 'members');
    expect({ memberCount: final.body.memberCount, distinct: new Set(final.body.members).size, added }).toEqual({
      memberCount: adds.length * IDS_PER_ADD,
      distinct: adds.length * IDS_PER_ADD,
      added: adds.length * IDS_PER_ADD,
    });
    // The kills did land mid-way: some keys had their change before the kill, some did not.
    expect(outcome.replayed).toBeGreaterThan(0);
    expect(outcome.performed).toBeGreaterThan(0);
    expect(ops.some((o) => o.first === null)).toBe(true);
    process.stderr.write(
      `crash test: ${ops.length} keyed writes over ${ROUNDS.length} kills: ${outcome.replayed} had their change (replayed; ${outcome.unanswered} of them unanswered), ${outcome.performed} had not (performed on retry); ${ops.filter((o) => o.first !== null).length} answered before a kill\n`,
    );
  }, 300_000);
});

describe('the retrying client (scripts/retrying-client.ts, npm run demo:retry)', () => {
  it('survives connections broken before, during and after a write, with no duplicate', async () => {
    const service = await ServiceProcess.start(engine(tempDir('retry')));
    try {
      const sub = `u-${uid()}`;
      const token = tokenFor(sub);
      const script = requireBuild(join(ROOT, 'dist', 'scripts', 'retrying-client.js'));
      const run = spawnSync(
        process.execPath,
        [script, '--url', service.base, '--token', token, '--drop', '0.4', '--seed', '2', '--json'],
        { encoding: 'utf8', timeout: 120_000 },
      );
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      const lines = run.stdout.trim().split('\n');
      expect(lines.at(-2)).toBe('No duplicate: every write took effect exactly once.');
      const summary = JSON.parse(lines.at(-1)!);
      expect(summary).toEqual({
        ok: true,
        seed: 2,
        operations: 22,
        attempts: expect.any(Number),
        broken: { before: expect.any(Number), during: expect.any(Number), after: expect.any(Number) },
        replayed: expect.any(Number),
        failed: 0,
        project: expect.stringMatching(/^\/namespaces\/retry-[0-9a-f]{8}\/projects\/demo$/),
        collections: { listed: 6, expected: 6, oneEach: true },
        members: { distinctSent: 125, memberCount: 125, addedSum: 125 },
        linked: 5,
      });
      // Seed 2 breaks the 2nd and 3rd connections after the service answered (the project create,
      // twice): that write was replayed.
      expect(summary.attempts).toBeGreaterThan(summary.operations);
      expect(summary.broken.after).toBeGreaterThan(0);
      expect(summary.replayed).toBeGreaterThan(0);

      // Checked here on the service, independently of the script.
      const project = summary.project as string;
      const list = await send(service, token, 'GET', `${project}/collections?pageSize=200&sort=name`);
      expect({
        status: list.status,
        total: list.body.total,
        names: list.body.collections.map((c: Json) => c.name),
      }).toEqual({
        status: 200,
        total: 6,
        names: ['clips-1', 'clips-2', 'clips-3', 'clips-4', 'clips-5', 'pool'],
      });
      const pool = await send(service, token, 'GET', `${project}/collections/pool`);
      const expected = Array.from({ length: 125 }, (_, i) => `node-${String(i).padStart(4, '0')}`);
      expect({ memberCount: pool.body.memberCount, members: pool.body.members }).toEqual({
        memberCount: 125,
        members: expected,
      });
      const dataset = await send(service, token, 'GET', `${project}/datasets/runs`);
      expect(dataset.body.collections.map((c: Json) => c.name).sort()).toEqual([
        'clips-1',
        'clips-2',
        'clips-3',
        'clips-4',
        'clips-5',
      ]);
      const namespaces = await send(service, token, 'GET', '/namespaces');
      expect(namespaces.body.total).toBe(1);
    } finally {
      await service.stop('SIGTERM');
    }
  }, 180_000);
});

afterAll(() => removeTempDirs());
