import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Frozen dataset versions and the change feed (docs/CONTRACT.md, "Versions" and "Changes and
 * webhooks").
 *
 * Versions share structure with the live data instead of copying members:
 * - every member change of a collection takes a new generation (`collection.member_gen`, on the
 *   locked collection row), and a member row remembers the generation that added it;
 * - a version records, per collection, the generation and the highest position at the freeze:
 *   its members are the rows added by then and not removed by then;
 * - a removed member that some version still sees (`added_gen <= collection.frozen_gen`) moves to
 *   `member_history` with the generation that removed it; others are deleted as before.
 * So a freeze writes one row per collection, whatever their size; a diff reads the rows whose
 * generations fall between the two versions; a version's member page walks the position indexes of
 * the live and the history rows, merged.
 *
 * The feed: each statement that changes something inserts its change rows; a deferred constraint
 * trigger stamps them at commit with the namespace's next cursor, taken under a row lock of
 * `change_seq` held until the commit ends. Cursors are therefore given in commit order, gap-free,
 * and a reader sees them as a prefix: a page never returns a change that a later page precedes.
 */
export class VersionsAndChanges1764700000000 implements MigrationInterface {
  name = 'VersionsAndChanges1764700000000';

  async up(q: QueryRunner): Promise<void> {
    // ---- member generations and history ----------------------------------------------------------
    await q.query(`
      ALTER TABLE collection
        ADD COLUMN member_gen bigint NOT NULL DEFAULT 0,
        ADD COLUMN frozen_gen bigint NOT NULL DEFAULT -1,
        ADD COLUMN purged_at timestamp with time zone`);
    await q.query(`
      ALTER TABLE collection_member
        ADD COLUMN added_gen bigint NOT NULL DEFAULT 0,
        ADD COLUMN restored boolean NOT NULL DEFAULT false`);
    // Rows a version restore put back at their old positions: the only rows whose position is lower
    // than their generation says, so diffs find them here.
    await q.query(
      `CREATE INDEX ix_collection_member_restored ON collection_member (namespace_id, collection_id, added_gen) WHERE restored`,
    );
    // Keyed by node id (a lookup of one can use no other index); walked by position, and by the
    // generation that removed a row, through partial indexes only those walks can use (their
    // predicates hold for every row, and only the walks state them: see PlansWithoutStatistics).
    await q.query(`
      CREATE TABLE member_history (
        namespace_id uuid NOT NULL,
        collection_id uuid NOT NULL,
        node_id character varying(128) NOT NULL,
        position bigint NOT NULL,
        added_at timestamp with time zone NOT NULL,
        added_gen bigint NOT NULL,
        removed_gen bigint NOT NULL,
        restored boolean NOT NULL DEFAULT false,
        CONSTRAINT pk_member_history PRIMARY KEY (namespace_id, collection_id, node_id, added_gen),
        CONSTRAINT ck_member_history_gens CHECK (removed_gen > added_gen AND added_gen >= 0 AND position >= 1),
        CONSTRAINT fk_member_history_collection FOREIGN KEY (namespace_id, collection_id)
          REFERENCES collection (namespace_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX ix_member_history_position ON member_history (namespace_id, collection_id, position) WHERE position >= 1`,
    );
    await q.query(
      `CREATE INDEX ix_member_history_removed ON member_history (namespace_id, collection_id, removed_gen) WHERE removed_gen >= 1`,
    );
    await q.query(
      `CREATE INDEX ix_member_history_restored ON member_history (namespace_id, collection_id, added_gen) WHERE restored`,
    );

    // A purged collection that a version still names keeps its row and members, hidden from the
    // trash; the version purge job deletes it once no version names it.
    await q.query(`DROP INDEX ix_collection_trash`);
    await q.query(`DROP INDEX ix_collection_deleted_at`);
    await q.query(
      `CREATE INDEX ix_collection_trash ON collection (namespace_id, project_id, deleted_at, id) WHERE deleted_at IS NOT NULL AND purged_at IS NULL`,
    );
    await q.query(
      `CREATE INDEX ix_collection_deleted_at ON collection (deleted_at) WHERE deleted_at IS NOT NULL AND purged_at IS NULL`,
    );
    await q.query(`CREATE INDEX ix_collection_purged ON collection (purged_at) WHERE purged_at IS NOT NULL`);
    await q.query(this.countCollections('(deleted_at IS NOT NULL AND purged_at IS NULL)'));

    // ---- versions -------------------------------------------------------------------------------
    // A dataset's last version number (never reused) and its count of versions: a row of its own,
    // so numbering a freeze does not lock the dataset row that link, unlink and create share-lock.
    await q.query(`
      CREATE TABLE version_counter (
        namespace_id uuid NOT NULL,
        dataset_id uuid NOT NULL,
        last_version integer NOT NULL DEFAULT 0,
        version_count integer NOT NULL DEFAULT 0,
        CONSTRAINT pk_version_counter PRIMARY KEY (namespace_id, dataset_id),
        CONSTRAINT fk_version_counter_dataset FOREIGN KEY (namespace_id, dataset_id)
          REFERENCES dataset (namespace_id, id) ON DELETE CASCADE
      )`);
    // The collections a freeze or a restore works on, locked in one order (by name), as committed
    // once the dataset is share-locked: a VOLATILE function reads with a fresh snapshot, so a
    // collection linked or created into the dataset while the statement waited is not missed.
    await q.query(`
      CREATE FUNCTION lock_collections(ns uuid, ds uuid, also uuid[]) RETURNS SETOF collection
      LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        -- By primary key, from the dataset's index and the ids given (never a scan of the namespace).
        RETURN QUERY
          SELECT * FROM collection c
          WHERE c.namespace_id = ns AND c.id IN (
            SELECT x.id FROM collection x WHERE x.namespace_id = ns AND x.dataset_id = ds AND x.deleted_at IS NULL
            UNION
            SELECT unnest(also))
          ORDER BY c.name, c.id
          FOR NO KEY UPDATE;
      END $$`);
    await q.query(`
      CREATE TABLE dataset_version (
        namespace_id uuid NOT NULL,
        dataset_id uuid NOT NULL,
        version integer NOT NULL,
        dataset_name character varying(100) NOT NULL,
        message text,
        member_count bigint NOT NULL,
        collection_count integer NOT NULL,
        digest character varying(71),
        created_by character varying(255) NOT NULL,
        created_at timestamp with time zone NOT NULL DEFAULT now(),
        CONSTRAINT pk_dataset_version PRIMARY KEY (namespace_id, dataset_id, version),
        CONSTRAINT ck_dataset_version_message CHECK (char_length(message) <= 1000),
        CONSTRAINT fk_dataset_version_dataset FOREIGN KEY (namespace_id, dataset_id)
          REFERENCES dataset (namespace_id, id) ON DELETE CASCADE
      )`);
    // Versions whose digest is still to be computed (the digest job's queue).
    await q.query(`CREATE INDEX ix_dataset_version_undigested ON dataset_version (created_at) WHERE digest IS NULL`);
    await q.query(`
      CREATE TABLE version_collection (
        namespace_id uuid NOT NULL,
        dataset_id uuid NOT NULL,
        version integer NOT NULL,
        name character varying(100) NOT NULL,
        collection_id uuid NOT NULL,
        description text,
        tags text array NOT NULL DEFAULT '{}',
        metadata jsonb,
        member_count integer NOT NULL,
        max_position bigint NOT NULL,
        gen bigint NOT NULL,
        CONSTRAINT pk_version_collection PRIMARY KEY (namespace_id, dataset_id, version, name),
        CONSTRAINT fk_version_collection_version FOREIGN KEY (namespace_id, dataset_id, version)
          REFERENCES dataset_version (namespace_id, dataset_id, version) ON DELETE CASCADE,
        CONSTRAINT fk_version_collection_collection FOREIGN KEY (namespace_id, collection_id)
          REFERENCES collection (namespace_id, id)
      )`);
    await q.query(
      `CREATE INDEX ix_version_collection_collection ON version_collection (namespace_id, collection_id, gen)`,
    );
    await q.query(`
      CREATE TABLE version_tag (
        namespace_id uuid NOT NULL,
        dataset_id uuid NOT NULL,
        tag character varying(100) NOT NULL,
        version integer NOT NULL,
        moved_at timestamp with time zone NOT NULL DEFAULT now(),
        CONSTRAINT pk_version_tag PRIMARY KEY (namespace_id, dataset_id, tag),
        CONSTRAINT fk_version_tag_version FOREIGN KEY (namespace_id, dataset_id, version)
          REFERENCES dataset_version (namespace_id, dataset_id, version),
        CONSTRAINT fk_version_tag_dataset FOREIGN KEY (namespace_id, dataset_id)
          REFERENCES dataset (namespace_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX ix_version_tag_version ON version_tag (namespace_id, dataset_id, version) WHERE version >= 1`,
    );

    // ---- the change feed ------------------------------------------------------------------------
    await q.query(`
      CREATE TABLE change (
        namespace_id uuid NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        cursor bigint,
        at timestamp with time zone NOT NULL DEFAULT now(),
        type character varying(40) NOT NULL,
        actor character varying(255),
        request_id character varying(128),
        project_id uuid,
        project character varying(64),
        target_kind character varying(16),
        target_id uuid,
        target_name character varying(255),
        data jsonb,
        CONSTRAINT pk_change PRIMARY KEY (namespace_id, id),
        CONSTRAINT fk_change_namespace FOREIGN KEY (namespace_id) REFERENCES namespace (id) ON DELETE CASCADE
      )`);
    // Partial: the commit stamp finds its row by primary key, and no other index can serve it.
    await q.query(`CREATE UNIQUE INDEX uq_change_cursor ON change (namespace_id, cursor) WHERE cursor IS NOT NULL`);
    await q.query(`CREATE INDEX ix_change_at ON change (at)`);
    await q.query(`
      CREATE TABLE change_seq (
        namespace_id uuid NOT NULL,
        last bigint NOT NULL DEFAULT 0,
        purged_through bigint NOT NULL DEFAULT 0,
        CONSTRAINT pk_change_seq PRIMARY KEY (namespace_id),
        CONSTRAINT fk_change_seq_namespace FOREIGN KEY (namespace_id) REFERENCES namespace (id) ON DELETE CASCADE
      )`);
    // At commit: the namespace's next cursor, under the change_seq row's lock (held to the end of the
    // commit, so cursors follow commit order), and a notification for long polls and webhooks.
    await q.query(`
      CREATE FUNCTION change_stamp() RETURNS trigger
      LANGUAGE plpgsql AS $$
      DECLARE
        next bigint;
      BEGIN
        INSERT INTO change_seq AS s (namespace_id, last) VALUES (NEW.namespace_id, 1)
        ON CONFLICT ON CONSTRAINT pk_change_seq DO UPDATE SET last = s.last + 1
        RETURNING s.last INTO next;
        UPDATE change SET cursor = next, at = clock_timestamp() WHERE namespace_id = NEW.namespace_id AND id = NEW.id;
        PERFORM pg_notify('dreamlake_changes', NEW.namespace_id::text || ':' || next::text);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER tg_change_stamp AFTER INSERT ON change
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION change_stamp()`);

    // ---- webhooks -----------------------------------------------------------------------------
    await q.query(`
      CREATE TABLE webhook (
        namespace_id uuid NOT NULL,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        url text NOT NULL,
        types text array NOT NULL DEFAULT '{}',
        description text,
        secret character varying(100) NOT NULL,
        previous_secret character varying(100),
        rotated_at timestamp with time zone,
        enabled boolean NOT NULL DEFAULT true,
        cursor bigint NOT NULL DEFAULT 0,
        failing_since timestamp with time zone,
        next_attempt_at timestamp with time zone,
        lease_until timestamp with time zone,
        created_by character varying(255) NOT NULL,
        created_at timestamp with time zone NOT NULL DEFAULT now(),
        updated_at timestamp with time zone NOT NULL DEFAULT now(),
        CONSTRAINT pk_webhook PRIMARY KEY (namespace_id, id),
        CONSTRAINT fk_webhook_namespace FOREIGN KEY (namespace_id) REFERENCES namespace (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX ix_webhook_namespace ON webhook (namespace_id, created_at, id)`);
    // One webhook per URL in a namespace (a second registration is a 409, not a double delivery).
    await q.query(`CREATE UNIQUE INDEX uq_webhook_url ON webhook (namespace_id, url)`);
    await q.query(`CREATE INDEX ix_webhook_enabled ON webhook (next_attempt_at) WHERE enabled`);
    await q.query(`
      CREATE TABLE webhook_delivery (
        namespace_id uuid NOT NULL,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        webhook_id uuid NOT NULL,
        cursor bigint NOT NULL,
        type character varying(40) NOT NULL,
        status character varying(16) NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        last_status_code integer,
        last_error text,
        next_attempt_at timestamp with time zone,
        delivered_at timestamp with time zone,
        created_at timestamp with time zone NOT NULL DEFAULT now(),
        CONSTRAINT pk_webhook_delivery PRIMARY KEY (namespace_id, id),
        CONSTRAINT uq_webhook_delivery_cursor UNIQUE (namespace_id, webhook_id, cursor),
        CONSTRAINT ck_webhook_delivery_status CHECK (status IN ('pending', 'delivered', 'failed')),
        CONSTRAINT fk_webhook_delivery_webhook FOREIGN KEY (namespace_id, webhook_id)
          REFERENCES webhook (namespace_id, id) ON DELETE CASCADE
      )`);
    // Redeliveries asked for by hand: pending rows behind their webhook's cursor.
    await q.query(
      `CREATE INDEX ix_webhook_delivery_pending ON webhook_delivery (next_attempt_at) WHERE status = 'pending'`,
    );
  }

  /** count_collections() (migration Scale) with `trash` as what a row counts in the trash. */
  private countCollections(trash: string): string {
    const counters = {
      collection_count: '(deleted_at IS NULL)::int',
      standalone_count: '(deleted_at IS NULL AND dataset_id IS NULL)::int',
      collection_trash_count: `${trash}::int`,
    };
    const names = Object.keys(counters) as (keyof typeof counters)[];
    const rows = (source: string, sign: string) =>
      `SELECT namespace_id, project_id, ${names.map((c) => `${sign}${counters[c]} AS ${c}`).join(', ')} FROM ${source}`;
    const update = (rowsSql: string) => `
          UPDATE project t SET ${names.map((c) => `${c} = t.${c} + d.${c}`).join(', ')}
          FROM (SELECT namespace_id, project_id, ${names.map((c) => `sum(${c})::int AS ${c}`).join(', ')}
                FROM (${rowsSql}) x GROUP BY namespace_id, project_id ORDER BY namespace_id, project_id) d
          WHERE t.namespace_id = d.namespace_id AND t.id = d.project_id AND (${names.map((c) => `d.${c} <> 0`).join(' OR ')});`;
    return `
      CREATE OR REPLACE FUNCTION count_collections() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN ${update(rows('new_rows', ''))}
        ELSIF TG_OP = 'DELETE' THEN ${update(rows('old_rows', '-'))}
        ELSE ${update(`${rows('new_rows', '')} UNION ALL ${rows('old_rows', '-')}`)}
        END IF;
        RETURN NULL;
      END $$`;
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_delivery`);
    await q.query(`DROP TABLE webhook`);
    await q.query(`DROP TRIGGER tg_change_stamp ON change`);
    await q.query(`DROP FUNCTION change_stamp()`);
    await q.query(`DROP TABLE change_seq`);
    await q.query(`DROP TABLE change`);
    await q.query(`DROP TABLE version_tag`);
    await q.query(`DROP TABLE version_collection`);
    await q.query(`DROP TABLE dataset_version`);
    await q.query(`DROP FUNCTION lock_collections(uuid, uuid, uuid[])`);
    await q.query(`DROP TABLE version_counter`);
    await q.query(this.countCollections('(deleted_at IS NOT NULL)'));
    await q.query(`DROP INDEX ix_collection_purged`);
    await q.query(`DROP INDEX ix_collection_trash`);
    await q.query(`DROP INDEX ix_collection_deleted_at`);
    await q.query(`DELETE FROM collection WHERE purged_at IS NOT NULL`);
    await q.query(
      `CREATE INDEX ix_collection_trash ON collection (namespace_id, project_id, deleted_at, id) WHERE deleted_at IS NOT NULL`,
    );
    await q.query(`CREATE INDEX ix_collection_deleted_at ON collection (deleted_at) WHERE deleted_at IS NOT NULL`);
    await q.query(`DROP TABLE member_history`);
    await q.query(`DROP INDEX ix_collection_member_restored`);
    await q.query(`ALTER TABLE collection_member DROP COLUMN added_gen, DROP COLUMN restored`);
    await q.query(`ALTER TABLE collection DROP COLUMN member_gen, DROP COLUMN frozen_gen, DROP COLUMN purged_at`);
  }
}
