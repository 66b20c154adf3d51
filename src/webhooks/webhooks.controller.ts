import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AnswerInterceptor } from '../common/answer.js';
import { ApiErrors, forbidden, IDEMPOTENCY, notFound } from '../common/api-errors.js';
import { ApiPathParams } from '../common/api-params.js';
import { PageQuery, SuccessDto } from '../common/pagination.js';
import type { RawJson } from '../common/raw-json.js';
import { At, type NamespaceAt } from '../common/target.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import {
  CreatedWebhookDto,
  CreateWebhookDto,
  DeliveryDto,
  DeliveryPageDto,
  PingResultDto,
  RotatedSecretDto,
  UpdateWebhookDto,
  WebhookDto,
  WebhookPageDto,
} from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

const NOT_FOUND = {
  ...notFound('namespace'),
  webhook: "Webhook '5d1c8f0e-3b7a-4f2e-9c61-8a4d2b7e0f13' not found in namespace 'acme'",
};
const BAD_URL =
  "url's host 'metadata.internal' resolves to an internal address (169.254.169.254); list it in WEBHOOK_ALLOWED_HOSTS to allow it";

/** A namespace's webhooks (admins): changes of the feed delivered as signed POSTs (Standard Webhooks). */
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiPathParams()
@Controller('namespaces/:slug/webhooks')
@UseInterceptors(AnswerInterceptor)
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary: 'Register a webhook (admin); it is sent the changes committed from now on',
    description:
      'Each change goes out as a `POST` of its JSON (as the feed shows it) with the Standard Webhooks headers ' +
      '`webhook-id` (the same on every attempt), `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256 ' +
      'of "id.timestamp.body">` with `secret`); in feed order; a 2xx within 10 s is success, anything else is retried ' +
      'with exponential backoff for `WEBHOOK_RETRY_HOURS`, then the webhook is disabled. The secret is shown only here.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto, description: 'The webhook, with its signing secret' })
  @ApiErrors({
    400: [BAD_URL],
    403: forbidden('admin'),
    404: notFound('namespace'),
    409: {
      taken: "A webhook for 'https://203.0.113.10/dreamlake' already exists in namespace 'acme'",
      'key in progress': IDEMPOTENCY.inProgress,
    },
    422: IDEMPOTENCY.reused,
    body: 'json',
  })
  @ApiIdempotent()
  create(@At() at: NamespaceAt, @Body() dto: CreateWebhookDto, @IdempotencyKey() key: IdempotencyRequest | null) {
    return this.webhooks.create(at, dto, key);
  }

  @Get()
  @ApiOperation({ summary: "The namespace's webhooks (admin), oldest first" })
  @ApiOkResponse({ type: WebhookPageDto, description: 'A page of webhooks' })
  @ApiErrors({ 403: forbidden('admin'), 404: notFound('namespace') })
  list(@At() at: NamespaceAt, @Query() query: PageQuery): Promise<RawJson<WebhookPageDto>> {
    return this.webhooks.list(at, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A webhook (admin)' })
  @ApiOkResponse({ type: WebhookDto, description: 'The webhook' })
  @ApiErrors({ 403: forbidden('admin'), 404: NOT_FOUND })
  get(@At() at: NamespaceAt, @Param('id') id: string): Promise<RawJson<WebhookDto>> {
    return this.webhooks.get(at, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change its url or types, pause or resume it (admin)' })
  @ApiOkResponse({ type: WebhookDto, description: 'The webhook as it is now' })
  @ApiErrors({ 400: [BAD_URL], 403: forbidden('admin'), 404: NOT_FOUND, body: 'json' })
  update(@At() at: NamespaceAt, @Param('id') id: string, @Body() dto: UpdateWebhookDto): Promise<RawJson<WebhookDto>> {
    return this.webhooks.update(at, id, dto);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a webhook and its delivery log (admin)' })
  @ApiOkResponse({ type: SuccessDto, description: 'Deleted' })
  @ApiErrors({ 403: forbidden('admin'), 404: NOT_FOUND })
  remove(@At() at: NamespaceAt, @Param('id') id: string): Promise<SuccessDto> {
    return this.webhooks.remove(at, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'Give the webhook a new secret (admin); the old one also signs for 24 hours' })
  @ApiOkResponse({ type: RotatedSecretDto, description: 'The webhook with its new secret (shown only here)' })
  @ApiErrors({ 403: forbidden('admin'), 404: NOT_FOUND, 409: IDEMPOTENCY.inProgress, 422: IDEMPOTENCY.reused })
  @ApiIdempotent()
  rotate(@At() at: NamespaceAt, @Param('id') id: string, @IdempotencyKey() key: IdempotencyRequest | null) {
    return this.webhooks.rotate(at, id, key);
  }

  @Post(':id/ping')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send a signed `webhook.ping` now and answer what the receiver said (admin)',
    description: 'Nothing is recorded, so a repeat (with or without Idempotency-Key) sends another ping.',
  })
  @ApiOkResponse({ type: PingResultDto, description: "The receiver's answer" })
  @ApiErrors({ 403: forbidden('admin'), 404: NOT_FOUND })
  ping(@At() at: NamespaceAt, @Param('id') id: string): Promise<PingResultDto> {
    return this.webhooks.ping(at, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "The webhook's deliveries, newest first (admin)" })
  @ApiOkResponse({ type: DeliveryPageDto, description: 'A page of deliveries' })
  @ApiErrors({ 403: forbidden('admin'), 404: NOT_FOUND })
  deliveries(
    @At() at: NamespaceAt,
    @Param('id') id: string,
    @Query() query: PageQuery,
  ): Promise<RawJson<DeliveryPageDto>> {
    return this.webhooks.deliveries(at, id, query);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a past delivery again, now, with the same webhook-id (admin)' })
  @ApiOkResponse({ type: DeliveryDto, description: 'The delivery, queued' })
  @ApiErrors({
    403: forbidden('admin'),
    404: {
      ...NOT_FOUND,
      delivery:
        "Delivery '0b6f6c55-1f3e-4c8e-9d55-2a7f1e9c3b21' not found for webhook '5d1c8f0e-3b7a-4f2e-9c61-8a4d2b7e0f13'",
    },
    409: IDEMPOTENCY.inProgress,
    422: IDEMPOTENCY.reused,
  })
  @ApiIdempotent()
  redeliver(
    @At() at: NamespaceAt,
    @Param('id') id: string,
    @Param('deliveryId') deliveryId: string,
    @IdempotencyKey() key: IdempotencyRequest | null,
  ) {
    return this.webhooks.redeliver(at, id, deliveryId, key);
  }
}
