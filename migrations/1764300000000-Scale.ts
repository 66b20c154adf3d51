import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reads that cost the same at a million rows as at a thousand (API.md, Scale):
 * - exact totals of unfiltered lists come from counters, kept by statement-level triggers in the
 *   statement that changes the rows (live projects and members per namespace; live datasets,
 *   collections, standalone collections and deleted ones per project; live namespaces per user);
 * - a user's memberships carry their namespace's sort keys, so the user's namespaces are paged
 *   straight from an index on the memberships;
 * - every `sort` has a matching index, `q` a trigram index and `tag` a GIN index, all led by the
 *   tenant key so they serve one namespace or project.
 */
export class Scale1764300000000 implements MigrationInterface {
  name = 'Scale1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gin`);

    // ---- counters --------------------------------------------------------------------------
    await q.query(`
      ALTER TABLE namespace
        ADD COLUMN project_count integer NOT NULL DEFAULT 0,
        ADD COLUMN member_count integer NOT NULL DEFAULT 0`);
    await q.query(`
      ALTER TABLE project
        ADD COLUMN dataset_count integer NOT NULL DEFAULT 0,
        ADD COLUMN collection_count integer NOT NULL DEFAULT 0,
        ADD COLUMN standalone_count integer NOT NULL DEFAULT 0,
        ADD COLUMN dataset_trash_count integer NOT NULL DEFAULT 0,
        ADD COLUMN collection_trash_count integer NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE TABLE member_stats (
        user_id character varying(255) NOT NULL,
        namespace_count integer NOT NULL DEFAULT 0,
        CONSTRAINT pk_member_stats PRIMARY KEY (user_id)
      )`);

    // ---- a membership carries its namespace's sort keys ----------------------------------
    await q.query(`
      ALTER TABLE namespace_member
        ADD COLUMN ns_slug character varying(64),
        ADD COLUMN ns_name character varying(100),
        ADD COLUMN ns_created_at timestamp with time zone,
        ADD COLUMN ns_updated_at timestamp with time zone,
        ADD COLUMN ns_live boolean NOT NULL DEFAULT true`);
    await q.query(`
      UPDATE namespace_member m
      SET ns_slug = n.slug, ns_name = n.name, ns_created_at = n.created_at, ns_updated_at = n.updated_at,
          ns_live = n.deleted_at IS NULL
      FROM namespace n WHERE n.id = m.namespace_id`);
    await q.query(`
      ALTER TABLE namespace_member
        ALTER COLUMN ns_slug SET NOT NULL,
        ALTER COLUMN ns_name SET NOT NULL,
        ALTER COLUMN ns_created_at SET NOT NULL,
        ALTER COLUMN ns_updated_at SET NOT NULL`);
    await q.query(`
      CREATE FUNCTION namespace_member_copy_keys() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        SELECT n.slug, n.name, n.created_at, n.updated_at, n.deleted_at IS NULL
        INTO NEW.ns_slug, NEW.ns_name, NEW.ns_created_at, NEW.ns_updated_at, NEW.ns_live
        FROM namespace n WHERE n.id = NEW.namespace_id;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER tg_namespace_member_copy_keys
      BEFORE INSERT ON namespace_member
      FOR EACH ROW EXECUTE FUNCTION namespace_member_copy_keys()`);
    // A renamed, updated or deleted namespace passes its keys on to its memberships, and a deleted
    // one leaves its members' namespace counts.
    await q.query(`
      CREATE FUNCTION namespace_pass_keys() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE namespace_member
        SET ns_slug = NEW.slug, ns_name = NEW.name, ns_updated_at = NEW.updated_at, ns_live = NEW.deleted_at IS NULL
        WHERE namespace_id = NEW.id;
        IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
          UPDATE member_stats s SET namespace_count = s.namespace_count - 1
          FROM namespace_member m WHERE m.namespace_id = NEW.id AND s.user_id = m.user_id;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tg_namespace_pass_keys
      AFTER UPDATE OF slug, name, updated_at, deleted_at ON namespace
      FOR EACH ROW WHEN (
        OLD.slug IS DISTINCT FROM NEW.slug OR OLD.name IS DISTINCT FROM NEW.name
        OR OLD.updated_at IS DISTINCT FROM NEW.updated_at OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
      EXECUTE FUNCTION namespace_pass_keys()`);

