import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { CollectionEntity } from '#src/collections/collection.entity.js';
import { DatasetEntity } from '#src/datasets/dataset.entity.js';

/** A frozen version of a dataset. The schema mirrors migrations/; the repository uses SQL. */
@Entity('dataset_version')
@Check('ck_dataset_version_message', 'char_length(message) <= 1000')
@Index('ix_dataset_version_undigested', ['createdAt'], { where: 'digest IS NULL' })
@ForeignKey(() => DatasetEntity, ['namespaceId', 'datasetId'], ['namespaceId', 'id'], {
  name: 'fk_dataset_version_dataset',
  onDelete: 'CASCADE',
})
export class DatasetVersionEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_dataset_version' })
  namespaceId: string;

  @PrimaryColumn({ name: 'dataset_id', type: 'uuid', primaryKeyConstraintName: 'pk_dataset_version' })
  datasetId: string;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'pk_dataset_version' })
  version: number;

  @Column({ name: 'dataset_name', type: 'varchar', length: 100 })
  datasetName: string;

  @Column({ type: 'text', nullable: true })
  message: string | null;

  @Column({ name: 'member_count', type: 'bigint' })
  memberCount: string;

  @Column({ name: 'collection_count', type: 'integer' })
  collectionCount: number;

  /** `sha256:<hex>` of the manifest, computed after the freeze. */
  @Column({ type: 'varchar', length: 71, nullable: true })
  digest: string | null;

  @Column({ name: 'created_by', type: 'varchar', length: 255 })
  createdBy: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

/** A dataset's last version number (never reused) and how many versions it has. */
@Entity('version_counter')
@ForeignKey(() => DatasetEntity, ['namespaceId', 'datasetId'], ['namespaceId', 'id'], {
  name: 'fk_version_counter_dataset',
  onDelete: 'CASCADE',
})
export class VersionCounterEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_version_counter' })
  namespaceId: string;

  @PrimaryColumn({ name: 'dataset_id', type: 'uuid', primaryKeyConstraintName: 'pk_version_counter' })
  datasetId: string;

  @Column({ name: 'last_version', type: 'integer', default: 0 })
  lastVersion: number;

  @Column({ name: 'version_count', type: 'integer', default: 0 })
  versionCount: number;
}

/** A collection as a version froze it: its fields, and the position and generation its members are read at. */
@Entity('version_collection')
@Index('ix_version_collection_collection', ['namespaceId', 'collectionId', 'gen'])
@ForeignKey(
  () => DatasetVersionEntity,
  ['namespaceId', 'datasetId', 'version'],
  ['namespaceId', 'datasetId', 'version'],
  {
    name: 'fk_version_collection_version',
    onDelete: 'CASCADE',
  },
)
@ForeignKey(() => CollectionEntity, ['namespaceId', 'collectionId'], ['namespaceId', 'id'], {
  name: 'fk_version_collection_collection',
})
export class VersionCollectionEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_version_collection' })
  namespaceId: string;

  @PrimaryColumn({ name: 'dataset_id', type: 'uuid', primaryKeyConstraintName: 'pk_version_collection' })
  datasetId: string;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'pk_version_collection' })
  version: number;

  @PrimaryColumn({ type: 'varchar', length: 100, primaryKeyConstraintName: 'pk_version_collection' })
  name: string;

  @Column({ name: 'collection_id', type: 'uuid' })
  collectionId: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  @Column({ type: 'jsonb', nullable: true })
  metadata: Record<string, unknown> | null;

  @Column({ name: 'member_count', type: 'integer' })
  memberCount: number;

  @Column({ name: 'max_position', type: 'bigint' })
  maxPosition: string;

  @Column({ type: 'bigint' })
  gen: string;
}

/** A tag (alias) of one version of a dataset. */
@Entity('version_tag')
@Index('ix_version_tag_version', ['namespaceId', 'datasetId', 'version'], { where: 'version >= 1' })
@ForeignKey(
  () => DatasetVersionEntity,
  ['namespaceId', 'datasetId', 'version'],
  ['namespaceId', 'datasetId', 'version'],
  {
    name: 'fk_version_tag_version',
  },
)
@ForeignKey(() => DatasetEntity, ['namespaceId', 'datasetId'], ['namespaceId', 'id'], {
  name: 'fk_version_tag_dataset',
  onDelete: 'CASCADE',
})
export class VersionTagEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_version_tag' })
  namespaceId: string;

  @PrimaryColumn({ name: 'dataset_id', type: 'uuid', primaryKeyConstraintName: 'pk_version_tag' })
  datasetId: string;

  @PrimaryColumn({ type: 'varchar', length: 100, primaryKeyConstraintName: 'pk_version_tag' })
  tag: string;

  @Column({ type: 'integer' })
  version: number;

  @Column({ name: 'moved_at', type: 'timestamptz', default: () => 'now()' })
  movedAt: Date;
}
