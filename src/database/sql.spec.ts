import {
  and,
  col,
  etag,
  ident,
  ifMatchHolds,
  ifMatchUntagged,
  int,
  jsonObject,
  pageBody,
  pageWindow,
  patchAssignments,
  sql,
  tagMatches,
} from './sql.js';
import { inProject, listed, projectScope, roleAllows, targetScope, lockedNamespaceScope } from './scope.js';
import { collectionJson, memberRows, LIVE } from './fragments.js';

/** The fragments statements are built from: each binds its values where they are used, numbered in order. */
describe('sql fragments', () => {
  it('binds values where they are used and numbers them by position, nested fragments included', () => {
    const inner = sql`n.slug = ${'acme'}::text`;
    const statement = sql`SELECT 1 FROM namespace n WHERE ${inner} AND n.id = ${'x'}::uuid`;
    expect(statement.text).toBe('SELECT 1 FROM namespace n WHERE n.slug = $1::text AND n.id = $2::uuid');
    expect(statement.values).toEqual(['acme', 'x']);
  });

  it('takes identifiers and integers only from code, never from text that could carry SQL', () => {
    expect(ident('page').text).toBe('page');
    expect(() => ident('p; DROP TABLE x')).toThrow('not an identifier');
    expect(col('c', 'member_count').text).toBe('c.member_count');
    expect(() => col('c', 'x y')).toThrow();
    expect(int(100).text).toBe('100');
    expect(() => int(1.5)).toThrow();
  });

  it('jsonObject keeps the keys in order and refuses keys that are not plain names', () => {
    expect(jsonObject({ a: sql`1`, bC: sql`${2}::int` }).text).toBe("json_build_object('a', 1, 'bC', $1::int)");
    expect(() => jsonObject({ "a', 1); --": sql`1` })).toThrow('not a JSON key');
  });

  it('a page window computes its offset in bigint (any page the API accepts is safe)', () => {
    const window = pageWindow({ page: 1_000_000_000, pageSize: 200 });
    expect(window.text).toBe('LIMIT $1::int OFFSET ($2::bigint - 1) * $3::int');
    expect(window.values).toEqual([200, 1_000_000_000, 200]);
    expect(pageBody('items', sql`'[]'`, sql`0`, { page: 2, pageSize: 50 }).values).toEqual([2, 50, 50, 50]);
  });

  it('a PATCH sets only the columns its body holds, from one jsonb value', () => {
    const set = patchAssignments('d', { name: 'x' }, ['name', 'tags']);
    expect(set.text).toContain("name = CASE WHEN $1::jsonb ? 'name' THEN $2::jsonb->>'name' ELSE d.name END");
    expect(set.values.every((v) => v === '{"name":"x"}')).toBe(true);
  });

  it('If-Match with no tags holds; with tags it compares, * matching any', () => {
    expect(ifMatchHolds(sql`t.etag`, null).text).toBe('true');
    expect(ifMatchHolds(sql`t.etag`, ['"a"']).text).toBe(tagMatches(sql`t.etag`, ['"a"']).text);
    expect(tagMatches(sql`t.etag`, ['*']).text).toBe("(t.etag = ANY($1::text[]) OR '*' = ANY($2::text[]))");
    expect(etag(sql`a`, sql`b`).text).toBe(`('"' || md5(concat_ws(':', a, b)) || '"')`);
  });

  it('If-Match on a target without an ETag holds without tags, else only as * on a target that exists', () => {
    expect(ifMatchUntagged(sql`EXISTS (SELECT 1 FROM cur)`, null).text).toBe('true');
    const holds = ifMatchUntagged(sql`EXISTS (SELECT 1 FROM cur)`, ['"a"']);
    expect([holds.text, holds.values]).toEqual([`('*' = ANY($1::text[]) AND EXISTS (SELECT 1 FROM cur))`, [['"a"']]]);
  });

  it('and() of nothing is true, of some the AND of them', () => {
    expect(and(null, false, undefined).text).toBe('true');
    expect(and(sql`a`, null, sql`b`).text).toBe('a AND b');
  });
});

describe('scopes', () => {
  const at = { userId: 'alice', slug: 'acme', projectSlug: 'robotics', name: 'clips' };

  it('a project scope defines ns and pr and reports role and project_found', () => {
    const scope = projectScope(at);
    expect(Object.keys(scope.ctes)).toEqual(['ns', 'pr']);
    expect(scope.with.text).toMatch(/^ns AS \(.*\),\s+pr AS \(/s);
    expect(scope.with.values).toEqual(['alice', 'acme', 'robotics']);
    expect(scope.found.text).toBe('(SELECT role FROM ns) AS role, EXISTS (SELECT 1 FROM pr) AS project_found');
  });

  it('a target scope adds t, locked as asked', () => {
    expect(targetScope(at, 'collection', 'share').with.text).toContain('FOR SHARE OF x');
    expect(targetScope(at, 'dataset').with.text).toContain('FROM dataset x');
    expect(targetScope(at, 'dataset').found.text).toContain('EXISTS (SELECT 1 FROM t) AS target_found');
  });

  it('a role check reads the role as locked when the scope locked the namespace', () => {
    expect(roleAllows(projectScope(at), 'writer').text).toBe('(SELECT role FROM ns) = ANY($1::text[])');
    expect(roleAllows(projectScope(at), 'writer').values).toEqual([['writer', 'admin', 'owner']]);
    expect(roleAllows(lockedNamespaceScope(at), 'admin').text).toBe('(SELECT role FROM me) = ANY($1::text[])');
  });

  it('list predicates state what only lists state, so lookups by key cannot take a list index', () => {
    expect(listed('c').text).toBe('c.deleted_at IS NULL AND c.version >= 1');
    expect(inProject(projectScope(at), 'd').text).toBe(
      'd.namespace_id = (SELECT namespace_id FROM pr) AND d.project_id = (SELECT id FROM pr)',
    );
  });

  it('member walks state position >= 1 (the position index), and a frozen walk reads live and history rows merged', () => {
    expect(memberRows('c', LIVE, null, int(10)).text).toContain('AND m.position >= 1 ORDER BY m.position LIMIT 10');
    const frozen = memberRows(
      'fc',
      { kind: 'frozen', maxPosition: sql`fc.max_position`, gen: sql`fc.gen` },
      null,
      null,
    ).text;
    expect(frozen).toContain('FROM collection_member m');
    expect(frozen).toContain('FROM member_history m');
    expect(frozen).toContain('m.removed_gen > fc.gen');
  });

  it('a collection object leaves members out, empties them, or embeds the first n', () => {
    expect(collectionJson('c', { none: true }).text).not.toContain("'members'");
    expect(collectionJson('c', { empty: true }).text).toContain("'members', json_build_array()");
    expect(collectionJson('c', { first: 100 }).text).toContain('LIMIT 100');
  });
});
