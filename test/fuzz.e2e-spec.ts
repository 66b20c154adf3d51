import fc from 'fast-check';
import request from 'supertest';
import { TestApp, tokenFor, uid, type Json } from './harness.js';

/*
 * Property-based fuzzing of every POST, PATCH and PUT route of the contract (issue 7, Tests):
 * bodies deep, wide, of wrong types, with odd Unicode (lone surrogates, NUL, bidi, zero-width),
 * prototype keys, huge numbers, arrays where objects belong. For every answer: never 5xx; every
 * error in the contract's shape {statusCode, error, message, requestId} with the answer's status
 * and id; after a 2xx what is stored (read back with GET) keeps the contract's limits and equals
 * what was sent; after a 4xx nothing changed. Deterministic: a fixed seed per route (fast-check
 * prints it, with the shrunk counterexample, on failure); only namespace slugs carry a per-run
 * prefix. Each property must see both a 2xx and a 4xx, so a generator that stopped reaching the
 * service's storage would fail. FUZZ_RUNS changes the run count (150).
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = 7_2026;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
};
/** Every status the fuzzed requests may get: the caller is the owner, so never 401 or 403. */
const ALLOWED = new Set([200, 201, 400, 404, 409, 413, 414]);

/** What must never reach a client: stack frames, SQL, SQLSTATEs, driver names. */
const LEAKS =
  /\bat [^\s]+ \(|\.ts:\d+|\.js:\d+|QueryFailedError|SQLSTATE|\b(22|23|42)[0-9A-Z]{3}\b|\bSELECT\b|\bINSERT\b|syntax error|violates|relation "/;

const VISIBLE = /^[^\p{Cc}\p{Cf}\p{Cs}]*$/u;
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

const oddChar = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udc00',
  '\udbff',
  '\u202e',
  '\u202d',
  '\u2066',
  '\u200b',
  '\u200d',
  '\ufeff',
  '\u0007',
  '\u001b',
  '\ufffd',
  '\u0301',
  '😀',
  'é',
  'Ω',
  '\n',
  '\t',
  '%',
  '\\',
  '"',
  "'",
  '/',
  '.',
  '..',
  '<',
  '$1',
);
const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.array(fc.oneof(oddChar, fc.string({ maxLength: 3 })), { maxLength: 8 }).map((parts) => parts.join('')),
  fc.constantFrom('', ' ', 'a'.repeat(101), 'x'.repeat(10_001), '__proto__', 'constructor', 'toString', 'null'),
);
const hugeNumber = fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, 5e-324, 1.5, -1, 0, 1e21, Number.MAX_SAFE_INTEGER);
const scalar = fc.oneof(
  oddString,
  hugeNumber,
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
);
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(oddString, scalar, { maxKeys: 5 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);

// Values that are valid (or nearly): so that some requests succeed and what they store is checked.
/**
 * Namespace slugs are unique across the whole service and a server database outlives the run, so
 * generated slugs carry this run's prefix (the only part of a body that is not from the seed).
 */
const RUN = uid().slice(0, 4);
const slugValue = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}[a-z0-9]$/).map((s) => `fz${RUN}-${s}`);
const nameValue = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$/);
const displayName = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 }));
const description = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 50 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const tags = fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 6 });
const metadata = fc.oneof(
  fc.constant(null),
  fc.dictionary(
    fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf')),
    fc.jsonValue({ maxDepth: 3 }),
    {
      maxKeys: 6,
    },
  ),
);
const nodeIds = fc.array(fc.stringMatching(/^[A-Za-z0-9._:-]{1,16}$/), { maxLength: 8 });

/** A field's value: mostly valid, else anything hostile. */
const field = (valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 2, arbitrary: valid }, { weight: 1, arbitrary: hostile });

type Fields = Record<string, fc.Arbitrary<unknown>>;

const deepObject = (depth: number): Json => {
  let value: Json = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
};

