import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn, Unique } from 'typeorm';
import { NamespaceEntity } from '#src/namespaces/namespace.entity.js';

/** A namespace's webhook: where changes of the feed are delivered, and how far delivery got. */
@Entity('webhook')
@Index('ix_webhook_namespace', ['namespaceId', 'createdAt', 'id'])
@Index('uq_webhook_url', ['namespaceId', 'url'], { unique: true })
@Index('ix_webhook_enabled', ['nextAttemptAt'], { where: 'enabled' })
@ForeignKey(() => NamespaceEntity, ['namespaceId'], ['id'], { name: 'fk_webhook_namespace', onDelete: 'CASCADE' })
export class WebhookEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_webhook' })
  namespaceId: string;

  @PrimaryColumn({ type: 'uuid', generated: 'uuid', primaryKeyConstraintName: 'pk_webhook' })
  id: string;

  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  types: string[];

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'varchar', length: 100 })
  secret: string;

  @Column({ name: 'previous_secret', type: 'varchar', length: 100, nullable: true })
  previousSecret: string | null;

  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt: Date | null;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** The last change of the feed delivered (or skipped as not of its types). */
  @Column({ type: 'bigint', default: 0 })
  cursor: string;

  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince: Date | null;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  /** An instance delivering holds the webhook until then (no two instances send at once). */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  @Column({ name: 'created_by', type: 'varchar', length: 255 })
  createdBy: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}

/** One change sent (or being sent) to one webhook: its attempts and outcome. */
@Entity('webhook_delivery')
@Unique('uq_webhook_delivery_cursor', ['namespaceId', 'webhookId', 'cursor'])
@Check('ck_webhook_delivery_status', "status IN ('pending', 'delivered', 'failed')")
@Index('ix_webhook_delivery_pending', ['nextAttemptAt'], { where: "status = 'pending'" })
@ForeignKey(() => WebhookEntity, ['namespaceId', 'webhookId'], ['namespaceId', 'id'], {
  name: 'fk_webhook_delivery_webhook',
  onDelete: 'CASCADE',
})
export class WebhookDeliveryEntity {
  @PrimaryColumn({ name: 'namespace_id', type: 'uuid', primaryKeyConstraintName: 'pk_webhook_delivery' })
  namespaceId: string;

  @PrimaryColumn({ type: 'uuid', generated: 'uuid', primaryKeyConstraintName: 'pk_webhook_delivery' })
  id: string;

  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId: string;

  @Column({ type: 'bigint' })
  cursor: string;

  @Column({ type: 'varchar', length: 40 })
  type: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: string;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'last_status_code', type: 'integer', nullable: true })
  lastStatusCode: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
