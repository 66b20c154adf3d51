import { Column, Entity, ForeignKey, Index, PrimaryColumn, Unique } from 'typeorm';
import { ProjectEntity } from '#src/projects/project.entity.js';

/** A named group of collections in a project. The schema mirrors migrations/; the repository uses SQL. */
@Entity('dataset')
// Led by the id, so a lookup by (namespace, project, name) cannot take it (migration PlansWithoutStatistics).
@Unique('uq_dataset_project_id', ['id', 'namespaceId', 'projectId'])
@Index('uq_dataset_name', ['namespaceId', 'projectId', 'name'], { unique: true, where: 'deleted_at IS NULL' })
@ForeignKey(() => ProjectEntity, ['namespaceId', 'projectId'], ['namespaceId', 'id'], { name: 'fk_dataset_project' })
// Sort, trigram, tag and trash indexes of migrations/, which TypeORM cannot describe.
@Index('ix_dataset_created', { synchronize: false })
@Index('ix_dataset_updated', { synchronize: false })
@Index('ix_dataset_name', { synchronize: false })
@Index('ix_dataset_name_trgm', { synchronize: false })
@Index('ix_dataset_tags', { synchronize: false })
@Index('ix_dataset_trash', { synchronize: false })
@Index('ix_dataset_deleted_at', { synchronize: false })
export class DatasetEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_dataset' })
  namespaceId: string;

  @PrimaryColumn({ type: 'uuid', generated: 'uuid', primaryKeyConstraintName: 'pk_dataset' })
  id: string;

  @Column({ name: 'project_id', type: 'uuid' })
  projectId: string;

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

  /** Bumped by every change its own GET answer shows (the ETag adds its collections' versions). */
  @Column({ type: 'bigint', default: 1 })
  version: string;
}
