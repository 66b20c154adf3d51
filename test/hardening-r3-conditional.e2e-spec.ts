import { TestApp, answer, uid } from './harness.js';
import { API_CSP, DOCS_CSP } from '#src/http/security-headers.js';

/*
 * Issue 21 row 11b: If-Match on the changes whose target has no ETag of its own (a namespace
 * membership, a trash item), as RFC 9110 §13.1.1 reads it: `*` matches a target that exists (so
 * on PUT of a member: change, never add), a list of tags matches nothing; 412 and nothing changed
 * otherwise, after 404 and 403. Row 11d: security headers on every answer, Swagger UI's own CSP.
 */

const user = (): string => `u-${uid()}`;
const STALE = ['"0f3c"'];

describe('Issue 21 row 11b: If-Match on members and trash items', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  const stale = (what: string) =>
    answer(412, `${what} has changed since the If-Match tag was read; nothing was changed`);
  const ifMatch = (value: string) => ({ 'If-Match': value });
  const putMember = (slug: string, as: string, member: string, role: string, tag: string) =>
    t.send('put', `/namespaces/${slug}/members/${member}`, { as, body: { role }, headers: ifMatch(tag) });
  const deleteMember = (slug: string, as: string, member: string, tag: string) =>
    t.send('delete', `/namespaces/${slug}/members/${member}`, { as, headers: ifMatch(tag) });
  const members = async (slug: string, as: string) =>
    Object.fromEntries(
      ((await t.get(`/namespaces/${slug}/members`, as)).body.members as { userId: string; role: string }[]).map((m) => [
        m.userId,
        m.role,
      ]),
    );

  it('PUT member: a tag list → 412 and the role unchanged; * changes an existing member (200)', async () => {
    const [owner, bob] = [user(), user()];
    const slug = await t.namespace(owner, { [bob]: 'reader' });
    for (const tag of ['"0f3c"', 'W/"0f3c"', '"a", "b"']) {
      const got = await putMember(slug, owner, bob, 'writer', tag);
      expect({ status: got.status, body: got.body }).toEqual(stale(`Member '${bob}' in namespace '${slug}'`));
    }
    expect(await members(slug, owner)).toEqual({ [owner]: 'owner', [bob]: 'reader' });
    const ok = await putMember(slug, owner, bob, 'writer', '*');
    expect({ status: ok.status, body: ok.body }).toEqual({
      status: 200,
      body: { userId: bob, role: 'writer', createdAt: expect.any(String) },
    });
    expect(await members(slug, owner)).toEqual({ [owner]: 'owner', [bob]: 'writer' });
  });

  it('PUT member with If-Match: * never adds a member: 412, nobody added; without If-Match it adds', async () => {
    const [owner, carol] = [user(), user()];
    const slug = await t.namespace(owner);
    for (const tag of ['*', '"0f3c"']) {
      const got = await putMember(slug, owner, carol, 'reader', tag);
      expect({ status: got.status, body: got.body }).toEqual(stale(`Member '${carol}' in namespace '${slug}'`));
    }
    expect(await members(slug, owner)).toEqual({ [owner]: 'owner' });
    const added = await t.send('put', `/namespaces/${slug}/members/${carol}`, { as: owner, body: { role: 'reader' } });
    expect(added.status).toBe(200);
    expect(await members(slug, owner)).toEqual({ [owner]: 'owner', [carol]: 'reader' });
  });

  it('DELETE member: a tag list → 412 and the member still there; * removes it (200)', async () => {
    const [owner, bob] = [user(), user()];
    const slug = await t.namespace(owner, { [bob]: 'writer' });
    const got = await deleteMember(slug, owner, bob, '"0f3c", W/"1"');
    expect({ status: got.status, body: got.body }).toEqual(stale(`Member '${bob}' in namespace '${slug}'`));
    expect(await members(slug, owner)).toEqual({ [owner]: 'owner', [bob]: 'writer' });
    const gone = await deleteMember(slug, owner, bob, '*');
    expect({ status: gone.status, body: gone.body }).toEqual({ status: 200, body: { success: true } });
    expect(await members(slug, owner)).toEqual({ [owner]: 'owner' });
  });

  it('members: 404 (namespace, member) and 403 (role, owner rule) come before 412', async () => {
    const [owner, admin, reader, other] = [user(), user(), user(), user()];
    const slug = await t.namespace(owner, { [admin]: 'admin', [reader]: 'reader' });
    const unknown = answer(404, `Namespace 'ns-nothere' not found`);
    for (const got of [
      await putMember('ns-nothere', owner, reader, 'writer', STALE[0]),
      await deleteMember('ns-nothere', owner, reader, STALE[0]),
    ]) {
      expect({ status: got.status, body: got.body }).toEqual(unknown);
    }
    // A stranger to the namespace finds no namespace.
    const hidden = await putMember(slug, other, reader, 'writer', STALE[0]);
    expect({ status: hidden.status, body: hidden.body }).toEqual(answer(404, `Namespace '${slug}' not found`));
    const noMember = await deleteMember(slug, owner, other, '*');
    expect({ status: noMember.status, body: noMember.body }).toEqual(
      answer(404, `Member '${other}' not found in namespace '${slug}'`),
    );
    const role = answer(403, `Your role in namespace '${slug}' is 'reader'; this needs 'admin' or above`);
    for (const got of [
      await putMember(slug, reader, admin, 'writer', STALE[0]),
      await putMember(slug, reader, other, 'writer', '*'),
      await deleteMember(slug, reader, admin, STALE[0]),
    ]) {
      expect({ status: got.status, body: got.body }).toEqual(role);
    }
    const ownerRule = answer(403, `Only an owner of namespace '${slug}' may grant, change or revoke the owner role`);
    for (const got of [
      await putMember(slug, admin, owner, 'writer', STALE[0]),
      await putMember(slug, admin, reader, 'owner', '*'),
      await putMember(slug, admin, other, 'owner', '*'),
      await deleteMember(slug, admin, owner, STALE[0]),
    ]) {
      expect({ status: got.status, body: got.body }).toEqual(ownerRule);
    }
    expect(await members(slug, owner)).toEqual({ [owner]: 'owner', [admin]: 'admin', [reader]: 'reader' });
  });

  it('members: 412 comes before the last-owner 409 (nothing is tried)', async () => {
    const owner = user();
    const slug = await t.namespace(owner);
    const got = await deleteMember(slug, owner, owner, STALE[0]);
    expect({ status: got.status, body: got.body }).toEqual(stale(`Member '${owner}' in namespace '${slug}'`));
    const last = await deleteMember(slug, owner, owner, '*');
    expect(last.status).toBe(409);
  });

  describe('DELETE …/trash/:id', () => {
    const setup = async () => {
      const [owner, admin, writer] = [user(), user(), user()];
      const slug = await t.namespace(owner, { [admin]: 'admin', [writer]: 'writer' });
      const project = await t.project(slug, owner);
      const created = await t.post(`${project}/collections`, owner, { name: 'c', members: ['m1'] });
      expect(created.status).toBe(201);
      expect((await t.delete(`${project}/collections/c`, owner)).status).toBe(200);
      return { owner, admin, writer, slug, project, id: created.body.id as string };
    };
    const trashIds = async (project: string, as: string) =>
      ((await t.get(`${project}/trash`, as)).body.items as { id: string }[]).map((item) => item.id);
    const purge = (path: string, as: string, tag: string) => t.send('delete', path, { as, headers: ifMatch(tag) });

    it('a tag list → 412 and the item still in the trash (restorable); * purges it (200)', async () => {
      const { admin, project, slug, id } = await setup();
      const projectSlug = project.split('/').at(-1)!;
      for (const tag of ['"0f3c"', 'W/"x", "y"']) {
        const got = await purge(`${project}/trash/${id}`, admin, tag);
        expect({ status: got.status, body: got.body }).toEqual(
          stale(`Item '${id}' in the trash of project '${slug}/${projectSlug}'`),
        );
      }
      expect(await trashIds(project, admin)).toEqual([id]);
      const done = await purge(`${project}/trash/${id}`, admin, '*');
      expect({ status: done.status, body: done.body }).toEqual({ status: 200, body: { success: true } });
      expect(await trashIds(project, admin)).toEqual([]);
    });

    it('404 (namespace, project, id) and 403 (role) come before 412', async () => {
      const { owner, writer, project, slug, id } = await setup();
      const projectSlug = project.split('/').at(-1)!;
      const missing = '5d1c8f0e-3b7a-4f2e-9c61-8a4d2b7e0f13';
      const cases: [string, string, ReturnType<typeof answer>][] = [
        [
          `/namespaces/ns-nothere/projects/${projectSlug}/trash/${id}`,
          owner,
          answer(404, `Namespace 'ns-nothere' not found`),
        ],
        [
          `/namespaces/${slug}/projects/p-nothere/trash/${id}`,
          owner,
          answer(404, `Project 'p-nothere' not found in namespace '${slug}'`),
        ],
        [
          `${project}/trash/${missing}`,
          owner,
          answer(404, `Nothing with id '${missing}' in the trash of project '${slug}/${projectSlug}'`),
        ],
        // The id is part of the path: 404 even for a role that may not purge.
        [
          `${project}/trash/${missing}`,
          writer,
          answer(404, `Nothing with id '${missing}' in the trash of project '${slug}/${projectSlug}'`),
        ],
        [
          `${project}/trash/${id}`,
          writer,
          answer(403, `Your role in namespace '${slug}' is 'writer'; this needs 'admin' or above`),
        ],
      ];
      for (const [path, as, expected] of cases) {
        for (const tag of [STALE[0], '*']) {
          const got = await purge(path, as, tag);
          expect({ path, tag, status: got.status, body: got.body }).toEqual({ path, tag, ...expected });
        }
      }
      expect(await trashIds(project, owner)).toEqual([id]);
    });
  });
});

