import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/** A tenant. The schema mirrors migrations/; the repository reads and writes it with SQL. */
@Entity('namespace')
@Index('uq_namespace_slug', ['slug'], { unique: true, where: 'deleted_at IS NULL' })
// Trigram (GIN) indexes of migrations/1764300000000-Scale.ts, which TypeORM cannot describe.
@Index('ix_namespace_name_trgm', { synchronize: false })
@Index('ix_namespace_slug_trgm', { synchronize: false })
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

  /** Live projects (kept by a trigger). */
  @Column({ name: 'project_count', type: 'integer', default: 0 })
  projectCount: number;

  /** Members (kept by a trigger). */
  @Column({ name: 'member_count', type: 'integer', default: 0 })
  memberCount: number;

  /** Bumped by every change its GET answer shows (the ETag). */
  @Column({ type: 'bigint', default: 1 })
  version: string;
}

/** A user's role in a namespace; the user is a JWT `sub`. */
@Entity('namespace_member')
// Partial and expression indexes of migrations/1764300000000-Scale.ts, which TypeORM cannot describe.
@Index('ix_member_user_created', { synchronize: false })
@Index('ix_member_user_updated', { synchronize: false })
@Index('ix_member_user_name', { synchronize: false })
@Index('ix_member_user_joined', { synchronize: false })
@Index('ix_member_user_owned', { synchronize: false })
@Index('ix_member_namespace_created', { synchronize: false })
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

  // The namespace's sort keys, copied by triggers, so a user's namespaces page from these indexes.
  @Column({ name: 'ns_slug', type: 'varchar', length: 64 })
  nsSlug: string;

  @Column({ name: 'ns_name', type: 'varchar', length: 100 })
  nsName: string;

  @Column({ name: 'ns_created_at', type: 'timestamptz' })
  nsCreatedAt: Date;

  @Column({ name: 'ns_updated_at', type: 'timestamptz' })
  nsUpdatedAt: Date;

  @Column({ name: 'ns_live', type: 'boolean', default: true })
  nsLive: boolean;
}

/** How many live namespaces a user belongs to (kept by triggers): GET /me and GET /namespaces read it. */
@Entity('member_stats')
export class MemberStatsEntity {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 255, primaryKeyConstraintName: 'pk_member_stats' })
  userId: string;

  @Column({ name: 'namespace_count', type: 'integer', default: 0 })
  namespaceCount: number;
}