    // ---- counter triggers: one statement-level trigger per event, deltas summed per parent ----
    // (PostgreSQL allows transition tables on single-event triggers only; a plpgsql branch that
    // is not taken is never planned, so one function serves the three events.)
    await q.query(`
      CREATE FUNCTION count_namespace_members() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          UPDATE namespace n SET member_count = n.member_count + d.n
          FROM (SELECT namespace_id, count(*)::int AS n FROM new_rows GROUP BY namespace_id) d WHERE n.id = d.namespace_id;
          INSERT INTO member_stats AS s (user_id, namespace_count)
          SELECT user_id, count(*)::int FROM new_rows WHERE ns_live GROUP BY user_id ORDER BY user_id
          ON CONFLICT ON CONSTRAINT pk_member_stats DO UPDATE SET namespace_count = s.namespace_count + EXCLUDED.namespace_count;
        ELSE
          UPDATE namespace n SET member_count = n.member_count - d.n
          FROM (SELECT namespace_id, count(*)::int AS n FROM old_rows GROUP BY namespace_id) d WHERE n.id = d.namespace_id;
          UPDATE member_stats s SET namespace_count = s.namespace_count - d.n
          FROM (SELECT user_id, count(*)::int AS n FROM old_rows WHERE ns_live GROUP BY user_id) d WHERE s.user_id = d.user_id;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tg_count_namespace_members_insert AFTER INSERT ON namespace_member
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_namespace_members()`);
    await q.query(`
      CREATE TRIGGER tg_count_namespace_members_delete AFTER DELETE ON namespace_member
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_namespace_members()`);

    await this.counterTrigger(q, 'project', 'count_projects', {
      target: 'namespace',
      key: ['namespace_id'],
      join: 't.id = d.namespace_id',
      counters: { project_count: '(deleted_at IS NULL)::int' },
    });
    await this.counterTrigger(q, 'dataset', 'count_datasets', {
      target: 'project',
      key: ['namespace_id', 'project_id'],
      join: 't.namespace_id = d.namespace_id AND t.id = d.project_id',
      counters: { dataset_count: '(deleted_at IS NULL)::int', dataset_trash_count: '(deleted_at IS NOT NULL)::int' },
    });
    await this.counterTrigger(q, 'collection', 'count_collections', {
      target: 'project',
      key: ['namespace_id', 'project_id'],
      join: 't.namespace_id = d.namespace_id AND t.id = d.project_id',
      counters: {
        collection_count: '(deleted_at IS NULL)::int',
        standalone_count: '(deleted_at IS NULL AND dataset_id IS NULL)::int',
        collection_trash_count: '(deleted_at IS NOT NULL)::int',
      },
    });

    // Live datasets and collections per tag and project: the exact total of a list filtered by one
    // tag without counting its (possibly 100,000) matches.
    await q.query(`
      CREATE TABLE tag_count (
        namespace_id uuid NOT NULL,
        project_id uuid NOT NULL,
        kind character varying(10) NOT NULL,
        tag character varying(64) NOT NULL,
        live integer NOT NULL DEFAULT 0,
        CONSTRAINT pk_tag_count PRIMARY KEY (namespace_id, project_id, kind, tag),
        CONSTRAINT ck_tag_count_kind CHECK (kind IN ('dataset', 'collection'))
      )`);
    for (const table of ['dataset', 'collection']) await this.tagCounterTrigger(q, table);

