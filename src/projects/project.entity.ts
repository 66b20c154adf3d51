import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { NamespaceEntity } from '#src/namespaces/namespace.entity.js';

/** A project inside a namespace. The schema mirrors migrations/; the repository uses SQL. */
@Entity('project')
@Index('uq_project_slug', ['namespaceId', 'slug'], { unique: true, where: 'deleted_at IS NULL' })
@ForeignKey(() => NamespaceEntity, ['namespaceId'], ['id'], { name: 'fk_project_namespace' })
// Sort, trigram and tag indexes of migrations/1764300000000-Scale.ts, which TypeORM cannot describe.
@Index('ix_project_created', { synchronize: false })
@Index('ix_project_updated', { synchronize: false })
@Index('ix_project_name', { synchronize: false })
@Index('ix_project_name_trgm', { synchronize: false })
@Index('ix_project_tags', { synchronize: false })
@Index('ix_project_slug_trgm', { synchronize: false })
export class ProjectEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_project' })
  namespaceId: string;

  @PrimaryColumn({ type: 'uuid', generated: 'uuid', primaryKeyConstraintName: 'pk_project' })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  slug: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  @Column({ type: 'jsonb', nullable: true })
  metadata: Record<string, unknown> | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  // Counters kept by triggers: live datasets, live collections, live standalone collections, deleted ones.
  @Column({ name: 'dataset_count', type: 'integer', default: 0 })
  datasetCount: number;

  @Column({ name: 'collection_count', type: 'integer', default: 0 })
  collectionCount: number;

  @Column({ name: 'standalone_count', type: 'integer', default: 0 })
  standaloneCount: number;

  @Column({ name: 'dataset_trash_count', type: 'integer', default: 0 })
  datasetTrashCount: number;

  @Column({ name: 'collection_trash_count', type: 'integer', default: 0 })
  collectionTrashCount: number;

  /** Bumped by every change its GET answer shows (the ETag). */
  @Column({ type: 'bigint', default: 1 })
  version: string;
}

/** Live datasets or collections of a project carrying a tag (kept by triggers): the total of a one-tag list. */
@Entity('tag_count')
@Check('ck_tag_count_kind', `kind IN ('dataset', 'collection')`)
export class TagCountEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_tag_count' })
  namespaceId: string;

  @PrimaryColumn({ name: 'project_id', type: 'uuid', primaryKeyConstraintName: 'pk_tag_count' })
  projectId: string;

  @PrimaryColumn({ type: 'varchar', length: 10, primaryKeyConstraintName: 'pk_tag_count' })
  kind: string;

  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_tag_count' })
  tag: string;

  @Column({ type: 'integer', default: 0 })
  live: number;
}
