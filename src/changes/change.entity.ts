import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { NamespaceEntity } from '#src/namespaces/namespace.entity.js';

/** One change of the feed: written by the statement that makes it, its cursor given at commit. */
@Entity('change')
@Index('uq_change_cursor', ['namespaceId', 'cursor'], { unique: true, where: 'cursor IS NOT NULL' })
@Index('ix_change_at', ['at'])
@ForeignKey(() => NamespaceEntity, ['namespaceId'], ['id'], { name: 'fk_change_namespace', onDelete: 'CASCADE' })
export class ChangeEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_change' })
  namespaceId: string;

  @PrimaryColumn({
    type: 'bigint',
    generatedIdentity: 'ALWAYS',
    generated: 'identity',
    primaryKeyConstraintName: 'pk_change',
  })
  id: string;

  @Column({ type: 'bigint', nullable: true })
  cursor: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at: Date;

  @Column({ type: 'varchar', length: 40 })
  type: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  actor: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;

  @Column({ name: 'project_id', type: 'uuid', nullable: true })
  projectId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  project: string | null;

  @Column({ name: 'target_kind', type: 'varchar', length: 16, nullable: true })
  targetKind: string | null;

  @Column({ name: 'target_id', type: 'uuid', nullable: true })
  targetId: string | null;

  @Column({ name: 'target_name', type: 'varchar', length: 255, nullable: true })
  targetName: string | null;

  @Column({ type: 'jsonb', nullable: true })
  data: Record<string, unknown> | null;
}

/** A namespace's last cursor (taken under this row's lock at commit) and how far the retention purge went. */
@Entity('change_seq')
@ForeignKey(() => NamespaceEntity, ['namespaceId'], ['id'], { name: 'fk_change_seq_namespace', onDelete: 'CASCADE' })
export class ChangeSeqEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_change_seq' })
  namespaceId: string;

  @Column({ type: 'bigint', default: 0 })
  last: string;

  @Column({ name: 'purged_through', type: 'bigint', default: 0 })
  purgedThrough: string;
}
