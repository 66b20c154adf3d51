import { MigrationInterface, QueryRunner } from 'typeorm';

/** Columns whose change shows in a row's GET answer, by table: a change of any bumps `version`. */
const VISIBLE: Record<string, string[]> = {
  namespace: ['slug', 'name', 'description', 'metadata', 'updated_at', 'deleted_at', 'project_count'],
  project: [
    'slug',
    'name',
    'description',
    'tags',
    'metadata',
    'updated_at',
    'deleted_at',
    'dataset_count',
    'collection_count',
  ],
  dataset: ['name', 'description', 'tags', 'metadata', 'updated_at', 'deleted_at'],
  collection: ['name', 'description', 'tags', 'metadata', 'dataset_id', 'member_count', 'updated_at', 'deleted_at'],
};

/**
 * Safety for clients (API.md): version counters for ETags, what trash and restore need, and kept
 * answers of requests carrying an Idempotency-Key.
 */
export class ClientSafety1764500000000 implements MigrationInterface {
  name = 'ClientSafety1764500000000';

  async up(q: QueryRunner): Promise<void> {
    // ---- ETags: a version per row, bumped by any change its GET answer shows --------------------
    for (const [table, columns] of Object.entries(VISIBLE)) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN version bigint NOT NULL DEFAULT 1`);
      const old = columns.map((c) => `OLD.${c}`).join(', ');
      const now = columns.map((c) => `NEW.${c}`).join(', ');
      await q.query(`
        CREATE FUNCTION ${table}_bump_version() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF ROW(${old}) IS DISTINCT FROM ROW(${now}) THEN
            NEW.version := OLD.version + 1;
          END IF;
          ${
            // An attached collection no longer remembers the dataset whose deletion detached it.
            table === 'collection' ? 'IF NEW.dataset_id IS NOT NULL THEN NEW.detached_from := NULL; END IF;' : ''
          }
          RETURN NEW;
        END $$`);
      if (table === 'collection') {
        await q.query(`ALTER TABLE collection ADD COLUMN detached_from uuid`);
      }
      await q.query(`
        CREATE TRIGGER tg_${table}_bump_version BEFORE UPDATE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION ${table}_bump_version()`);
    }

    // ---- trash --------------------------------------------------------------------------------
    // A deleted dataset detaches its live collections and records which, so that restoring it
    // re-attaches those still standalone; deleted collections keep their dataset (restored into it
    // when it is live).
    await q.query(`
      CREATE OR REPLACE FUNCTION dataset_detach_collections() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE collection SET dataset_id = NULL, detached_from = NEW.id, updated_at = now()
        WHERE namespace_id = NEW.namespace_id AND dataset_id = NEW.id AND deleted_at IS NULL;
        RETURN NULL;
      END $$`);
    // Purging a dataset leaves the deleted collections that still name it standalone.
    await q.query(`ALTER TABLE collection DROP CONSTRAINT fk_collection_dataset`);
    await q.query(`
      ALTER TABLE collection ADD CONSTRAINT fk_collection_dataset
        FOREIGN KEY (namespace_id, project_id, dataset_id) REFERENCES dataset (namespace_id, project_id, id)
        ON DELETE SET NULL (dataset_id)`);
    for (const table of ['dataset', 'collection']) {
      // The trash of a project, newest deletion first; and everything past retention, for the purge.
      await q.query(
        `CREATE INDEX ix_${table}_trash ON ${table} (namespace_id, project_id, deleted_at, id) WHERE deleted_at IS NOT NULL`,
      );
      await q.query(`CREATE INDEX ix_${table}_deleted_at ON ${table} (deleted_at) WHERE deleted_at IS NOT NULL`);
    }
    await q.query(
      `CREATE INDEX ix_collection_detached_from ON collection (namespace_id, detached_from) WHERE detached_from IS NOT NULL`,
    );

    // ---- idempotency keys -----------------------------------------------------------------------
    await q.query(`
      CREATE TABLE idempotency_key (
        user_id character varying(255) NOT NULL,
        key character varying(255) NOT NULL,
        fingerprint character varying(64) NOT NULL,
        status smallint NOT NULL,
        body text NOT NULL,
        location text,
        created_at timestamp with time zone NOT NULL DEFAULT now(),
        CONSTRAINT pk_idempotency_key PRIMARY KEY (user_id, key)
      )`);
    await q.query(`CREATE INDEX ix_idempotency_key_created ON idempotency_key (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_key`);
    await q.query(`DROP INDEX ix_collection_detached_from`);
    for (const table of ['dataset', 'collection']) {
      await q.query(`DROP INDEX ix_${table}_trash`);
      await q.query(`DROP INDEX ix_${table}_deleted_at`);
    }
    await q.query(`ALTER TABLE collection DROP CONSTRAINT fk_collection_dataset`);
    await q.query(`
      ALTER TABLE collection ADD CONSTRAINT fk_collection_dataset
        FOREIGN KEY (namespace_id, project_id, dataset_id) REFERENCES dataset (namespace_id, project_id, id)`);
    await q.query(`
      CREATE OR REPLACE FUNCTION dataset_detach_collections() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE collection SET dataset_id = NULL, updated_at = now()
        WHERE namespace_id = NEW.namespace_id AND dataset_id = NEW.id;
        RETURN NULL;
      END $$`);
    for (const table of Object.keys(VISIBLE)) {
      await q.query(`DROP TRIGGER tg_${table}_bump_version ON ${table}`);
      await q.query(`DROP FUNCTION ${table}_bump_version()`);
      await q.query(`ALTER TABLE ${table} DROP COLUMN version`);
    }
    await q.query(`ALTER TABLE collection DROP COLUMN detached_from`);
  }
}
