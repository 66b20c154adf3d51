import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Datasets, collections and collection members. Members are rows, not an array column, so a
 * collection can hold millions; `member_count` and `member_seq` on the collection keep the total
 * and the next insertion position without counting, updated by the same statement that changes
 * the members.
 */
export class DatasetsAndCollections1764219600000 implements MigrationInterface {
  name = 'DatasetsAndCollections1764219600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dataset (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        namespace_id uuid NOT NULL,
        project_id uuid NOT NULL,
        name character varying(100) NOT NULL,
        description text,
        tags text array NOT NULL DEFAULT '{}',
        metadata jsonb,
        created_at timestamp with time zone NOT NULL DEFAULT now(),
        updated_at timestamp with time zone NOT NULL DEFAULT now(),
        deleted_at timestamp with time zone,
        CONSTRAINT pk_dataset PRIMARY KEY (namespace_id, id),
        CONSTRAINT uq_dataset_project_id UNIQUE (namespace_id, project_id, id),
        CONSTRAINT fk_dataset_project FOREIGN KEY (namespace_id, project_id) REFERENCES project (namespace_id, id)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX uq_dataset_name ON dataset (namespace_id, project_id, name) WHERE deleted_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE collection (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        namespace_id uuid NOT NULL,
        project_id uuid NOT NULL,
        dataset_id uuid,
        name character varying(100) NOT NULL,
        description text,
        tags text array NOT NULL DEFAULT '{}',
        metadata jsonb,
        member_count integer NOT NULL DEFAULT 0,
        member_seq bigint NOT NULL DEFAULT 0,
        created_at timestamp with time zone NOT NULL DEFAULT now(),
        updated_at timestamp with time zone NOT NULL DEFAULT now(),
        deleted_at timestamp with time zone,
        CONSTRAINT pk_collection PRIMARY KEY (namespace_id, id),
        CONSTRAINT ck_collection_member_count CHECK (member_count >= 0),
        CONSTRAINT fk_collection_project FOREIGN KEY (namespace_id, project_id) REFERENCES project (namespace_id, id),
        CONSTRAINT fk_collection_dataset FOREIGN KEY (namespace_id, project_id, dataset_id)
          REFERENCES dataset (namespace_id, project_id, id)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX uq_collection_name ON collection (namespace_id, project_id, name) WHERE deleted_at IS NULL`,
    );
    await q.query(
      `CREATE INDEX ix_collection_dataset ON collection (namespace_id, dataset_id) WHERE deleted_at IS NULL AND dataset_id IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE collection_member (
        namespace_id uuid NOT NULL,
        collection_id uuid NOT NULL,
        node_id character varying(128) NOT NULL,
        position bigint NOT NULL,
        added_at timestamp with time zone NOT NULL DEFAULT now(),
        CONSTRAINT pk_collection_member PRIMARY KEY (namespace_id, collection_id, node_id),
        CONSTRAINT fk_collection_member_collection FOREIGN KEY (namespace_id, collection_id)
          REFERENCES collection (namespace_id, id) ON DELETE CASCADE
      )`);
    // A deleted dataset's collections become standalone in the statement that deletes it. A trigger
    // rather than a CTE of that statement: its UPDATE runs after the dataset row is locked, with a
    // fresh snapshot, so it also detaches a collection linked by a statement that committed while
    // the delete waited for that lock.
    await q.query(`
      CREATE FUNCTION dataset_detach_collections() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE collection SET dataset_id = NULL, updated_at = now()
        WHERE namespace_id = NEW.namespace_id AND dataset_id = NEW.id;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tg_dataset_detach_collections
      AFTER UPDATE OF deleted_at ON dataset
      FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
      EXECUTE FUNCTION dataset_detach_collections()`);

    // Members in insertion order: reads walk this index instead of sorting.
    await q.query(
      `CREATE UNIQUE INDEX uq_collection_member_position ON collection_member (namespace_id, collection_id, position)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE collection_member`);
    await q.query(`DROP TABLE collection`);
    await q.query(`DROP TABLE dataset`);
    await q.query(`DROP FUNCTION dataset_detach_collections()`);
  }
}