/** Values at and just past the contract's limits, by field. */
const EDGES: Record<string, unknown[]> = {
  slug: ['a'.repeat(64), 'a'.repeat(65), 'A', '-a', 'a-', 'a--b', 'ä', '0'],
  name: ['a'.repeat(100), 'a'.repeat(101), '😀'.repeat(100), 'a b', '.a', 'a/b', ' ', 'x\u0085'],
  description: ['d'.repeat(10_000), 'd'.repeat(10_001), '', '\u0000'],
  tags: [
    Array.from({ length: 50 }, (_, i) => `t${i}`),
    Array.from({ length: 51 }, (_, i) => `t${i}`),
    ['x'.repeat(64)],
    ['x'.repeat(65)],
    ['😀'.repeat(64)],
    [''],
    ['a', 'a'],
    [1],
    'tag',
  ],
  metadata: [
    { k: 'x'.repeat(64 * 1024 - 10) },
    { k: 'x'.repeat(64 * 1024) },
    deepObject(32),
    deepObject(33),
    [],
    'm',
    {},
  ],
  members: [['x'.repeat(128)], ['x'.repeat(129)], ['a b'], ['é'], [''], ['a', 'a', 'b'], [1], 'a'],
  add: [['x'.repeat(128)], ['x'.repeat(129)], ['a b'], ['é'], [''], ['a', 'a', 'b'], [1], [], 'a'],
  role: ['Owner', 'superuser', '', 1, null],
  datasetId: ['not-a-uuid', '00000000-0000-0000-0000-000000000000', 1, ''],
};

const deepText = (depth: number, kind: 'array' | 'object'): string =>
  kind === 'array' ? '['.repeat(depth) + '1' + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/**
 * A raw JSON body for a route with these fields: a record of (mostly valid, sometimes hostile)
 * field values, or that record with one field made deep, wide, or a prototype key added, or a body
 * of the wrong type altogether.
 */
function bodies(fields: Fields, required: string[]): fc.Arbitrary<string> {
  const names = Object.keys(fields);
  const record = fc.record(Object.fromEntries(names.map((name) => [name, field(fields[name])])), {
    requiredKeys: required,
  });
  // A valid record with one field set to a value at or past a limit, or to anything hostile.
  const validFields: Fields = Object.fromEntries(names.map((name) => [name, fields[name]]));
  const valid = fc.record(validFields, { requiredKeys: required });
  const oneOff = fc
    .tuple(valid, fc.constantFrom(...names))
    .chain(([r, name]) =>
      fc
        .oneof({ weight: 3, arbitrary: fc.constantFrom(...(EDGES[name] ?? [null])) }, { weight: 1, arbitrary: hostile })
        .map((value) => JSON.stringify({ ...r, [name]: value })),
    );
  const withRest = (extra: (rest: string) => string) => record.map((r) => extra(JSON.stringify(r).slice(1, -1)));
  const join = (first: string, rest: string): string => `{${[first, rest].filter(Boolean).join(',')}}`;
  return fc.oneof(
    { weight: 3, arbitrary: record.map((r) => JSON.stringify(r)) },
    { weight: 5, arbitrary: oneOff },
    {
      weight: 1,
      arbitrary: fc
        .tuple(record, fc.constantFrom(...names), fc.integer({ min: 1, max: 120 }), fc.constantFrom('array', 'object'))
        .map(([r, name, depth, kind]) => {
          const rest: Json = { ...r };
          delete rest[name];
          return join(`${JSON.stringify(name)}:${deepText(depth, kind)}`, JSON.stringify(rest).slice(1, -1));
        }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(record, fc.integer({ min: 50, max: 3000 }), fc.boolean()).map(([r, width, inMetadata]) => {
        const wide = `{${Array.from({ length: width }, (_, i) => `"k${i}":${i}`).join(',')}}`;
        const rest: Json = { ...r };
        delete rest.metadata;
        return inMetadata && names.includes('metadata')
          ? join(`"metadata":${wide}`, JSON.stringify(rest).slice(1, -1))
          : wide;
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.constantFrom('top', 'nested', 'metadata'))
        .chain(([key, where]) =>
          withRest((rest) => {
            const evil = `${JSON.stringify(key)}:{"isAdmin":true}`;
            if (where === 'top') return join(evil, rest);
            if (where === 'metadata')
              return join(`"metadata":{${evil}}`, rest.replace(/"metadata":(null|\{[^{}]*\})/, '"m":1'));
            return join(`"tags":[{${evil}}]`, rest.replace(/"tags":\[[^\]]*\]/, '"t":1'));
          }),
        ),
    },
    { weight: 1, arbitrary: fc.constantFrom('[]', '[{}]', '"x"', '42', 'true', 'null', '{}', '{"a":', '', ' ') },
  );
}

// ---------------------------------------------------------------------------------------------
// What is stored
// ---------------------------------------------------------------------------------------------

/** Every string (and key) in a value is well-formed and NUL-free; depth ≤ limit. Iterative. */
function cleanValue(value: unknown, maxDepth: number): string | null {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (!v.isWellFormed() || v.includes('\u0000')) return `bad string ${JSON.stringify(v)}`;
    } else if (v !== null && typeof v === 'object') {
      if (depth > maxDepth) return `deeper than ${maxDepth}`;
      for (const [k, item] of Object.entries(v)) {
        if (!k.isWellFormed() || k.includes('\u0000')) return `bad key ${JSON.stringify(k)}`;
        stack.push([item, depth + 1]);
      }
    }
  }
  return null;
}