    await q.query(`
      UPDATE namespace n SET
        project_count = (SELECT count(*) FROM project p WHERE p.namespace_id = n.id AND p.deleted_at IS NULL),
        member_count = (SELECT count(*) FROM namespace_member m WHERE m.namespace_id = n.id)`);
    await q.query(`
      UPDATE project p SET
        dataset_count = (SELECT count(*) FROM dataset d
                         WHERE d.namespace_id = p.namespace_id AND d.project_id = p.id AND d.deleted_at IS NULL),
        collection_count = (SELECT count(*) FROM collection c
                            WHERE c.namespace_id = p.namespace_id AND c.project_id = p.id AND c.deleted_at IS NULL),
        standalone_count = (SELECT count(*) FROM collection c
                            WHERE c.namespace_id = p.namespace_id AND c.project_id = p.id AND c.deleted_at IS NULL
                              AND c.dataset_id IS NULL),
        dataset_trash_count = (SELECT count(*) FROM dataset d
                               WHERE d.namespace_id = p.namespace_id AND d.project_id = p.id AND d.deleted_at IS NOT NULL),
        collection_trash_count = (SELECT count(*) FROM collection c
                                  WHERE c.namespace_id = p.namespace_id AND c.project_id = p.id AND c.deleted_at IS NOT NULL)`);
    await q.query(`
      INSERT INTO member_stats (user_id, namespace_count)
      SELECT user_id, count(*) FROM namespace_member WHERE ns_live GROUP BY user_id`);
    for (const table of ['dataset', 'collection']) {
      await q.query(`
        INSERT INTO tag_count (namespace_id, project_id, kind, tag, live)
        SELECT namespace_id, project_id, '${table}', tag, count(*)
        FROM (SELECT DISTINCT namespace_id, project_id, id, unnest(tags) AS tag FROM ${table} WHERE deleted_at IS NULL) x
        GROUP BY namespace_id, project_id, tag`);
    }

    // ---- indexes: every sort, q and tag, led by the tenant key --------------------------------
    // A user's memberships, by each sort of GET /namespaces, and newest first for GET /me.
    await q.query(
      `CREATE INDEX ix_member_user_created ON namespace_member (user_id, ns_created_at, namespace_id) WHERE ns_live`,
    );
    await q.query(
      `CREATE INDEX ix_member_user_updated ON namespace_member (user_id, ns_updated_at, namespace_id) WHERE ns_live`,
    );
    await q.query(
      `CREATE INDEX ix_member_user_name ON namespace_member (user_id, (lower(ns_name) COLLATE "C"), (ns_name COLLATE "C"), namespace_id) WHERE ns_live`,
    );
    await q.query(
      `CREATE INDEX ix_member_user_joined ON namespace_member (user_id, created_at, namespace_id) WHERE ns_live`,
    );
    // GET /auth/me: the caller's oldest owned namespace.
    await q.query(
      `CREATE INDEX ix_member_user_owned ON namespace_member (user_id, ns_created_at, namespace_id) WHERE ns_live AND role = 'owner'`,
    );
    await q.query(`DROP INDEX ix_namespace_member_user`);
    // A namespace's members, newest first.
    await q.query(`CREATE INDEX ix_member_namespace_created ON namespace_member (namespace_id, created_at, user_id)`);
    // q on the user's namespaces matches name or slug.
    await q.query(
      `CREATE INDEX ix_namespace_name_trgm ON namespace USING gin (name gin_trgm_ops) WHERE deleted_at IS NULL`,
    );
    await q.query(
      `CREATE INDEX ix_namespace_slug_trgm ON namespace USING gin (slug gin_trgm_ops) WHERE deleted_at IS NULL`,
    );

