import { TEST_SECRET, tokenFor, uid } from './harness.js';
import { ServiceProcess, tempDir } from './service-process.js';

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
  const server = process.env.DATABASE_URL;
  const dataDir = tempDir('crash');
  const env = server
    ? { DATABASE_URL: server, JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'warn' }
    : { DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'warn' };
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
