import { MigrationInterface, QueryRunner } from 'typeorm';

/** Namespaces, their members and projects; soft delete, slugs unique among live rows. */
export class Foundation1764133200000 implements MigrationInterface {
  name = 'Foundation1764133200000';

  async up(q: QueryRunner): Promise<void> {
    // ISO-8601 UTC with milliseconds, the contract's timestamp format, for JSON built in SQL.
    await q.query(`
      CREATE FUNCTION iso_time(ts timestamptz) RETURNS text
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS $$ SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$`);

    await q.query(`
      CREATE TABLE namespace (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        slug character varying(64) NOT NULL,
        name character varying(100) NOT NULL,
        description text,
        metadata jsonb,
        created_at timestamp with time zone NOT NULL DEFAULT now(),
        updated_at timestamp with time zone NOT NULL DEFAULT now(),
        deleted_at timestamp with time zone,
        CONSTRAINT pk_namespace PRIMARY KEY (id)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_namespace_slug ON namespace (slug) WHERE deleted_at IS NULL`);

    await q.query(`
      CREATE TABLE namespace_member (
        namespace_id uuid NOT NULL,
        user_id character varying(255) NOT NULL,
        role character varying(16) NOT NULL,
        created_at timestamp with time zone NOT NULL DEFAULT now(),
        updated_at timestamp with time zone NOT NULL DEFAULT now(),
        CONSTRAINT pk_namespace_member PRIMARY KEY (namespace_id, user_id),
        CONSTRAINT ck_namespace_member_role CHECK (role IN ('owner', 'admin', 'writer', 'reader')),
        CONSTRAINT fk_namespace_member_namespace FOREIGN KEY (namespace_id) REFERENCES namespace (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX ix_namespace_member_user ON namespace_member (user_id)`);

    // A namespace keeps at least one owner. Enforced here rather than by each statement, because
    // two owners demoting each other concurrently would both pass a check made in their own
    // snapshots: the trigger serialises on the namespace row, then counts in a fresh snapshot.
    await q.query(`
      CREATE FUNCTION namespace_keeps_an_owner() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.role <> 'owner' OR (TG_OP = 'UPDATE' AND NEW.role = 'owner') THEN
          RETURN NULL;
        END IF;
        PERFORM 1 FROM namespace WHERE id = OLD.namespace_id FOR UPDATE;
        IF NOT EXISTS (SELECT 1 FROM namespace_member WHERE namespace_id = OLD.namespace_id AND role = 'owner') THEN
          RAISE EXCEPTION 'namespace % would be left without an owner', OLD.namespace_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_namespace_keeps_an_owner';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tg_namespace_keeps_an_owner
      AFTER UPDATE OF role OR DELETE ON namespace_member
      FOR EACH ROW EXECUTE FUNCTION namespace_keeps_an_owner()`);

    await q.query(`
      CREATE TABLE project (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        namespace_id uuid NOT NULL,
        slug character varying(64) NOT NULL,
        name character varying(100) NOT NULL,
        description text,
        tags text array NOT NULL DEFAULT '{}',
        metadata jsonb,
        created_at timestamp with time zone NOT NULL DEFAULT now(),
        updated_at timestamp with time zone NOT NULL DEFAULT now(),
        deleted_at timestamp with time zone,
        CONSTRAINT pk_project PRIMARY KEY (namespace_id, id),
        CONSTRAINT fk_project_namespace FOREIGN KEY (namespace_id) REFERENCES namespace (id)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_project_slug ON project (namespace_id, slug) WHERE deleted_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE project`);
    await q.query(`DROP TABLE namespace_member`);
    await q.query(`DROP FUNCTION namespace_keeps_an_owner()`);
    await q.query(`DROP TABLE namespace`);
    await q.query(`DROP FUNCTION iso_time(timestamptz)`);
  }
}
