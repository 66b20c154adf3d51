import { TestApp, uid, type Json } from './harness.js';

/*
 * ETags (API.md, Safety for clients → ETags): GET of one namespace, project, dataset or collection
 * answers with a strong ETag that changes whenever anything in the answer changes; If-None-Match
 * with the current tag → 304 without a body; PATCH, DELETE, member add/remove and link/unlink
 * take If-Match, and a tag that is not current → 412 with nothing changed.
 */

const user = (): string => `u-${uid()}`;
const STRONG = /^"[0-9a-f]{32}"$/;

describe('ETags', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    await t.close();
  });

  /** The current ETag of a GET, checking it is a strong tag and that If-None-Match with it is 304. */
  async function tagOf(path: string, as: string): Promise<string> {
    const res = await t.exchange('get', path, { as });
    expect(res.status).toBe(200);
    const tag = res.headers.etag;
    expect(tag).toMatch(STRONG);
    const again = await t.exchange('get', path, { as, headers: { 'If-None-Match': tag } });
    expect({ status: again.status, text: again.body, etag: again.headers.etag }).toEqual({
      status: 304,
      text: {},
      etag: tag,
    });
    return tag;
  }

  /** After a change the answer shows: a new tag, and the old one gets the whole answer again. */
  async function changed(path: string, as: string, before: string): Promise<string> {
    const after = await tagOf(path, as);
    expect(after).not.toBe(before);
    const stale = await t.exchange('get', path, { as, headers: { 'If-None-Match': before } });
    expect(stale.status).toBe(200);
    expect(stale.headers.etag).toBe(after);
    return after;
  }

  async function setup() {
    const owner = user();
    const slug = await t.namespace(owner);
    const project = await t.project(slug, owner);
    expect((await t.post(`${project}/datasets`, owner, { name: 'ds' })).status).toBe(201);
    expect((await t.post(`${project}/collections`, owner, { name: 'c', members: ['a', 'b'] })).status).toBe(201);
    expect((await t.post(`${project}/datasets/ds/collections`, owner, { add: ['c'] })).status).toBe(200);
    return { owner, slug, project, ns: `/namespaces/${slug}` };
  }

  it('a collection: members added or removed, a PATCH, a move between datasets each change the tag', async () => {
    const { owner, project } = await setup();
    const path = `${project}/collections/c`;
    let tag = await tagOf(path, owner);
    expect((await t.post(`${path}/members`, owner, { add: ['x'] })).status).toBe(200);
    tag = await changed(path, owner, tag);
    // Adding only ids already present changes nothing in the answer: the tag stays.
    expect((await t.post(`${path}/members`, owner, { add: ['x', 'a'] })).body).toEqual({ added: 0, total: 3 });
    expect(await tagOf(path, owner)).toBe(tag);
    expect((await t.delete(`${path}/members`, owner, { remove: ['a'] })).status).toBe(200);
    tag = await changed(path, owner, tag);
    expect((await t.patch(path, owner, { description: 'new' })).status).toBe(200);
    tag = await changed(path, owner, tag);
    expect((await t.patch(path, owner, { datasetId: null })).status).toBe(200);
    tag = await changed(path, owner, tag);
    // members=false is another answer of the same version: the same tag.
    const light = await t.exchange('get', `${path}?members=false`, { as: owner, headers: { 'If-None-Match': tag } });
    expect(light.status).toBe(304);
  });

  it('a dataset: its own PATCH, and any change of its collections or their members, change the tag', async () => {
    const { owner, project } = await setup();
    const path = `${project}/datasets/ds`;
    let tag = await tagOf(path, owner);
    expect((await t.post(`${project}/collections/c/members`, owner, { add: ['new-id'] })).status).toBe(200);
    tag = await changed(path, owner, tag);
    expect((await t.patch(`${project}/collections/c`, owner, { name: 'c2' })).status).toBe(200);
    tag = await changed(path, owner, tag);
    expect((await t.patch(path, owner, { tags: ['x'] })).status).toBe(200);
    tag = await changed(path, owner, tag);
    expect((await t.post(`${project}/collections`, owner, { name: 'd' })).status).toBe(201);
    expect(await tagOf(path, owner)).toBe(tag); // a standalone collection is not in the answer
    expect((await t.post(`${path}/collections`, owner, { add: ['d'] })).status).toBe(200);
    tag = await changed(path, owner, tag);
    expect((await t.delete(`${path}/collections`, owner, { remove: ['d'] })).status).toBe(200);
    tag = await changed(path, owner, tag);
    expect((await t.delete(`${project}/collections/c2`, owner)).status).toBe(200);
    await changed(path, owner, tag);
  });

  it("a project and a namespace: their counts, their fields and the caller's role are in the tag", async () => {
    const { owner, project, ns } = await setup();
    let projectTag = await tagOf(project, owner);
    expect((await t.post(`${project}/datasets`, owner, { name: 'more' })).status).toBe(201);
    projectTag = await changed(project, owner, projectTag);
    expect((await t.post(`${project}/collections`, owner, { name: 'more' })).status).toBe(201);
    projectTag = await changed(project, owner, projectTag);
    expect((await t.patch(project, owner, { description: 'x' })).status).toBe(200);
    await changed(project, owner, projectTag);

    let nsTag = await tagOf(ns, owner);
    expect((await t.post(`${ns}/projects`, owner, { name: `p-${uid()}` })).status).toBe(201);
    nsTag = await changed(ns, owner, nsTag);
    expect((await t.patch(ns, owner, { description: 'y' })).status).toBe(200);
    nsTag = await changed(ns, owner, nsTag);
    // Another member sees another answer (their role): another tag; a change of their role changes it.
    const reader = user();
    expect((await t.put(`${ns}/members/${reader}`, owner, { role: 'reader' })).status).toBe(200);
    const readerTag = await tagOf(ns, reader);
    expect(readerTag).not.toBe(nsTag);
    expect((await t.put(`${ns}/members/${reader}`, owner, { role: 'writer' })).status).toBe(200);
    await changed(ns, reader, readerTag);
  });

  it('If-None-Match: *, weak tags and lists match; a malformed one is 400', async () => {
    const { owner, project } = await setup();
    const path = `${project}/collections/c`;
    const tag = await tagOf(path, owner);
    for (const header of ['*', `W/${tag}`, `"nope", ${tag}`]) {
      expect((await t.exchange('get', path, { as: owner, headers: { 'If-None-Match': header } })).status).toBe(304);
    }
    expect((await t.exchange('get', path, { as: owner, headers: { 'If-None-Match': '"nope"' } })).status).toBe(200);
    const bad = await t.exchange('get', path, { as: owner, headers: { 'If-None-Match': 'not-a-tag' } });
    expect({ status: bad.status, body: bad.body }).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: ['If-None-Match must hold entity tags such as "…" (from an ETag header), or *'],
      },
    });
  });

  it('If-Match with a stale tag → 412 and nothing changed, on every write route that takes it', async () => {
    const { owner, project, ns } = await setup();
    const stale = '"00000000000000000000000000000000"';
    const collection = `${project}/collections/c`;
    const dataset = `${project}/datasets/ds`;
    const cases: [string, 'patch' | 'delete' | 'post', string, unknown, string][] = [
      ['namespace PATCH', 'patch', ns, { description: 'z' }, `Namespace '${ns.split('/')[2]}'`],
      ['namespace DELETE', 'delete', ns, undefined, `Namespace '${ns.split('/')[2]}'`],
      ['project PATCH', 'patch', project, { description: 'z' }, 'Project'],
      ['project DELETE', 'delete', project, undefined, 'Project'],
      ['dataset PATCH', 'patch', dataset, { description: 'z' }, "Dataset 'ds'"],
      ['dataset DELETE', 'delete', dataset, undefined, "Dataset 'ds'"],
      ['dataset link', 'post', `${dataset}/collections`, { add: ['c'] }, "Dataset 'ds'"],
      ['dataset unlink', 'delete', `${dataset}/collections`, { remove: ['c'] }, "Dataset 'ds'"],
      ['collection PATCH', 'patch', collection, { description: 'z' }, "Collection 'c'"],
      ['collection DELETE', 'delete', collection, undefined, "Collection 'c'"],
      ['member add', 'post', `${collection}/members`, { add: ['zz'] }, "Collection 'c'"],
      ['member remove', 'delete', `${collection}/members`, { remove: ['a'] }, "Collection 'c'"],
    ];
    const tags = async () => ({
      ns: await tagOf(ns, owner),
      project: await tagOf(project, owner),
      dataset: await tagOf(dataset, owner),
      collection: await tagOf(collection, owner),
    });
    const before = await tags();
    for (const [what, method, path, body, thing] of cases) {
      const res = await t.exchange(method, path, { as: owner, body, headers: { 'If-Match': stale } });
      expect({ what, status: res.status, error: res.body.error }).toEqual({
        what,
        status: 412,
        error: 'Precondition Failed',
      });
      expect(res.body.message).toMatch(
        new RegExp(`^${thing}.* has changed since the If-Match tag was read; nothing was changed$`),
      );
    }
    expect(await tags()).toEqual(before);
  });

  it('If-Match with the current tag (or *) changes, and a PATCH answers the new tag', async () => {
    const { owner, project } = await setup();
    const path = `${project}/collections/c`;
    const tag = await tagOf(path, owner);
    const res = await t.exchange('patch', path, {
      as: owner,
      body: { description: 'ok' },
      headers: { 'If-Match': tag },
    });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toMatch(STRONG);
    expect(res.headers.etag).not.toBe(tag);
    expect(await tagOf(path, owner)).toBe(res.headers.etag);
    // The old tag no longer holds; * always does.
    const again = await t.exchange('post', `${path}/members`, {
      as: owner,
      body: { add: ['q'] },
      headers: { 'If-Match': tag },
    });
    expect(again.status).toBe(412);
    const any = await t.exchange('post', `${path}/members`, {
      as: owner,
      body: { add: ['q'] },
      headers: { 'If-Match': '*' },
    });
    expect({ status: any.status, body: any.body }).toEqual({ status: 200, body: { added: 1, total: 3 } });
    const datasetTag = await tagOf(`${project}/datasets/ds`, owner);
    const removed = await t.exchange('delete', `${project}/datasets/ds`, {
      as: owner,
      headers: { 'If-Match': datasetTag },
    });
    expect(removed.status).toBe(200);
  });

  it('two PATCHes with the same If-Match: exactly one wins, the other is 412', async () => {
    const { owner, project } = await setup();
    const path = `${project}/collections/c`;
    const tag = await tagOf(path, owner);
    const results = await Promise.all(
      ['one', 'two'].map((description) =>
        t.exchange('patch', path, { as: owner, body: { description }, headers: { 'If-Match': tag }, statements: null }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = results.find((r) => r.status === 200)!.body as Json;
    expect((await t.get(path, owner)).body.description).toBe(winner.description);
  });
});
