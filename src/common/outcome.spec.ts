import { BadRequestException } from '@nestjs/common';
import { ConflictError, ForbiddenError, NotFoundError, PreconditionFailedError } from './errors.js';
import { decide, decode, NotModified, settle, type Found, type Place } from './outcome.js';

/** The decision every service makes of its statement's row: 404 in path order, 403, 412, then the body's own refusals. */
describe('decode and decide', () => {
  const collection: Place = { slug: 'acme', projectSlug: 'robotics', kind: 'Collection', name: 'clips' };
  const row = (over: Partial<Found & { taken?: boolean }> = {}): Found & { taken?: boolean } => ({
    role: 'writer',
    project_found: true,
    target_found: true,
    body: '{"ok":true}',
    ...over,
  });

  it('answers the body when everything was found and allowed', () => {
    expect(decide(decode(row(), { needs: 'writer' }), collection)).toBe('{"ok":true}');
  });

  it('404s come first, in path order: namespace, project, then the named row', () => {
    const all = row({ role: null, project_found: false, target_found: false });
    expect(() => decide(decode(all), collection)).toThrow(new NotFoundError("Namespace 'acme' not found"));
    expect(() => decide(decode({ ...all, role: 'owner' }), collection)).toThrow(
      new NotFoundError("Project 'robotics' not found in namespace 'acme'"),
    );
    expect(() => decide(decode({ ...all, role: 'owner', project_found: true }), collection)).toThrow(
      new NotFoundError("Collection 'clips' not found in project 'acme/robotics'"),
    );
  });

  it('a role that is not one of the four is no membership at all (404, not 403)', () => {
    expect(decode(row({ role: 'superuser' }), { needs: 'reader' })).toEqual({ kind: 'notFound', what: 'namespace' });
  });

  it('something missing deeper in the path is a 404 before the role is checked', () => {
    const missing = () => new NotFoundError("Version '9' not found");
    expect(decode(row({ role: 'reader' }), { needs: 'admin', missing })).toEqual({ kind: 'refused', error: missing() });
  });

  it('403 for a role below what the route needs, naming both', () => {
    expect(() => settle(row({ role: 'reader' }), collection, { needs: 'writer' })).toThrow(
      new ForbiddenError("Your role in namespace 'acme' is 'reader'; this needs 'writer' or above"),
    );
    expect(decode(row({ role: 'owner' }), { needs: 'admin' }).kind).toBe('ok');
  });

  it('412 when the statement reports a stale If-Match, before the body is looked at', () => {
    expect(() => settle(row({ stale: true, body: null }), collection, { needs: 'writer' })).toThrow(
      new PreconditionFailedError(
        "Collection 'clips' in project 'acme/robotics' has changed since the If-Match tag was read; nothing was changed",
      ),
    );
  });

  it('a change that did not happen: stale under If-Match, gone without it', () => {
    expect(decode(row({ body: null }), { ifMatch: ['"a"'] })).toEqual({ kind: 'stale', what: undefined });
    expect(decode(row({ body: null }), { ifMatch: null })).toEqual({ kind: 'notFound', what: 'target' });
    // A statement that says `stale: false` itself has decided: no If-Match inference.
    expect(decode(row({ body: null, stale: false }), { ifMatch: ['"a"'] })).toEqual({
      kind: 'notFound',
      what: 'target',
    });
  });

  it('refusals of the body come after 412 and before the body', () => {
    const taken = new ConflictError('taken');
    const refuse = (r: { taken?: boolean }) => (r.taken ? taken : null);
    expect(() => settle(row({ taken: true }), collection, { refuse })).toThrow(taken);
    expect(() => settle(row({ taken: true, stale: true }), collection, { refuse })).toThrow(PreconditionFailedError);
    const bad = new BadRequestException(['too many']);
    expect(() => settle(row(), collection, { refuse: () => bad })).toThrow(bad);
  });

  it('304 is an answer, not an error; a change can never answer it', () => {
    const outcome = decode(row({ not_modified: true, etag: '"e"', body: null }));
    expect(decide(outcome, collection)).toEqual(new NotModified('"e"'));
    expect(() => settle(row({ not_modified: true, etag: '"e"' }), collection)).toThrow('a change cannot answer 304');
  });

  it('names a namespace or a project when the path ends there', () => {
    expect(() => settle(row({ body: null, stale: true }), { slug: 'acme' })).toThrow(
      "Namespace 'acme' has changed since the If-Match tag was read; nothing was changed",
    );
    expect(() => settle(row({ project_found: false }), { slug: 'acme', projectSlug: 'p' })).toThrow(
      "Project 'p' not found in namespace 'acme'",
    );
  });
});
