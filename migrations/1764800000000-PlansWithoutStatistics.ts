import { MigrationInterface, QueryRunner } from 'typeorm';

/** The list indexes of each table: name, columns and method, under `WHERE deleted_at IS NULL`. */
const LIST_INDEXES: Record<string, [string, string][]> = {
  project: [
    ['ix_project_created', '(namespace_id, created_at, id)'],
    ['ix_project_updated', '(namespace_id, updated_at, id)'],
    ['ix_project_name', '(namespace_id, (lower(name) COLLATE "C"), (name COLLATE "C"), id)'],
    ['ix_project_name_trgm', 'USING gin (namespace_id, name gin_trgm_ops)'],
    ['ix_project_slug_trgm', 'USING gin (namespace_id, slug gin_trgm_ops)'],
    ['ix_project_tags', 'USING gin (namespace_id, tags)'],
  ],
  dataset: [
    ['ix_dataset_created', '(namespace_id, project_id, created_at, id)'],
    ['ix_dataset_updated', '(namespace_id, project_id, updated_at, id)'],
    ['ix_dataset_name', '(namespace_id, project_id, (lower(name) COLLATE "C"), (name COLLATE "C"), id)'],
    ['ix_dataset_name_trgm', 'USING gin (namespace_id, project_id, name gin_trgm_ops)'],
    ['ix_dataset_tags', 'USING gin (namespace_id, project_id, tags)'],
  ],
  collection: [
    ['ix_collection_created', '(namespace_id, project_id, created_at, id)'],
    ['ix_collection_updated', '(namespace_id, project_id, updated_at, id)'],
    ['ix_collection_name', '(namespace_id, project_id, (lower(name) COLLATE "C"), (name COLLATE "C"), id)'],
    ['ix_collection_name_trgm', 'USING gin (namespace_id, project_id, name gin_trgm_ops)'],
    ['ix_collection_tags', 'USING gin (namespace_id, project_id, tags)'],
  ],
};

/**
 * Plans that do not depend on statistics (issue 14). Without statistics (a table loaded a moment
 * ago, autovacuum off or late) PostgreSQL takes every equality for 1 row in 200: two of them (the
 * tenant key: namespace and project, or namespace and collection) already look like one row, so any
 * index led by that key looked as good as the unique one a lookup needs — and a lookup by name or
 * node id could walk a whole project or collection. Now an index that serves lists and walks is
 * partial on a condition every row meets but only the lists and walks state (`version >= 1`,
 * `position >= 1`, `ns_live`), so a lookup by key can use nothing but its own unique index, whatever
 * the statistics say; and the unique constraint the collection→dataset key references leads with
 * the dataset's id, so a lookup by name cannot take it either.
 */
export class PlansWithoutStatistics1764800000000 implements MigrationInterface {
  name = 'PlansWithoutStatistics1764800000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, indexes] of Object.entries(LIST_INDEXES)) {
      for (const [name, definition] of indexes) {
        await q.query(`DROP INDEX ${name}`);
        await q.query(`CREATE INDEX ${name} ON ${table} ${definition} WHERE deleted_at IS NULL AND version >= 1`);
      }
    }
    await q.query(`DROP INDEX ix_collection_standalone_created`);
    await q.query(
      `CREATE INDEX ix_collection_standalone_created ON collection (namespace_id, project_id, created_at, id)
       WHERE deleted_at IS NULL AND dataset_id IS NULL AND version >= 1`,
    );
    // A namespace's members, newest first: a listing of a live namespace's members states ns_live.
    await q.query(`DROP INDEX ix_member_namespace_created`);
    await q.query(
      `CREATE INDEX ix_member_namespace_created ON namespace_member (namespace_id, created_at, user_id) WHERE ns_live`,
    );
    // Members walked by position: a lookup by node id can use only the primary key.
    await q.query(`ALTER TABLE collection_member ADD CONSTRAINT ck_collection_member_position CHECK (position >= 1)`);
    await q.query(`DROP INDEX uq_collection_member_position`);
    await q.query(
      `CREATE UNIQUE INDEX uq_collection_member_position ON collection_member (namespace_id, collection_id, position) WHERE position >= 1`,
    );
    // The key collection → dataset references, led by the dataset's id.
    await q.query(`ALTER TABLE collection DROP CONSTRAINT fk_collection_dataset`);
    await q.query(`ALTER TABLE dataset DROP CONSTRAINT uq_dataset_project_id`);
    await q.query(`ALTER TABLE dataset ADD CONSTRAINT uq_dataset_project_id UNIQUE (id, namespace_id, project_id)`);
    await q.query(`
      ALTER TABLE collection ADD CONSTRAINT fk_collection_dataset
        FOREIGN KEY (namespace_id, project_id, dataset_id) REFERENCES dataset (namespace_id, project_id, id)
        ON DELETE SET NULL (dataset_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE collection DROP CONSTRAINT fk_collection_dataset`);
    await q.query(`ALTER TABLE dataset DROP CONSTRAINT uq_dataset_project_id`);
    await q.query(`ALTER TABLE dataset ADD CONSTRAINT uq_dataset_project_id UNIQUE (namespace_id, project_id, id)`);
    await q.query(`
      ALTER TABLE collection ADD CONSTRAINT fk_collection_dataset
        FOREIGN KEY (namespace_id, project_id, dataset_id) REFERENCES dataset (namespace_id, project_id, id)
        ON DELETE SET NULL (dataset_id)`);
    await q.query(`DROP INDEX uq_collection_member_position`);
    await q.query(
      `CREATE UNIQUE INDEX uq_collection_member_position ON collection_member (namespace_id, collection_id, position)`,
    );
    await q.query(`ALTER TABLE collection_member DROP CONSTRAINT ck_collection_member_position`);
    await q.query(`DROP INDEX ix_member_namespace_created`);
    await q.query(`CREATE INDEX ix_member_namespace_created ON namespace_member (namespace_id, created_at, user_id)`);
    await q.query(`DROP INDEX ix_collection_standalone_created`);
    await q.query(
      `CREATE INDEX ix_collection_standalone_created ON collection (namespace_id, project_id, created_at, id)
       WHERE deleted_at IS NULL AND dataset_id IS NULL`,
    );
    for (const [table, indexes] of Object.entries(LIST_INDEXES)) {
      for (const [name, definition] of indexes) {
        await q.query(`DROP INDEX ${name}`);
        await q.query(`CREATE INDEX ${name} ON ${table} ${definition} WHERE deleted_at IS NULL`);
      }
    }
  }
}