/** What is wrong with a stored namespace, project, dataset or collection under the contract's limits. */
function problems(thing: Json, kind: 'namespace' | 'project' | 'dataset' | 'collection'): string[] {
  const out: string[] = [];
  const check = (ok: boolean, what: string) => !ok && out.push(what);
  if (kind === 'namespace' || kind === 'project') {
    check(typeof thing.slug === 'string' && SLUG.test(thing.slug), `slug ${thing.slug}`);
    check(
      typeof thing.name === 'string' &&
        [...thing.name].length <= 100 &&
        thing.name.trim() !== '' &&
        VISIBLE.test(thing.name),
      `name ${JSON.stringify(thing.name)}`,
    );
  } else {
    check(typeof thing.name === 'string' && NAME.test(thing.name), `name ${thing.name}`);
  }
  check(
    thing.description === null || (typeof thing.description === 'string' && thing.description.length <= 10_000),
    'description',
  );
  if (kind !== 'namespace') {
    check(
      Array.isArray(thing.tags) &&
        thing.tags.length <= 50 &&
        thing.tags.every((tag: unknown) => typeof tag === 'string' && tag.length >= 1 && [...tag].length <= 64),
      `tags ${JSON.stringify(thing.tags)}`,
    );
  }
  const m = thing.metadata as unknown;
  check(
    m === null || (typeof m === 'object' && !Array.isArray(m) && Buffer.byteLength(JSON.stringify(m)) <= 64 * 1024),
    'metadata',
  );
  if (kind === 'collection') {
    check(
      Array.isArray(thing.members) && thing.members.every((id: unknown) => typeof id === 'string' && NODE_ID.test(id)),
      'members',
    );
    check(thing.memberCount === thing.members?.length, 'memberCount');
  }
  const deep = cleanValue(thing, 40);
  if (deep) out.push(deep);
  if (m !== null && cleanValue(m, 32) !== null) out.push(`metadata: ${cleanValue(m, 32)}`);
  return out;
}

