import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import jwt from 'jsonwebtoken';
import pg from 'pg';

/*
 * The two-instance race suite (issue 7): the built service (dist/src/main.js) started twice on
 * one fresh server database, and races fired through both instances at once — membership changes
 * (rows 2, 3), parallel namespace deletes (row 4), same-name creates and overlapping member adds.
 * Every outcome must be one that some serial order of the same requests gives, and no answer may
 * be 5xx. The database is created here and dropped at the end; both children are stopped even
 * when a check fails.
 *
 *   npm run test:race [-- postgres://user@host:port/any-database]   (default RACE_SERVER_URL, else
 *   postgres://postgres@127.0.0.1:5432/postgres); RACE_ROUNDS (50) rounds of each race; FEED_WRITES
 *   (10,000) writes the change feed's follower must see each once, in commit order.
 */

const SERVER_URL = process.argv[2] ?? process.env.RACE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROUNDS = Number(process.env.RACE_ROUNDS ?? 50);
/** RACE_ONLY: run only the races whose name contains it. */
const ONLY = process.env.RACE_ONLY || undefined;
const SECRET = randomBytes(32).toString('hex');
const READY_WITHIN_MS = 90_000;

interface Answer {
  status: number;
  body: unknown;
}

/** A field of an answer's JSON object body (undefined when the body is not an object). */
const field = (answer: Answer, key: string): unknown =>
  answer.body !== null && typeof answer.body === 'object' ? (answer.body as Record<string, unknown>)[key] : undefined;

const uid = (): string => randomBytes(4).toString('hex');
const token = (sub: string): string => jwt.sign({ sub }, SECRET, { algorithm: 'HS256', expiresIn: '1h' });

/** The checks that failed, and every 5xx seen. */
const failures: string[] = [];
let requests = 0;

function check(ok: boolean, what: string, detail: unknown): void {
  if (!ok) failures.push(`${what}: ${JSON.stringify(detail)}`);
}

/** Deep equality of JSON values (key order ignored). */
const same = (a: unknown, b: unknown): boolean => isDeepStrictEqual(a, b);

const error = (statusCode: number, error: string, message: string): Answer => ({
  status: statusCode,
  body: { statusCode, error, message },
});
const notFound = (message: string) => error(404, 'Not Found', message);
const conflict = (message: string) => error(409, 'Conflict', message);
const forbidden = (message: string) => error(403, 'Forbidden', message);
const OK = { status: 200, body: { success: true } };

/** One of the two instances, by the round-robin of the caller. */
class Instance {
  constructor(readonly base: string) {}

  async send(
    method: string,
    path: string,
    as: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer & { replayed: boolean }> {
    requests++;
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token(as)}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // kept as text
    }
    if (parsed && typeof parsed === 'object' && 'requestId' in parsed)
      delete (parsed as { requestId?: unknown }).requestId;
    if (res.status >= 500) failures.push(`${method} ${path} (${this.base}) → ${res.status} ${text}`);
    const answer = { status: res.status, body: parsed } as Answer & { replayed: boolean };
    // not enumerable, so answers still compare equal to plain { status, body } objects
    Object.defineProperty(answer, 'replayed', { value: res.headers.get('idempotent-replayed') === 'true' });
    return answer;
  }
}

const instances: Instance[] = [];
/** The instance for the i-th request of a race: alternating, so every race goes through both. */
const via = (i: number): Instance => instances[i % instances.length];
const send = (i: number, method: string, path: string, as: string, body?: unknown, headers?: Record<string, string>) =>
  via(i).send(method, path, as, body, headers);

