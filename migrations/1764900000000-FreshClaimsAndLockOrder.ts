import { MigrationInterface, QueryRunner } from 'typeorm';

const EVENTS = ['insert', 'update', 'delete'];

/**
 * Issue 21, rows 5, 7 and 9 (row 9: a caller keeps at most `p_max_keys` live keys, and an
 * answer over 64 KiB is kept without its member lists, `kept_body`).
 *
 * Row 5: an Idempotency-Key's kept answer must be read after its advisory lock is taken. In one
 * plain statement the read used the statement's snapshot, taken before the lock, so a retry that
 * got the lock just after the first request committed saw no kept answer and ran again (a 500 on
 * the key's primary key, or 409 "already exists"). `idempotency_claim` is VOLATILE: each query in
 * it takes a fresh snapshot (READ COMMITTED), so the read after the lock sees every commit before it.
 *
 * Row 7: triggers of one event fire in name order, so the tag counters (`tg_count_dataset_tags_*`)
 * fired before the row counters on the project (`tg_count_datasets_*`): a create locked `tag_count`
 * then the project, while deleting a dataset with collections locks the project first (the
 * detached collections' counters) and `tag_count` after: a deadlock. Renamed so that the project's
 * counters fire first everywhere: project row, then `tag_count`.
 */
export class FreshClaimsAndLockOrder1764900000000 implements MigrationInterface {
  name = 'FreshClaimsAndLockOrder1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION idempotency_claim(p_user text, p_key text, p_kept_for interval, p_max_keys int)
      RETURNS TABLE (claimed boolean, kept json, full boolean)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        answer json;
      BEGIN
        IF NOT pg_try_advisory_xact_lock(hashtextextended(p_user || chr(31) || p_key, 0)) THEN
          RETURN QUERY SELECT false, NULL::json, false;
          RETURN;
        END IF;
        DELETE FROM idempotency_key k WHERE k.user_id = p_user AND k.key = p_key AND k.created_at <= now() - p_kept_for;
        SELECT json_build_object('fingerprint', k.fingerprint, 'status', k.status, 'body', k.body, 'location', k.location)
        INTO answer
        FROM idempotency_key k
        WHERE k.user_id = p_user AND k.key = p_key AND k.created_at > now() - p_kept_for;
        RETURN QUERY SELECT true, answer, answer IS NULL AND (
          SELECT count(*) FROM (
            SELECT 1 FROM idempotency_key k WHERE k.user_id = p_user AND k.created_at > now() - p_kept_for LIMIT p_max_keys
          ) x) >= p_max_keys;
      END $$`);
    // Issue 21 row 9: what a key keeps of an answer over 64 KiB: the object without its member
    // lists (its own, and each embedded collection's); memberCount stays.
    await q.query(`
      CREATE FUNCTION kept_body(body text) RETURNS text
      LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE WHEN octet_length(body) <= 65536 OR left(ltrim(body), 1) <> '{' THEN body ELSE (
          SELECT json_object_agg(e.key, CASE WHEN e.key = 'collections' AND json_typeof(e.value) = 'array' THEN (
                   SELECT coalesce(json_agg((
                     SELECT json_object_agg(f.key, f.value ORDER BY f.n) FROM json_each(c.value) WITH ORDINALITY f(key, value, n)
                     WHERE f.key <> 'members') ORDER BY c.n), '[]'::json)
                   FROM json_array_elements(e.value) WITH ORDINALITY c(value, n))
                 ELSE e.value END ORDER BY e.n)::text
          FROM json_each(body::json) WITH ORDINALITY e(key, value, n)
          WHERE e.key <> 'members') END
      $$`);
    for (const table of ['dataset', 'collection']) {
      for (const event of EVENTS) {
        await q.query(
          `ALTER TRIGGER tg_count_${table}_tags_${event} ON ${table} RENAME TO tg_tag_count_${table}_${event}`,
        );
      }
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['dataset', 'collection']) {
      for (const event of EVENTS) {
        await q.query(
          `ALTER TRIGGER tg_tag_count_${table}_${event} ON ${table} RENAME TO tg_count_${table}_tags_${event}`,
        );
      }
    }
    await q.query(`DROP FUNCTION kept_body(text)`);
    await q.query(`DROP FUNCTION idempotency_claim(text, text, interval, int)`);
  }
}