    for (const [table, key] of [
      ['project', 'namespace_id'],
      ['dataset', 'namespace_id, project_id'],
      ['collection', 'namespace_id, project_id'],
    ] as const) {
      const live = 'WHERE deleted_at IS NULL';
      await q.query(`CREATE INDEX ix_${table}_created ON ${table} (${key}, created_at, id) ${live}`);
      await q.query(`CREATE INDEX ix_${table}_updated ON ${table} (${key}, updated_at, id) ${live}`);
      await q.query(
        `CREATE INDEX ix_${table}_name ON ${table} (${key}, (lower(name) COLLATE "C"), (name COLLATE "C"), id) ${live}`,
      );
      await q.query(`CREATE INDEX ix_${table}_name_trgm ON ${table} USING gin (${key}, name gin_trgm_ops) ${live}`);
      await q.query(`CREATE INDEX ix_${table}_tags ON ${table} USING gin (${key}, tags) ${live}`);
    }
    // Projects match q on their slug too; standalone collections have their own default order.
    await q.query(
      `CREATE INDEX ix_project_slug_trgm ON project USING gin (namespace_id, slug gin_trgm_ops) WHERE deleted_at IS NULL`,
    );
    await q.query(
      `CREATE INDEX ix_collection_standalone_created ON collection (namespace_id, project_id, created_at, id) WHERE deleted_at IS NULL AND dataset_id IS NULL`,
    );
    // A dataset's collections by name (its list item and its GET).
    await q.query(`DROP INDEX ix_collection_dataset`);
    await q.query(
      `CREATE INDEX ix_collection_dataset ON collection (namespace_id, dataset_id, name) WHERE deleted_at IS NULL AND dataset_id IS NOT NULL`,
    );
  }

  /**
   * Counters of `table`'s rows kept on their parent row (`target`, joined on `key`): each counter
   * is the sum of a per-row 0/1 expression. A statement-level trigger per event adds what the
   * statement's new rows count and takes away what its old rows counted, one UPDATE per parent.
   * PostgreSQL allows transition tables on single-event triggers only, and plans only the
   * plpgsql branch that runs, so one function serves insert, update and delete.
   */
  private async counterTrigger(
    q: QueryRunner,
    table: string,
    fn: string,
    spec: { target: string; key: string[]; join: string; counters: Record<string, string> },
  ): Promise<void> {
    const key = spec.key.join(', ');
    const names = Object.keys(spec.counters);
    const set = names.map((c) => `${c} = t.${c} + d.${c}`).join(', ');
    const changed = names.map((c) => `d.${c} <> 0`).join(' OR ');
    const sums = names.map((c) => `sum(${c})::int AS ${c}`).join(', ');
    const rows = (source: string, sign: string) =>
      `SELECT ${key}, ${names.map((c) => `${sign}${spec.counters[c]} AS ${c}`).join(', ')} FROM ${source}`;
    const update = (rowsSql: string) => `
          UPDATE ${spec.target} t SET ${set}
          FROM (SELECT ${key}, ${sums} FROM (${rowsSql}) x GROUP BY ${key} ORDER BY ${key}) d
          WHERE ${spec.join} AND (${changed});`;
    await q.query(`
      CREATE FUNCTION ${fn}() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN ${update(rows('new_rows', ''))}
        ELSIF TG_OP = 'DELETE' THEN ${update(rows('old_rows', '-'))}
        ELSE ${update(`${rows('new_rows', '')} UNION ALL ${rows('old_rows', '-')}`)}
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tg_${fn}_insert AFTER INSERT ON ${table}
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
    await q.query(`
      CREATE TRIGGER tg_${fn}_update AFTER UPDATE ON ${table}
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
    await q.query(`
      CREATE TRIGGER tg_${fn}_delete AFTER DELETE ON ${table}
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
  }

  /**
   * The statement-level triggers that keep `tag_count` for `table`: a live row counts once for each
   * of its tags; a statement adds what its new rows count and takes away what its old rows counted.
   */
  private async tagCounterTrigger(q: QueryRunner, table: string): Promise<void> {
    const fn = `count_${table}_tags`;
    const rows = (source: string, sign: string) =>
      `SELECT namespace_id, project_id, unnest(tags) AS tag, ${sign}1 AS n FROM ${source} WHERE deleted_at IS NULL`;
    const upsert = (rowsSql: string) => `
          INSERT INTO tag_count AS t (namespace_id, project_id, kind, tag, live)
          SELECT namespace_id, project_id, '${table}', tag, sum(n)::int FROM (${rowsSql}) x
          GROUP BY namespace_id, project_id, tag HAVING sum(n) <> 0 ORDER BY namespace_id, project_id, tag
          ON CONFLICT ON CONSTRAINT pk_tag_count DO UPDATE SET live = t.live + EXCLUDED.live;`;
    await q.query(`
      CREATE FUNCTION ${fn}() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN ${upsert(rows('new_rows', ''))}
        ELSIF TG_OP = 'DELETE' THEN ${upsert(rows('old_rows', '-'))}
        ELSE ${upsert(`${rows('new_rows', '')} UNION ALL ${rows('old_rows', '-')}`)}
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tg_${fn}_insert AFTER INSERT ON ${table}
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
    await q.query(`
      CREATE TRIGGER tg_${fn}_update AFTER UPDATE ON ${table}
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
    await q.query(`
      CREATE TRIGGER tg_${fn}_delete AFTER DELETE ON ${table}
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_collection_dataset`);
    await q.query(
      `CREATE INDEX ix_collection_dataset ON collection (namespace_id, dataset_id) WHERE deleted_at IS NULL AND dataset_id IS NOT NULL`,
    );
    await q.query(`DROP INDEX ix_collection_standalone_created`);
    await q.query(`DROP INDEX ix_project_slug_trgm`);
    for (const table of ['project', 'dataset', 'collection']) {
      for (const suffix of ['created', 'updated', 'name', 'name_trgm', 'tags']) {
        await q.query(`DROP INDEX ix_${table}_${suffix}`);
      }
    }
    await q.query(`DROP INDEX ix_namespace_slug_trgm`);
    await q.query(`DROP INDEX ix_namespace_name_trgm`);
    await q.query(`DROP INDEX ix_member_namespace_created`);
    await q.query(`CREATE INDEX ix_namespace_member_user ON namespace_member (user_id)`);
    for (const suffix of ['created', 'updated', 'name', 'joined', 'owned'])
      await q.query(`DROP INDEX ix_member_user_${suffix}`);
    for (const [table, fn] of [
      ['collection', 'count_collections'],
      ['dataset', 'count_datasets'],
      ['project', 'count_projects'],
    ]) {
      for (const event of ['insert', 'update', 'delete']) await q.query(`DROP TRIGGER tg_${fn}_${event} ON ${table}`);
      await q.query(`DROP FUNCTION ${fn}()`);
    }
    for (const table of ['collection', 'dataset']) {
      for (const event of ['insert', 'update', 'delete'])
        await q.query(`DROP TRIGGER tg_count_${table}_tags_${event} ON ${table}`);
      await q.query(`DROP FUNCTION count_${table}_tags()`);
    }
    await q.query(`DROP TABLE tag_count`);
    await q.query(`DROP TRIGGER tg_count_namespace_members_insert ON namespace_member`);
    await q.query(`DROP TRIGGER tg_count_namespace_members_delete ON namespace_member`);
    await q.query(`DROP FUNCTION count_namespace_members()`);
    await q.query(`DROP TRIGGER tg_namespace_pass_keys ON namespace`);
    await q.query(`DROP FUNCTION namespace_pass_keys()`);
    await q.query(`DROP TRIGGER tg_namespace_member_copy_keys ON namespace_member`);
    await q.query(`DROP FUNCTION namespace_member_copy_keys()`);
    await q.query(`
      ALTER TABLE namespace_member
        DROP COLUMN ns_slug, DROP COLUMN ns_name, DROP COLUMN ns_created_at, DROP COLUMN ns_updated_at, DROP COLUMN ns_live`);
    await q.query(`DROP TABLE member_stats`);
    await q.query(
      `ALTER TABLE project DROP COLUMN dataset_count, DROP COLUMN collection_count, DROP COLUMN standalone_count`,
    );
    await q.query(`ALTER TABLE namespace DROP COLUMN project_count, DROP COLUMN member_count`);
  }
}
