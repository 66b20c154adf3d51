import { deriveSlug, NAME_PATTERN, NODE_ID_PATTERN, SLUG_PATTERN } from './slug.js';

describe('deriveSlug', () => {
  it.each([
    ['Robotics', 'robotics'],
    ['Robotics Lab', 'robotics-lab'],
    ['  Front Camera -- Clips!! ', 'front-camera-clips'],
    ['Épisodes 2026', 'episodes-2026'],
    ['a_b.c', 'a-b-c'],
    ['x'.repeat(80), 'x'.repeat(64)],
    [`${'a'.repeat(63)} b`, 'a'.repeat(63)],
  ])('%j → %j', (name, slug) => {
    expect(deriveSlug(name)).toBe(slug);
    expect(SLUG_PATTERN.test(slug)).toBe(true);
  });

  it.each(['', '---', '!!!', '日本語'])('%j has nothing usable → null', (name) => {
    expect(deriveSlug(name)).toBeNull();
  });
});

describe('patterns', () => {
  it('slugs: lowercase, digits, inner hyphens, ≤ 64', () => {
    expect(SLUG_PATTERN.test('acme-2')).toBe(true);
    expect(SLUG_PATTERN.test('a'.repeat(64))).toBe(true);
    for (const bad of ['Acme', '-acme', 'acme-', 'a'.repeat(65), 'ac_me', ''])
      expect(SLUG_PATTERN.test(bad)).toBe(false);
  });

  it('names: start alphanumeric, then letters, digits, . _ -, ≤ 100', () => {
    expect(NAME_PATTERN.test('training-v2.final_1')).toBe(true);
    expect(NAME_PATTERN.test('a'.repeat(100))).toBe(true);
    for (const bad of ['.hidden', '-x', 'a b', 'a'.repeat(101), '', 'a/b']) expect(NAME_PATTERN.test(bad)).toBe(false);
  });

  it('node ids: letters, digits, . _ : -, 1–128', () => {
    expect(NODE_ID_PATTERN.test('clip:42_a.b-c')).toBe(true);
    expect(NODE_ID_PATTERN.test('x'.repeat(128))).toBe(true);
    for (const bad of ['', 'x'.repeat(129), 'a b', 'a/b']) expect(NODE_ID_PATTERN.test(bad)).toBe(false);
  });
});
