import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** An answer kept under a caller's Idempotency-Key for 24 hours. */
@Entity('idempotency_key')
@Index('ix_idempotency_key_created', ['createdAt'])
export class IdempotencyKeyEntity {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 255, primaryKeyConstraintName: 'pk_idempotency_key' })
  userId: string;

  @PrimaryColumn({ type: 'varchar', length: 255, primaryKeyConstraintName: 'pk_idempotency_key' })
  key: string;

  /** sha256 of method, path and body. */
  @Column({ type: 'varchar', length: 64 })
  fingerprint: string;

  @Column({ type: 'smallint' })
  status: number;

  @Column({ type: 'text' })
  body: string;

  @Column({ type: 'text', nullable: true })
  location: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
