import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { NamespaceEntity } from '#src/namespaces/namespace.entity.js';

/** A project inside a namespace. The schema mirrors migrations/; the repository uses SQL. */
@Entity('project')
@Index('uq_project_slug', ['namespaceId', 'slug'], { unique: true, where: 'deleted_at IS NULL' })
@ForeignKey(() => NamespaceEntity, ['namespaceId'], ['id'], { name: 'fk_project_namespace' })
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
}