/** A serial (setup) request that must answer `status`. */
async function must(
  status: number,
  method: string,
  path: string,
  as: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<Answer> {
  const res = await via(0).send(method, path, as, body, headers);
  if (res.status !== status) throw new Error(`setup ${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

async function namespace(owner: string, members: Record<string, string> = {}): Promise<string> {
  const slug = `race-${uid()}`;
  await must(201, 'POST', '/namespaces', owner, { slug });
  for (const [user, role] of Object.entries(members)) {
    await must(200, 'PUT', `/namespaces/${slug}/members/${user}`, owner, { role });
  }
  return slug;
}

async function roles(slug: string, as: string): Promise<Record<string, string>> {
  const res = await must(200, 'GET', `/namespaces/${slug}/members?pageSize=200`, as);
  return Object.fromEntries(
    (field(res, 'members') as { userId: string; role: string }[]).map((m) => [m.userId, m.role] as const),
  );
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Whether `answer` is the 200 of a member put: `{userId, role, createdAt}`. */
const isMember = (answer: Answer, userId: string, role: string): boolean => {
  const createdAt = field(answer, 'createdAt');
  return (
    typeof createdAt === 'string' &&
    ISO.test(createdAt) &&
    same(answer, { status: 200, body: { userId, role, createdAt } })
  );
};
const OWNER_ONLY = (slug: string) =>
  forbidden(`Only an owner of namespace '${slug}' may grant, change or revoke the owner role`);

// ---- the races ------------------------------------------------------------------------------

/** Row 2: an owner grants X owner while an admin sets X reader; X ends owner in either order. */
async function grantAgainstDemote(existing: boolean): Promise<void> {
  const [owner, admin, x] = [`own-${uid()}`, `adm-${uid()}`, `x-${uid()}`];
  const slug = await namespace(owner, { [admin]: 'admin', ...(existing ? { [x]: 'writer' } : {}) });
  const [grant, demote] = await Promise.all([
    send(0, 'PUT', `/namespaces/${slug}/members/${x}`, owner, { role: 'owner' }),
    send(1, 'PUT', `/namespaces/${slug}/members/${x}`, admin, { role: 'reader' }),
  ]);
  const what = `row 2 (${existing ? 'a writer' : 'a newcomer'}) in ${slug}`;
  check(isMember(grant, x, 'owner'), `${what}: the owner's grant`, grant);
  check(
    isMember(demote, x, 'reader') || same(demote, OWNER_ONLY(slug)),
    `${what}: the admin's change is 200 (first) or 403 (second)`,
    demote,
  );
  const now = await roles(slug, owner);
  check(now[x] === 'owner', `${what}: X ends owner`, now);
}

/** Row 2: an owner demotes an admin while the admin changes a writer: the change stands only if first. */
async function demotedWhileChanging(): Promise<void> {
  const [owner, admin, w] = [`own-${uid()}`, `adm-${uid()}`, `w-${uid()}`];
  const slug = await namespace(owner, { [admin]: 'admin', [w]: 'writer' });
  const [demoted, change] = await Promise.all([
    send(0, 'PUT', `/namespaces/${slug}/members/${admin}`, owner, { role: 'reader' }),
    send(1, 'PUT', `/namespaces/${slug}/members/${w}`, admin, { role: 'reader' }),
  ]);
  const what = `row 2 (admin demoted meanwhile) in ${slug}`;
  check(demoted.status === 200, `${what}: the demotion`, demoted);
  const refused = forbidden(`Your role in namespace '${slug}' is 'reader'; this needs 'admin' or above`);
  check(isMember(change, w, 'reader') || same(change, refused), `${what}: the change`, change);
  const now = await roles(slug, owner);
  check(now[admin] === 'reader', `${what}: the admin ends reader`, now);
  check(now[w] === (change.status === 200 ? 'reader' : 'writer'), `${what}: the writer as the change said`, now);
}

/** Two owners demote each other: the second is no longer an owner (403); one owner is left. */
async function ownersDemoteEachOther(): Promise<void> {
  const [a, b] = [`own-${uid()}`, `own-${uid()}`];
  const slug = await namespace(a, { [b]: 'owner' });
  const results = await Promise.all([
    send(0, 'PUT', `/namespaces/${slug}/members/${b}`, a, { role: 'admin' }),
    send(1, 'PUT', `/namespaces/${slug}/members/${a}`, b, { role: 'admin' }),
  ]);
  const what = `owners demoting each other in ${slug}`;
  const won = results.filter((r) => r.status === 200);
  const lost = results.filter((r) => r.status !== 200);
  check(won.length === 1 && lost.length === 1 && same(lost[0], OWNER_ONLY(slug)), `${what}: one 200, one 403`, results);
  const now = await roles(slug, a);
  check(Object.values(now).filter((r) => r === 'owner').length === 1, `${what}: one owner left`, now);
}

/** Row 3: 20 parallel removals of one member: one 200, nineteen 404. */
async function parallelRemovals(): Promise<void> {
  const [owner, admin, x] = [`own-${uid()}`, `adm-${uid()}`, `x-${uid()}`];
  const slug = await namespace(owner, { [admin]: 'admin', [x]: 'writer' });
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      send(i, 'DELETE', `/namespaces/${slug}/members/${x}`, i % 4 < 2 ? owner : admin),
    ),
  );
  const what = `row 3 in ${slug}`;
  const gone = notFound(`Member '${x}' not found in namespace '${slug}'`);
  check(results.filter((r) => same(r, OK)).length === 1, `${what}: exactly one 200`, results);
  check(results.filter((r) => same(r, gone)).length === 19, `${what}: nineteen 404`, results);
  const now = await roles(slug, owner);
  check(same(now, { [owner]: 'owner', [admin]: 'admin' }), `${what}: X is gone`, now);
}

