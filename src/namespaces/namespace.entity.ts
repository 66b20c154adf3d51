import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/** A tenant. The schema mirrors migrations/; the repository reads and writes it with SQL. */
@Entity('namespace')
@Index('uq_namespace_slug', ['slug'], { unique: true, where: 'deleted_at IS NULL' })
export class NamespaceEntity {
  @PrimaryColumn({ type: 'uuid', generated: 'uuid', primaryKeyConstraintName: 'pk_namespace' })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  slug: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'jsonb', nullable: true })
  metadata: Record<string, unknown> | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}

/** A user's role in a namespace; the user is a JWT `sub`. */
@Entity('namespace_member')
@Index('ix_namespace_member_user', ['userId'])
@Check('ck_namespace_member_role', `role IN ('owner', 'admin', 'writer', 'reader')`)
@ForeignKey(() => NamespaceEntity, ['namespaceId'], ['id'], {
  name: 'fk_namespace_member_namespace',
  onDelete: 'CASCADE',
})
export class NamespaceMemberEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_namespace_member' })
  namespaceId: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 255, primaryKeyConstraintName: 'pk_namespace_member' })
  userId: string;

  @Column({ type: 'varchar', length: 16 })
  role: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