describe('Issue 21 row 11d: security headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  const security = (csp: string) => ({
    'content-security-policy': csp.replace(/; /g, ';'),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': undefined,
  });
  const pick = (headers: Record<string, string>) =>
    Object.fromEntries(
      Object.keys(security('')).map((name) => [name, headers[name]?.replace(/; /g, ';') ?? headers[name]]),
    );

  it('JSON answers (success, 400 before routing, 401, 404, 412) carry the strict policy', async () => {
    const owner = user();
    const slug = await t.namespace(owner);
    const answers = [
      await t.exchange('get', `/namespaces/${slug}`, { as: owner }),
      await t.exchange('get', `/namespaces/${slug}`, { as: null, statements: 0 }),
      await t.exchange('get', '/namespaces/ns-nothere', { as: owner }),
      await t.exchange('delete', `/namespaces/${slug}/members/${owner}`, { as: owner, headers: { 'If-Match': '"x"' } }),
      await t.exchange('get', '/health/live', { statements: 0 }),
      // Refused by the router, before any hook runs.
      await t.exchange('get', '/namespaces/%E0%A4%A', { as: owner }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 401, 404, 412, 200, 400]);
    for (const a of answers) expect(pick(a.headers)).toEqual(security("default-src 'none'; frame-ancestors 'none'"));
    expect(API_CSP).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it("Swagger UI's page and assets carry its own policy: its scripts, styles and data: images, nothing else", async () => {
    const page = await t.exchange('get', '/docs', { statements: 0, text: true });
    expect([page.status, page.headers['content-type']]).toEqual([200, 'text/html']);
    // The page runs no inline script (which script-src 'self' would block): its init script is a file.
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(pick(page.headers)).toEqual(
      security(
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
          "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      ),
    );
    expect(DOCS_CSP.replace(/; /g, ';')).toBe(page.headers['content-security-policy']);
    const init = await t.exchange('get', '/docs/swagger-ui-init.js', { statements: 0, text: true });
    expect([init.status, init.headers['x-content-type-options']]).toEqual([200, 'nosniff']);
    const json = await t.exchange('get', '/docs-json', { statements: 0 });
    expect(pick(json.headers)).toEqual(security(API_CSP));
  });
});