/** Row 4: 20 parallel deletes of one namespace: one 200, nineteen 404. */
async function parallelNamespaceDeletes(): Promise<void> {
  const owner = `own-${uid()}`;
  const slug = await namespace(owner, { [`co-${uid()}`]: 'owner' });
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => send(i, 'DELETE', `/namespaces/${slug}`, owner)),
  );
  const what = `row 4 on ${slug}`;
  check(results.filter((r) => same(r, OK)).length === 1, `${what}: exactly one 200`, results);
  check(
    results.filter((r) => same(r, notFound(`Namespace '${slug}' not found`))).length === 19,
    `${what}: nineteen 404`,
    results,
  );
  const after = await via(1).send('GET', `/namespaces/${slug}`, owner);
  check(after.status === 404, `${what}: gone`, after);
}

/** Row 4: a namespace delete and a project create at once: delete then 404, or create then 409. */
async function deleteAgainstProjectCreate(): Promise<void> {
  const owner = `own-${uid()}`;
  const slug = await namespace(owner);
  const [deleted, created] = await Promise.all([
    send(0, 'DELETE', `/namespaces/${slug}`, owner),
    send(1, 'POST', `/namespaces/${slug}/projects`, owner, { name: 'late' }),
  ]);
  const what = `namespace delete against project create on ${slug}`;
  const ns = await via(0).send('GET', `/namespaces/${slug}`, owner);
  if (same(deleted, OK)) {
    check(same(created, notFound(`Namespace '${slug}' not found`)), `${what}: delete first, create 404`, created);
    check(ns.status === 404, `${what}: namespace gone`, ns);
  } else {
    check(
      same(deleted, conflict(`Namespace '${slug}' still has projects; delete them first`)),
      `${what}: create first, delete 409`,
      deleted,
    );
    check(created.status === 201, `${what}: create first, 201`, created);
    check(ns.status === 200 && field(ns, 'projects') === 1, `${what}: namespace with its project`, ns);
  }
}

/** Same-name creates through both instances: one 201, the rest 409 with the exact body. */
async function sameNameCreates(project: string, ns: string, projectSlug: string, owner: string): Promise<void> {
  const slug = `race-ns-${uid()}`;
  const kinds: [string, string, (i: number) => unknown, string][] = [
    ['namespace', '/namespaces', () => ({ slug }), `Namespace slug '${slug}' is already taken`],
    [
      'dataset',
      `${project}/datasets`,
      (i) => ({ name: `ds-${slug}`, description: `client ${i}` }),
      `Dataset 'ds-${slug}' already exists in project '${ns}/${projectSlug}'`,
    ],
    [
      'collection',
      `${project}/collections`,
      (i) => ({ name: `col-${slug}`, members: [`client-${i}`] }),
      `Collection 'col-${slug}' already exists in project '${ns}/${projectSlug}'`,
    ],
  ];
  for (const [kind, path, body, message] of kinds) {
    const as = (i: number) => (kind === 'namespace' ? `user-${i}-${uid()}` : owner);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => send(i, 'POST', path, as(i), body(i))));
    const what = `8 same-name ${kind} creates (${slug})`;
    check(results.filter((r) => r.status === 201).length === 1, `${what}: exactly one 201`, results);
    check(results.filter((r) => same(r, conflict(message))).length === 7, `${what}: seven 409`, results);
  }
  const listed = await via(1).send('GET', `${project}/collections?q=col-${slug}`, owner);
  check(field(listed, 'total') === 1, `same-name collections (${slug}): one listed`, listed.body);
}