/** JSON with object keys sorted (jsonb keeps its own key order), for comparing values. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

describe('fuzz: every POST, PATCH and PUT route', () => {
  let t: TestApp;
  const owner = `fuzz-${uid()}`;
  let ns: string;
  let projectSlug: string;
  let datasetName: string;
  let collectionName: string;
  let datasetId: string;
  let trashId: string;
  let trashName: string;

  const projectPath = () => `/namespaces/${ns}/projects/${projectSlug}`;

  beforeAll(async () => {
    t = await TestApp.start();
    ns = await t.namespace(owner);
    projectSlug = (await t.project(ns, owner)).split('/').at(-1)!;
    datasetName = 'fz-dataset';
    collectionName = 'fz-collection';
    datasetId = ((await t.post(`${projectPath()}/datasets`, owner, { name: datasetName })).body as Json).id as string;
    expect((await t.post(`${projectPath()}/collections`, owner, { name: collectionName, members: ['a'] })).status).toBe(
      201,
    );
    for (const name of ['fz-link-1', 'fz-link-2', 'fz-trashed']) {
      expect((await t.post(`${projectPath()}/collections`, owner, { name })).status).toBe(201);
    }
    trashName = 'fz-trashed';
    trashId = ((await t.get(`${projectPath()}/collections/${trashName}`, owner)).body as Json).id as string;
    expect((await t.delete(`${projectPath()}/collections/${trashName}`, owner)).status).toBe(200);
  });
  afterAll(async () => {
    await t.close();
  });

  interface Answer {
    status: number;
    body: Json;
  }

  /** One request, raw; checks the error shape and that it is no 5xx. */
  async function call(
    method: 'get' | 'post' | 'patch' | 'put' | 'delete',
    path: string,
    raw?: string,
  ): Promise<Answer> {
    let req = request(t.app.getHttpServer())[method](path).set('Authorization', `Bearer ${tokenOf()}`);
    if (raw !== undefined) req = req.set('Content-Type', 'application/json').send(raw);
    const res = await req;
    seen.add(Math.floor(res.status / 100) * 100 + (method === 'get' ? 1 : 0));
    const context = `${method.toUpperCase()} ${path.slice(0, 200)} ${raw === undefined ? '' : raw.slice(0, 300)} → ${res.status} ${res.text.slice(0, 300)}`;
    if (!ALLOWED.has(res.status)) throw new Error(`unexpected status: ${context}`);
    if (res.status >= 400) {
      const body = res.body as Json;
      const id = res.headers['x-request-id'];
      const ok =
        Object.keys(body).sort().join() === 'error,message,requestId,statusCode' &&
        body.statusCode === res.status &&
        body.error === REASONS[res.status] &&
        (typeof body.message === 'string' ||
          (Array.isArray(body.message) &&
            body.message.length > 0 &&
            body.message.every((m: unknown) => typeof m === 'string'))) &&
        typeof id === 'string' &&
        body.requestId === id &&
        !LEAKS.test(res.text);
      if (!ok) throw new Error(`not the contract's error shape: ${context}`);
    }
    return { status: res.status, body: res.body as Json };
  }

  let token: string | undefined;
  const tokenOf = (): string => (token ??= tokenFor(owner));

  /** Reads something that must be there. */
  async function read(path: string): Promise<Json> {
    const res = await call('get', path);
    if (res.status !== 200) throw new Error(`GET ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
  const total = async (path: string): Promise<number> => (await read(`${path}?pageSize=1`)).total as number;

  const assertClean = (thing: Json, kind: Parameters<typeof problems>[1], context: string) => {
    const found = problems(thing, kind);
    if (found.length > 0)
      throw new Error(
        `invalid ${kind} stored (${found.join('; ')}): ${context}\n${JSON.stringify(thing).slice(0, 500)}`,
      );
  };
  /**
   * What was read back equals the answer, and every field the body set is stored as sent (metadata
   * key for key, in any order; members without duplicates, in order).
   */
  const sameAs = (stored: Json, answered: Json, raw: string) => {
    for (const [key, value] of Object.entries(answered)) {
      if (key in stored && JSON.stringify(stored[key]) !== JSON.stringify(value)) {
        throw new Error(`GET differs from the answer in ${key}: ${raw.slice(0, 300)}`);
      }
    }
    const parsed = raw.trim() === '' ? {} : (JSON.parse(raw) as unknown);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`a body that is not a JSON object was taken: ${raw.slice(0, 300)}`);
    }
    const sent = parsed as Json;
    for (const key of ['slug', 'name', 'description', 'tags', 'metadata', 'datasetId', 'members', 'role']) {
      if (!Object.hasOwn(sent, key)) continue;
      // null for a name, tags or members that have a default is the default (name: the slug; [], []).
      if (sent[key] === null && ['name', 'tags', 'members'].includes(key)) continue;
      // Members and tags are sets: duplicates are dropped, the first occurrence's order kept.
      const expected = key === 'members' || key === 'tags' ? [...new Set(sent[key] as string[])] : sent[key];
      if (canonical(stored[key]) !== canonical(expected)) {
        throw new Error(
          `${key} stored as ${canonical(stored[key]).slice(0, 200)}, sent ${canonical(expected).slice(0, 200)}: ${raw.slice(0, 300)}`,
        );
      }
    }
  };
  const unchanged = (before: unknown, after: unknown, context: string) => {
    if (JSON.stringify(before) !== JSON.stringify(after))
      throw new Error(`a refused request changed something: ${context}`);
  };

  /** Status classes the fuzzed (non-GET) requests of the current property got: 200, 400. */
  const seen = new Set<number>();

  /**
   * Runs a property with the fixed seed; then checks that the runs were not all refused (or all
   * taken): a fuzzer whose every body fails validation would test nothing past it.
   */
  const run = async <Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncPropertyWithHooks<Ts>) => {
    seen.clear();
    await fc.assert(property, { numRuns: RUNS, seed: SEED, endOnFailure: true });
    expect([seen.has(200), seen.has(400)]).toEqual([true, true]);
  };

  it('POST /namespaces', async () => {
    await run(
      fc.asyncProperty(bodies({ slug: slugValue, name: displayName, description, metadata }, []), async (raw) => {
        const before = await total('/namespaces');
        const res = await call('post', '/namespaces', raw);
        if (res.status === 201) {
          assertClean(res.body, 'namespace', raw);
          sameAs(await read(`/namespaces/${res.body.slug}`), res.body, raw);
          expect(await total('/namespaces')).toBe(before + 1);
        } else unchanged(before, await total('/namespaces'), raw);
      }),
    );
  });

  it('PATCH /namespaces/:slug', async () => {
    await run(
      fc.asyncProperty(bodies({ slug: slugValue, name: displayName, description, metadata }, []), async (raw) => {
        const before = await read(`/namespaces/${ns}`);
        const res = await call('patch', `/namespaces/${ns}`, raw);
        if (res.status === 200) {
          ns = res.body.slug as string;
          assertClean(res.body, 'namespace', raw);
          sameAs(await read(`/namespaces/${ns}`), res.body, raw);
        } else unchanged(before, await read(`/namespaces/${ns}`), raw);
      }),
    );
  });

  it('PUT /namespaces/:slug/members/:userId', async () => {
    const userId = fc.oneof(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
      oddString.filter((s) => s.isWellFormed() && s !== '' && s !== owner && !['.', '..'].includes(s)),
    );
    await run(
      fc.asyncProperty(
        bodies({ role: fc.constantFrom('reader', 'writer', 'admin', 'owner') }, ['role']),
        userId,
        async (raw, member) => {
          const members = `/namespaces/${ns}/members`;
          const before = await read(`${members}?pageSize=200`);
          const res = await call('put', `${members}/${encodeURIComponent(member)}`, raw);
          const after = await read(`${members}?pageSize=200`);
          if (res.status === 200) {
            const stored = (after.members as Json[]).find((m) => m.userId === member);
            if (!stored || stored.role !== res.body.role || !VISIBLE.test(member)) {
              throw new Error(`member not stored as answered: ${member} ${raw}`);
            }
          } else unchanged(before, after, `${member} ${raw}`);
        },
      ),
    );
  });

  it('POST /namespaces/:slug/projects', async () => {
    await run(
      fc.asyncProperty(
        bodies({ name: displayName, slug: slugValue, description, tags, metadata }, ['name']),
        async (raw) => {
          const list = `/namespaces/${ns}/projects`;
          const before = await total(list);
          const res = await call('post', list, raw);
          if (res.status === 201) {
            assertClean(res.body, 'project', raw);
            sameAs(await read(`${list}/${res.body.slug}`), res.body, raw);
            expect(await total(list)).toBe(before + 1);
          } else unchanged(before, await total(list), raw);
        },
      ),
    );
  });

  it('PATCH /namespaces/:slug/projects/:projectSlug', async () => {
    await run(
      fc.asyncProperty(bodies({ name: displayName, slug: slugValue, description, tags, metadata }, []), async (raw) => {
        const before = await read(projectPath());
        const res = await call('patch', projectPath(), raw);
        if (res.status === 200) {
          projectSlug = res.body.slug as string;
          assertClean(res.body, 'project', raw);
          sameAs(await read(projectPath()), res.body, raw);
        } else unchanged(before, await read(projectPath()), raw);
      }),
    );
  });

  it('POST …/datasets', async () => {
    await run(
      fc.asyncProperty(bodies({ name: nameValue, description, tags, metadata }, ['name']), async (raw) => {
        const list = `${projectPath()}/datasets`;
        const before = await total(list);
        const res = await call('post', list, raw);
        if (res.status === 201) {
          assertClean(res.body, 'dataset', raw);
          sameAs(await read(`${list}/${res.body.name}`), res.body, raw);
          expect(await total(list)).toBe(before + 1);
        } else unchanged(before, await total(list), raw);
      }),
    );
  });

  it('PATCH …/datasets/:name', async () => {
    await run(
      fc.asyncProperty(bodies({ name: nameValue, description, tags, metadata }, []), async (raw) => {
        const path = () => `${projectPath()}/datasets/${datasetName}`;
        const before = await read(path());
        const res = await call('patch', path(), raw);
        if (res.status === 200) {
          datasetName = res.body.name as string;
          assertClean(res.body, 'dataset', raw);
          sameAs(await read(path()), res.body, raw);
        } else unchanged(before, await read(path()), raw);
      }),
    );
  });

  it('POST …/datasets/:name/collections (link)', async () => {
    const names = fc.array(fc.oneof(fc.constantFrom('fz-link-1', 'fz-link-2', 'fz-missing'), nameValue), {
      maxLength: 4,
    });
    await run(
      fc.asyncProperty(bodies({ add: names }, ['add']), async (raw) => {
        const path = `${projectPath()}/datasets/${datasetName}`;
        const before = await read(path);
        const res = await call('post', `${path}/collections`, raw);
        const after = await read(path);
        if (res.status === 200) {
          assertClean(after, 'dataset', raw);
          for (const c of after.collections as Json[]) assertClean(c, 'collection', raw);
          if (res.body.total !== (after.collections as Json[]).length) throw new Error(`total differs: ${raw}`);
        } else unchanged(before, after, raw);
      }),
    );
  });

  it('POST …/collections', async () => {
    await run(
      fc.asyncProperty(
        bodies(
          {
            name: nameValue,
            description,
            tags,
            metadata,
            datasetId: fc.oneof(fc.constant(null), fc.constant(datasetId), fc.uuid()),
            members: nodeIds,
          },
          ['name'],
        ),
        async (raw) => {
          const list = `${projectPath()}/collections`;
          const before = await total(list);
          const res = await call('post', list, raw);
          if (res.status === 201) {
            assertClean(res.body, 'collection', raw);
            const stored = await read(`${list}/${res.body.name}`);
            assertClean(stored, 'collection', raw);
            sameAs(stored, res.body, raw);
            expect(await total(list)).toBe(before + 1);
          } else unchanged(before, await total(list), raw);
        },
      ),
    );
  });

  it('PATCH …/collections/:name', async () => {
    await run(
      fc.asyncProperty(
        bodies(
          {
            name: nameValue,
            description,
            tags,
            metadata,
            datasetId: fc.oneof(fc.constant(null), fc.constant(datasetId), fc.uuid()),
          },
          [],
        ),
        async (raw) => {
          const path = () => `${projectPath()}/collections/${collectionName}`;
          const before = await read(path());
          const res = await call('patch', path(), raw);
          if (res.status === 200) {
            collectionName = res.body.name as string;
            assertClean(res.body, 'collection', raw);
            const stored = await read(path());
            assertClean(stored, 'collection', raw);
            sameAs(stored, res.body, raw);
          } else unchanged(before, await read(path()), raw);
        },
      ),
    );
  });

  it('POST …/collections/:name/members', async () => {
    await run(
      fc.asyncProperty(bodies({ add: nodeIds }, ['add']), async (raw) => {
        const path = `${projectPath()}/collections/${collectionName}`;
        const before = await read(path);
        const res = await call('post', `${path}/members`, raw);
        const after = await read(path);
        if (res.status === 200) {
          assertClean(after, 'collection', raw);
          if (res.body.total !== after.memberCount)
            throw new Error(`total ${res.body.total} ≠ ${after.memberCount}: ${raw}`);
        } else unchanged(before, after, raw);
      }),
    );
  });

  it('POST …/trash/:id/restore', async () => {
    await run(
      fc.asyncProperty(
        fc.oneof({ weight: 4, arbitrary: bodies({ name: nameValue }, []) }, { weight: 1, arbitrary: fc.constant('') }),
        async (raw) => {
          const trash = `${projectPath()}/trash`;
          const before = await read(`${trash}?pageSize=200`);
          const res = await call('post', `${trash}/${trashId}/restore`, raw === '' ? undefined : raw);
          if (res.status === 200) {
            assertClean(res.body, 'collection', raw);
            const stored = await read(`${projectPath()}/collections/${res.body.name}`);
            assertClean(stored, 'collection', raw);
            sameAs(stored, res.body, raw);
            // Back into the trash for the next run.
            expect((await call('delete', `${projectPath()}/collections/${res.body.name}`)).status).toBe(200);
          } else unchanged(before, await read(`${trash}?pageSize=200`), raw);
        },
      ),
    );
  });
});
