import { ChangeEntity, ChangeSeqEntity } from '#src/changes/change.entity.js';
import { CollectionEntity, CollectionMemberEntity, MemberHistoryEntity } from '#src/collections/collection.entity.js';
import { DatasetEntity } from '#src/datasets/dataset.entity.js';
import { IdempotencyKeyEntity } from '#src/idempotency/idempotency-key.entity.js';
import { MemberStatsEntity, NamespaceEntity, NamespaceMemberEntity } from '#src/namespaces/namespace.entity.js';
import { ProjectEntity, TagCountEntity } from '#src/projects/project.entity.js';
import {
  DatasetVersionEntity,
  VersionCollectionEntity,
  VersionCounterEntity,
  VersionTagEntity,
} from '#src/versions/version.entity.js';
import { WebhookDeliveryEntity, WebhookEntity } from '#src/webhooks/webhook.entity.js';

/** Every entity: they describe the schema for `migration:generate`; queries are hand-written SQL. */
export const ENTITIES = [
  NamespaceEntity,
  NamespaceMemberEntity,
  ProjectEntity,
  DatasetEntity,
  CollectionEntity,
  CollectionMemberEntity,
  MemberStatsEntity,
  IdempotencyKeyEntity,
  TagCountEntity,
  MemberHistoryEntity,
  DatasetVersionEntity,
  VersionCounterEntity,
  VersionCollectionEntity,
  VersionTagEntity,
  ChangeEntity,
  ChangeSeqEntity,
  WebhookEntity,
  WebhookDeliveryEntity,
];