/** Overlapping member adds to one collection: Σadded = distinct ids, memberCount exact. */
async function overlappingAdds(project: string, owner: string): Promise<void> {
  const name = `race-members-${uid()}`;
  await must(201, 'POST', `${project}/collections`, owner, { name });
  const ids = Array.from({ length: 1000 }, (_, i) => `node-${String(i).padStart(4, '0')}`);
  // client i adds ids [100·i, 100·i + 500), reversed for odd i: heavy overlaps in both orders
  const batches = Array.from({ length: 6 }, (_, i) => {
    const slice = ids.slice(i * 100, i * 100 + 500);
    return i % 2 ? slice.reverse() : slice;
  });
  const results = await Promise.all(
    batches.map((add, i) => send(i, 'POST', `${project}/collections/${name}/members`, owner, { add })),
  );
  const what = `overlapping member adds to ${name}`;
  check(
    results.every((r) => r.status === 200),
    `${what}: all 200`,
    results.map((r) => r.status),
  );
  const distinct = new Set(batches.flat()).size;
  const added = results.reduce((sum, r) => sum + Number(field(r, 'added') ?? 0), 0);
  check(added === distinct, `${what}: Σadded = ${distinct} distinct ids`, added);
  const totals = results.map((r) => field(r, 'total') as number).sort((a, b) => a - b);
  check(totals.at(-1) === distinct, `${what}: the last request saw every id`, totals);
  const got = await via(1).send('GET', `${project}/collections/${name}`, owner);
  check(field(got, 'memberCount') === distinct, `${what}: memberCount`, field(got, 'memberCount'));
  const members = (field(got, 'members') ?? []) as string[];
  check(members.length === distinct && new Set(members).size === distinct, `${what}: every id once`, members.length);
}

/**
 * Issue 21 row 5: one keyed create sent 10 times at once (staggered by up to 3 ms, through both
 * instances): exactly one runs (201), every other answer is its replay (201, `Idempotent-Replayed`)
 * or 409 "still in progress"; never a 500 (duplicate key) nor 409 "already exists" (a second run).
 */
async function keyedRetries(project: string, owner: string): Promise<void> {
  const name = `keyed-${uid()}`;
  const key = `race-${uid()}`;
  const results = await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, (i * 7) % 4));
      return send(i, 'POST', `${project}/collections`, owner, { name, members: ['a'] }, { 'Idempotency-Key': key });
    }),
  );
  const what = `row 5: 10 keyed creates of ${name}`;
  const busy = conflict('A request with this Idempotency-Key is still in progress; retry it shortly');
  const isBusy = (r: Answer) => same({ status: r.status, body: r.body }, busy);
  const ran = results.filter((r) => r.status === 201 && !r.replayed);
  check(ran.length <= 1, `${what}: at most one ran`, results);
  const first = ran[0] ?? results.find((r) => r.status === 201);
  check(
    results.every((r) => isBusy(r) || (r.status === 201 && same(r.body, first?.body))),
    `${what}: every other answer a replay or 409 in progress`,
    results.filter((r) => !isBusy(r) && !(r.status === 201 && same(r.body, first?.body))),
  );
  const again = await via(1).send(
    'POST',
    `${project}/collections`,
    owner,
    { name, members: ['a'] },
    { 'Idempotency-Key': key },
  );
  check(
    again.status === 201 && again.replayed && same(again.body, first?.body),
    `${what}: the key replays after`,
    again,
  );
}

/** The race database, for the races that interleave a statement of their own (set in main). */
let raceDatabase = '';

/**
 * Issue 21 row 5, the interleaving forced: a keyed retry whose claim started (its expired-answer
 * cleanup waits on a row lock held here) while the first request's answer is committed. The
 * retry must replay that answer, not run again (before the fix: 409 "already exists").
 */
