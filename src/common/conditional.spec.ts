import { entityTags } from './conditional.js';

describe('entityTags (RFC 9110 entity-tag lists, issue 21 row 11a)', () => {
  it('keeps commas inside a quoted tag', () => {
    expect(entityTags('"a,b"')).toEqual(['"a,b"']);
    expect(entityTags('"a,b", W/"c" ,*')).toEqual(['"a,b"', 'W/"c"', '*']);
    expect(entityTags(' , "x",,"y" ')).toEqual(['"x"', '"y"']);
    expect(entityTags('""')).toEqual(['""']);
  });

  it('refuses what is not a list of entity tags', () => {
    for (const bad of ['a', '"a', '"a" "b"', '"a"b', 'W/a', '"a"b"', '"a\u0001"', 'w/"a"']) {
      expect([bad, entityTags(bad)]).toEqual([bad, null]);
    }
  });
});
