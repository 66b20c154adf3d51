import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { DatasetEntity } from '#src/datasets/dataset.entity.js';
import { ProjectEntity } from '#src/projects/project.entity.js';

/** A named, ordered set of node ids. The schema mirrors migrations/; the repository uses SQL. */
@Entity('collection')
@Check('ck_collection_member_count', 'member_count >= 0')
@Index('uq_collection_name', ['namespaceId', 'projectId', 'name'], { unique: true, where: 'deleted_at IS NULL' })
@Index('ix_collection_dataset', ['namespaceId', 'datasetId', 'name'], {
  where: 'deleted_at IS NULL AND dataset_id IS NOT NULL',
})
// Sort, trigram, tag and trash indexes of migrations/, which TypeORM cannot describe.
@Index('ix_collection_created', { synchronize: false })
@Index('ix_collection_updated', { synchronize: false })
@Index('ix_collection_name', { synchronize: false })
@Index('ix_collection_name_trgm', { synchronize: false })
@Index('ix_collection_tags', { synchronize: false })
@Index('ix_collection_standalone_created', { synchronize: false })
@Index('ix_collection_trash', { synchronize: false })
@Index('ix_collection_deleted_at', { synchronize: false })
@Index('ix_collection_detached_from', { synchronize: false })
@Index('ix_collection_purged', { synchronize: false })
@ForeignKey(() => ProjectEntity, ['namespaceId', 'projectId'], ['namespaceId', 'id'], { name: 'fk_collection_project' })
// ON DELETE SET NULL (dataset_id) in migrations/: purging a dataset leaves the deleted collections naming it standalone.
@ForeignKey(() => DatasetEntity, ['namespaceId', 'projectId', 'datasetId'], ['namespaceId', 'projectId', 'id'], {
  name: 'fk_collection_dataset',
  onDelete: 'SET NULL',
})
export class CollectionEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_collection' })
  namespaceId: string;

  @PrimaryColumn({ type: 'uuid', generated: 'uuid', primaryKeyConstraintName: 'pk_collection' })
  id: string;

  @Column({ name: 'project_id', type: 'uuid' })
  projectId: string;

  @Column({ name: 'dataset_id', type: 'uuid', nullable: true })
  datasetId: string | null;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  @Column({ type: 'jsonb', nullable: true })
  metadata: Record<string, unknown> | null;

  @Column({ name: 'member_count', type: 'integer', default: 0 })
  memberCount: number;

  @Column({ name: 'member_seq', type: 'bigint', default: 0 })
  memberSeq: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  /** Bumped by every change its GET answer shows, members included (the ETag). */
  @Column({ type: 'bigint', default: 1 })
  version: string;

  /** The dataset whose deletion detached it (restoring that dataset re-attaches it while standalone). */
  @Column({ name: 'detached_from', type: 'uuid', nullable: true })
  detachedFrom: string | null;

  /** The generation of its members: every member change takes the next one (versions record it). */
  @Column({ name: 'member_gen', type: 'bigint', default: 0 })
  memberGen: string;

  /** The generation of its newest version (-1: none): a member removed that was added by then moves to member_history. */
  @Column({ name: 'frozen_gen', type: 'bigint', default: -1 })
  frozenGen: string;

  /** Purged from the trash while a version still names it: hidden, kept until no version does. */
  @Column({ name: 'purged_at', type: 'timestamptz', nullable: true })
  purgedAt: Date | null;
}

/** One node id in a collection, with its insertion position. */
@Entity('collection_member')
// Partial on a condition every row meets and only walks by position state (migration PlansWithoutStatistics).
@Index('uq_collection_member_position', ['namespaceId', 'collectionId', 'position'], {
  unique: true,
  where: 'position >= 1',
})
@Check('ck_collection_member_position', 'position >= 1')
@Index('ix_collection_member_restored', ['namespaceId', 'collectionId', 'addedGen'], { where: 'restored' })
@ForeignKey(() => CollectionEntity, ['namespaceId', 'collectionId'], ['namespaceId', 'id'], {
  name: 'fk_collection_member_collection',
  onDelete: 'CASCADE',
})
export class CollectionMemberEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_collection_member' })
  namespaceId: string;

  @PrimaryColumn({ name: 'collection_id', type: 'uuid', primaryKeyConstraintName: 'pk_collection_member' })
  collectionId: string;

  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 128, primaryKeyConstraintName: 'pk_collection_member' })
  nodeId: string;

  @Column({ type: 'bigint' })
  position: string;

  @Column({ name: 'added_at', type: 'timestamptz', default: () => 'now()' })
  addedAt: Date;

  /** The collection's member generation that added it. */
  @Column({ name: 'added_gen', type: 'bigint', default: 0 })
  addedGen: string;

  /** Put back at its old position by a version restore. */
  @Column({ type: 'boolean', default: false })
  restored: boolean;
}

/** A removed member that a version still sees, with the generations that added and removed it. */
@Entity('member_history')
@Check('ck_member_history_gens', 'removed_gen > added_gen AND added_gen >= 0 AND position >= 1')
@Index('ix_member_history_position', ['namespaceId', 'collectionId', 'position'], { where: 'position >= 1' })
@Index('ix_member_history_removed', ['namespaceId', 'collectionId', 'removedGen'], { where: 'removed_gen >= 1' })
@Index('ix_member_history_restored', ['namespaceId', 'collectionId', 'addedGen'], { where: 'restored' })
@ForeignKey(() => CollectionEntity, ['namespaceId', 'collectionId'], ['namespaceId', 'id'], {
  name: 'fk_member_history_collection',
  onDelete: 'CASCADE',
})
export class MemberHistoryEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_member_history' })
  namespaceId: string;

  @PrimaryColumn({ name: 'collection_id', type: 'uuid', primaryKeyConstraintName: 'pk_member_history' })
  collectionId: string;

  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 128, primaryKeyConstraintName: 'pk_member_history' })
  nodeId: string;

  @Column({ type: 'bigint' })
  position: string;

  @Column({ name: 'added_at', type: 'timestamptz' })
  addedAt: Date;

  @PrimaryColumn({ name: 'added_gen', type: 'bigint', primaryKeyConstraintName: 'pk_member_history' })
  addedGen: string;

  @Column({ name: 'removed_gen', type: 'bigint' })
  removedGen: string;

  @Column({ type: 'boolean', default: false })
  restored: boolean;
}