async function claimAfterCommit(project: string, owner: string): Promise<void> {
  const name = `claimed-${uid()}`;
  const [first, retry] = [`k0-${uid()}`, `k1-${uid()}`];
  const body = { name, members: ['a'] };
  const made = await must(201, 'POST', `${project}/collections`, owner, body, { 'Idempotency-Key': first });
  const db = new pg.Client({ connectionString: raceDatabase });
  await db.connect();
  try {
    // the retry's key holds the same request's answer, expired for now and row-locked here
    await db.query(
      `INSERT INTO idempotency_key (user_id, key, fingerprint, status, body, location, created_at)
       SELECT user_id, $2, fingerprint, status, body, location, now() - interval '25 hours'
       FROM idempotency_key WHERE user_id = $1 AND key = $3`,
      [owner, retry, first],
    );
    await db.query('BEGIN');
    await db.query('SELECT 1 FROM idempotency_key WHERE user_id = $1 AND key = $2 FOR UPDATE', [owner, retry]);
    const answer = send(1, 'POST', `${project}/collections`, owner, body, { 'Idempotency-Key': retry });
    const until = Date.now() + 5000;
    let waiting = false;
    while (!waiting && Date.now() < until) {
      await db.query('SELECT pg_stat_clear_snapshot()'); // else the transaction sees its first reading again
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%idempotency%'`,
      );
      waiting = rows[0].n > 0;
      if (!waiting) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // the first request's answer "commits" now, while the retry's claim is under way
    await db.query('UPDATE idempotency_key SET created_at = now() WHERE user_id = $1 AND key = $2', [owner, retry]);
    await db.query('COMMIT');
    const got = await answer;
    const what = `row 5 forced: retry ${retry} claimed while ${first}'s answer committed`;
    check(waiting, `${what}: the claim waited`, waiting);
    check(got.status === 201 && got.replayed && same(got.body, made.body), `${what}: replayed`, got);
  } finally {
    await db.end();
  }
}

/**
 * Issue 21 row 6: restoring a collection from the trash while its dataset is deleted: it comes
 * back into the dataset (restore first; then the delete detaches it) or standalone (delete first);
 * never in a deleted dataset.
 */
async function restoreAgainstDatasetDelete(project: string, owner: string): Promise<void> {
  const ds = `home-${uid()}`;
  const name = `back-${uid()}`;
  await must(201, 'POST', `${project}/datasets`, owner, { name: ds });
  const created = await must(201, 'POST', `${project}/collections`, owner, { name, members: ['m'] });
  await must(200, 'POST', `${project}/datasets/${ds}/collections`, owner, { add: [name] });
  await must(200, 'DELETE', `${project}/collections/${name}`, owner);
  const id = field(created, 'id') as string;
  const [restored, deleted] = await Promise.all([
    send(0, 'POST', `${project}/trash/${id}/restore`, owner),
    send(1, 'DELETE', `${project}/datasets/${ds}`, owner),
  ]);
  const what = `row 6: restore of ${name} against delete of ${ds}`;
  check(restored.status === 200 && same(deleted, OK), `${what}: both 200`, [restored, deleted]);
  const now = await via(1).send('GET', `${project}/collections/${name}?members=false`, owner);
  check(now.status === 200 && field(now, 'datasetId') === null, `${what}: standalone after the delete`, now.body);
  const standalone = await via(0).send('GET', `${project}/collections?standalone=true&q=${name}`, owner);
  check(field(standalone, 'total') === 1, `${what}: listed as standalone`, standalone.body);
}

/**
 * Issue 21 row 7: deleting a dataset tagged t (with a collection) while another dataset tagged t
 * is created: both succeed (no deadlock, so no 503) and the tag's count is exact.
 */
async function deleteAgainstTaggedCreate(project: string, owner: string): Promise<void> {
  const tag = `t-${uid()}`;
  const old = `old-${uid()}`;
  const col = `c-${uid()}`;
  await must(201, 'POST', `${project}/datasets`, owner, { name: old, tags: [tag] });
  await must(201, 'POST', `${project}/collections`, owner, { name: col });
  await must(200, 'POST', `${project}/datasets/${old}/collections`, owner, { add: [col] });
  const fresh = `new-${uid()}`;
  const [deleted, created] = await Promise.all([
    send(0, 'DELETE', `${project}/datasets/${old}`, owner),
    send(1, 'POST', `${project}/datasets`, owner, { name: fresh, tags: [tag] }),
  ]);
  const what = `row 7: delete of ${old} against create of ${fresh} (tag ${tag})`;
  check(same(deleted, OK) && created.status === 201, `${what}: 200 and 201`, [deleted, created]);
  const listed = await via(1).send('GET', `${project}/datasets?tag=${tag}`, owner);
  check(field(listed, 'total') === 1, `${what}: one dataset tagged`, listed.body);
}

