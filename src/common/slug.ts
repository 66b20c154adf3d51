/** Namespace and project slugs: lowercase letters, digits and inner hyphens, 1–64 chars. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
export const SLUG_MAX = 64;

/** Dataset and collection names. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Member (node) ids. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A project slug derived from its name: lowercase, every run of other characters becomes one
 * hyphen, trimmed of hyphens, cut to the slug length. Returns null when nothing usable is left.
 */
export function deriveSlug(name: string): string | null {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, SLUG_MAX)
    .replace(/^-+|-+$/g, '');
  return SLUG_PATTERN.test(slug) ? slug : null;
}
