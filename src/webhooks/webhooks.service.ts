import { randomBytes, randomUUID } from 'node:crypto';
import { BadRequestException, Injectable } from '@nestjs/common';
import { REQUIRED_ROLE } from '../auth/roles.js';
import { Answer, segment } from '../common/answer.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { settle, type DecodeOptions } from '../common/outcome.js';
import type { PageQuery, SuccessDto } from '../common/pagination.js';
import { SUCCESS } from '../common/pagination.js';
import { RawJson } from '../common/raw-json.js';
import type { NamespaceAt } from '../common/target.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { IdempotencyService } from '../idempotency/idempotency.service.js';
import type {
  CreateWebhookDto,
  CreatedWebhookDto,
  DeliveryDto,
  DeliveryPageDto,
  PingResultDto,
  RotatedSecretDto,
  UpdateWebhookDto,
  WebhookDto,
  WebhookPageDto,
} from './dto/webhook.dto.js';
import { post } from './sender.js';
import { refuseUrl } from './url-policy.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhooksRepository, type FoundWebhook } from './webhooks.repository.js';

const ADMIN = REQUIRED_ROLE.manageMembers;

/** A new signing secret, as Standard Webhooks writes them: `whsec_` and 32 random bytes in base64. */
const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/** Webhook rules: admins of the namespace manage them; URLs are checked against the SSRF policy. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly dispatcher: WebhookDispatcher,
    private readonly idempotency: IdempotencyService,
  ) {}

  private found(at: NamespaceAt, id: string): DecodeOptions<FoundWebhook>['missing'] {
    return (row) =>
      row.webhook_found ? null : new NotFoundError(`Webhook '${id}' not found in namespace '${at.slug}'`);
  }

  /** 400 unless the URL is one a webhook may point at. */
  private async checkUrl(url: string): Promise<void> {
    const refused = await refuseUrl(url, this.dispatcher.policy);
    if (refused !== null) throw new BadRequestException([refused]);
  }

  async create(
    at: NamespaceAt,
    dto: CreateWebhookDto,
    key: IdempotencyRequest | null,
  ): Promise<Answer<CreatedWebhookDto>> {
    await this.checkUrl(dto.url);
    const webhook = {
      url: dto.url,
      types: [...new Set(dto.types ?? [])],
      description: dto.description ?? null,
      secret: newSecret(),
    };
    const answer = await this.idempotency.run(key, { status: 201 }, async (keep) => {
      return new RawJson<CreatedWebhookDto>(
        settle(await this.webhooks.create(at, webhook, ADMIN, keep), at, { needs: ADMIN }),
      );
    });
    const { id } = JSON.parse((answer.body as RawJson).text) as { id: string };
    return answer.with({ location: `/namespaces/${segment(at.slug)}/webhooks/${id}` });
  }

  async list(at: NamespaceAt, page: PageQuery): Promise<RawJson<WebhookPageDto>> {
    return new RawJson(settle(await this.webhooks.list(at, page, ADMIN), at, { needs: ADMIN }));
  }

  async get(at: NamespaceAt, id: string): Promise<RawJson<WebhookDto>> {
    return new RawJson(
      settle(await this.webhooks.find(at, id, ADMIN), at, { missing: this.found(at, id), needs: ADMIN }),
    );
  }

  async update(at: NamespaceAt, id: string, dto: UpdateWebhookDto): Promise<RawJson<WebhookDto>> {
    if (dto.url !== undefined) await this.checkUrl(dto.url);
    const patch = { ...dto, ...(dto.types ? { types: [...new Set(dto.types)] } : {}) };
    const row = await this.webhooks.update(at, id, patch, ADMIN);
    const body = settle(row, at, { missing: this.found(at, id), needs: ADMIN });
    if (dto.enabled) this.dispatcher.poke();
    return new RawJson(body);
  }

  async remove(at: NamespaceAt, id: string): Promise<SuccessDto> {
    settle(await this.webhooks.delete(at, id, ADMIN), at, { missing: this.found(at, id), needs: ADMIN });
    return SUCCESS;
  }

  rotate(at: NamespaceAt, id: string, key: IdempotencyRequest | null): Promise<Answer<RotatedSecretDto>> {
    return this.idempotency.run(key, { status: 200 }, async (keep) => {
      const row = await this.webhooks.rotate(at, id, newSecret(), ADMIN, keep);
      return new RawJson<RotatedSecretDto>(settle(row, at, { missing: this.found(at, id), needs: ADMIN }));
    });
  }

  /** Sends a `webhook.ping` now and answers what the receiver said (nothing is recorded). */
  async ping(at: NamespaceAt, id: string): Promise<PingResultDto> {
    const row = await this.webhooks.forPing(at, id, ADMIN);
    settle(row, at, { missing: this.found(at, id), needs: ADMIN });
    const webhook = row.webhook!;
    const body = JSON.stringify({
      cursor: null,
      at: new Date().toISOString(),
      type: 'webhook.ping',
      actor: at.userId,
      requestId: at.requestId,
      project: null,
      target: { kind: 'webhook', id: webhook.id, name: webhook.url },
      data: null,
    });
    const attempt = await post(
      webhook.url,
      this.dispatcher.headers(webhook, randomUUID(), body),
      body,
      this.dispatcher.policy,
    );
    return {
      delivered: attempt.ok,
      statusCode: attempt.statusCode,
      error: attempt.error,
      durationMs: attempt.durationMs,
    };
  }

  async deliveries(at: NamespaceAt, id: string, page: PageQuery): Promise<RawJson<DeliveryPageDto>> {
    const row = await this.webhooks.deliveries(at, id, page, ADMIN);
    return new RawJson(settle(row, at, { missing: this.found(at, id), needs: ADMIN }));
  }

  async redeliver(
    at: NamespaceAt,
    id: string,
    deliveryId: string,
    key: IdempotencyRequest | null,
  ): Promise<Answer<DeliveryDto>> {
    const answer = await this.idempotency.run(key, { status: 200 }, async (keep) => {
      const row = await this.webhooks.redeliver(at, id, deliveryId, ADMIN, keep);
      return new RawJson<DeliveryDto>(this.redelivered(row, at, id, deliveryId));
    });
    this.dispatcher.poke();
    return answer;
  }

  private redelivered(
    row: FoundWebhook & { delivery_found: boolean },
    at: NamespaceAt,
    id: string,
    deliveryId: string,
  ): string {
    return settle(row, at, {
      missing: (r) =>
        !r.webhook_found
          ? new NotFoundError(`Webhook '${id}' not found in namespace '${at.slug}'`)
          : r.delivery_found
            ? null
            : new NotFoundError(`Delivery '${deliveryId}' not found for webhook '${id}'`),
      needs: ADMIN,
      refuse: (r) =>
        r.body === null
          ? new ConflictError(
              `Delivery '${deliveryId}' is the webhook's next one in order: it is retried on its own schedule`,
            )
          : null,
    });
  }
}