// ---- the service twice, and the database ----------------------------------------------------

/**
 * The change feed under load (issue 20): FEED_WRITES member adds (10,000 by default), 32 at a
 * time through both instances, each with its own request id, onto 8 collections, while a
 * follower long-polls the feed through both instances. Every write must appear exactly once, the
 * cursors must rise, and each collection's `total` must rise by one from event to event: the
 * feed's order is the order in which the writes committed.
 */
async function feedFollower(): Promise<string> {
  const writes = Number(process.env.FEED_WRITES ?? 10_000);
  const owner = `feed-${uid()}`;
  const ns = await namespace(owner);
  await must(201, 'POST', `/namespaces/${ns}/projects`, owner, { name: 'feed' });
  const project = `/namespaces/${ns}/projects/feed`;
  const collections = 8;
  for (let c = 0; c < collections; c++) await must(201, 'POST', `${project}/collections`, owner, { name: `c${c}` });
  const { body: start } = await must(200, 'GET', `/namespaces/${ns}/changes?limit=1000`, owner);
  let cursor = (start as { nextCursor: string }).nextCursor;

  const seen = new Map<string, number>();
  const order: { cursor: bigint; requestId: string; collection: string; total: number }[] = [];
  let writing = true;
  const t0 = Date.now();
  const follow = (async () => {
    for (let i = 0; writing || seen.size < writes; i++) {
      if (Date.now() - t0 > 300_000) break;
      const page = await send(i, 'GET', `/namespaces/${ns}/changes?after=${cursor}&limit=1000&wait=2`, owner);
      if (page.status !== 200) {
        check(false, 'feed page', page);
        break;
      }
      const body = page.body as {
        changes: {
          cursor: string;
          requestId: string;
          type: string;
          target: { name: string };
          data: { total: number };
        }[];
        nextCursor: string;
      };
      for (const change of body.changes) {
        if (change.type !== 'collection.members.changed') continue;
        seen.set(change.requestId, (seen.get(change.requestId) ?? 0) + 1);
        order.push({
          cursor: BigInt(change.cursor),
          requestId: change.requestId,
          collection: change.target.name,
          total: change.data.total,
        });
      }
      cursor = body.nextCursor;
    }
  })();
  let next = 0;
  const writer = async () => {
    for (let i = next++; i < writes; i = next++) {
      const res = await fetch(`${via(i).base}${project}/collections/c${i % collections}/members`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token(owner)}`,
          'Content-Type': 'application/json',
          'X-Request-Id': `feed-${i}`,
        },
        body: JSON.stringify({ add: [`w-${i}`] }),
      });
      requests++;
      if (res.status !== 200) failures.push(`feed write ${i} → ${res.status} ${await res.text()}`);
      else await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 32 }, writer));
  const wrote = Date.now() - t0;
  writing = false;
  await follow;
  const lag = Date.now() - t0 - wrote;

  const missing = writes - [...Array(writes).keys()].filter((i) => seen.has(`feed-${i}`)).length;
  const twice = [...seen.values()].filter((n) => n > 1).length;
  check(missing === 0 && twice === 0, 'every write in the feed exactly once', { missing, twice });
  const rising = order.every((e, i) => i === 0 || e.cursor > order[i - 1].cursor);
  check(rising, 'cursors rise', order.slice(0, 5));
  const last = new Map<string, number>();
  let outOfOrder = 0;
  for (const e of order) {
    if (e.total !== (last.get(e.collection) ?? 0) + 1) outOfOrder++;
    last.set(e.collection, e.total);
  }
  check(outOfOrder === 0, "each collection's total rises by one along the feed (commit order)", { outOfOrder });
  return `${writes} writes in ${(wrote / 1000).toFixed(1)} s (${Math.round(writes / (wrote / 1000))}/s), follower done ${(lag / 1000).toFixed(1)} s after the last write`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  const until = Date.now() + READY_WITHIN_MS;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the service on ${base} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/health/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the service on ${base} was not ready within ${READY_WITHIN_MS / 1000} s`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const database = `dreamlake_race_${process.pid}_${Date.now().toString(36)}`;
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'dreamlake-race-'));
  const children: ChildProcess[] = [];
  let cleaned: Promise<void> | null = null;
  const cleanup = (): Promise<void> =>
    (cleaned ??= (async () => {
      await Promise.all(children.map(stop));
      await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch((e: Error) =>
        console.error(`could not drop ${database}: ${e.message}`),
      );
      rmSync(dataDir, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  }

  const started = Date.now();
  try {
    await admin(`CREATE DATABASE "${database}"`);
    raceDatabase = url.toString();
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: url.toString(),
        JWT_SECRET: SECRET,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_MINUTE: '0',
        DATA_DIR: join(dataDir, `instance-${i}`),
      };
      delete env.JWT_PUBLIC_KEY;
      const child = spawn(process.execPath, ['dist/src/main.js'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
      children.push(child);
      instances.push(new Instance(`http://127.0.0.1:${port}`));
    }
    await Promise.all(instances.map((instance, i) => waitReady(instance.base, children[i])));
    console.log(`two instances ready on ${database} (${instances.map((x) => x.base).join(', ')})`);

    const owner = `own-${uid()}`;
    const ns = await namespace(owner);
    const projectSlug = `p-${uid()}`;
    await must(201, 'POST', `/namespaces/${ns}/projects`, owner, { name: projectSlug });
    const project = `/namespaces/${ns}/projects/${projectSlug}`;

    const all: [string, () => Promise<void>][] = [
      ['row 2: grant owner against demote (existing member)', () => grantAgainstDemote(true)],
      ['row 2: grant owner against demote (new member)', () => grantAgainstDemote(false)],
      ['row 2: admin demoted while changing a member', demotedWhileChanging],
      ['owners demoting each other', ownersDemoteEachOther],
      ['row 3: 20 parallel removals of one member', parallelRemovals],
      ['row 4: 20 parallel deletes of one namespace', parallelNamespaceDeletes],
      ['row 4: namespace delete against project create', deleteAgainstProjectCreate],
      ['same-name creates (namespace, dataset, collection)', () => sameNameCreates(project, ns, projectSlug, owner)],
      ['overlapping member adds', () => overlappingAdds(project, owner)],
      ['issue 21 row 5: keyed retries racing the first commit', () => keyedRetries(project, owner)],
      [
        'issue 21 row 5: a keyed retry claimed while the first commits (forced)',
        () => claimAfterCommit(project, owner),
      ],
      ['issue 21 row 6: collection restore against dataset delete', () => restoreAgainstDatasetDelete(project, owner)],
      ['issue 21 row 7: tagged dataset delete against tagged create', () => deleteAgainstTaggedCreate(project, owner)],
    ];
    if (ONLY === undefined || 'the change feed followed through both instances'.includes(ONLY)) {
      const before = failures.length;
      const figures = await feedFollower();
      console.log(
        `${failures.length > before ? 'FAIL' : 'ok  '} the change feed followed through both instances: ${figures}`,
      );
    }
    const races = all.filter(([name]) => ONLY === undefined || name.includes(ONLY));
    for (const [name, race] of races) {
      const before = failures.length;
      const t0 = Date.now();
      for (let round = 0; round < ROUNDS; round++) await race();
      const failed = failures.length - before;
      console.log(
        `${failed ? 'FAIL' : 'ok  '} ${name}: ${ROUNDS} rounds in ${((Date.now() - t0) / 1000).toFixed(1)} s${failed ? `, ${failed} failed checks` : ''}`,
      );
    }
  } finally {
    await cleanup();
  }
  console.log(`${requests} requests through two instances in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (failures.length > 0) {
    console.error(`\n${failures.length} outcome(s) no serial order gives, or 5xx answers:`);
    for (const failure of failures.slice(0, 50)) console.error(`- ${failure}`);
    process.exitCode = 1;
  } else {
    console.log('every outcome is one of a serial order; no 5xx');
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
