import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ChangeNotifier } from '../changes/change-notifier.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { Clock } from './clock.js';
import { post, signedHeaders, DELIVERY_TIMEOUT_MS } from './sender.js';
import type { UrlPolicy } from './url-policy.js';
import { WebhooksRepository, type ClaimedWebhook } from './webhooks.repository.js';

/** How often an instance looks for due deliveries besides being told a change committed. */
const TICK_MS = 1000;
/** Webhooks a pass takes; each is delivered to in feed order, one change at a time. */
const CLAIM = 10;
/** A claim lasts longer than a delivery's timeout, so no two instances ever send the same one. */
const LEASE_MS = DELIVERY_TIMEOUT_MS * 3;
/** Changes read at most looking for one of a webhook's types. */
const SCAN = 1000;
/** The previous secret still signs this long after a rotation. */
const ROTATION_GRACE_MS = 24 * 3600_000;

/** The wait before attempt n+1 after n failures: 5 s, 10 s, 20 s, … at most 30 minutes. */
export const backoffMs = (attempts: number): number => Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 30 * 60_000);

/** The webhook-id of a change's delivery to a webhook: the same on every attempt and redelivery. */
export const messageId = (deliveryId: string): string => `msg_${deliveryId.replace(/-/g, '')}`;

/**
 * Delivers the change feed to webhooks (Standard Webhooks): any instance may deliver; a webhook is
 * claimed (FOR UPDATE SKIP LOCKED, then a lease) before its next change is sent, so a delivery is
 * never sent by two instances at once; a webhook's changes go out in feed order, each retried with
 * exponential backoff until it succeeds or WEBHOOK_RETRY_HOURS pass (then the webhook is disabled).
 * Runs beside requests, never in them: a webhook never slows or fails the request that caused it.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  readonly policy: UrlPolicy;

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly notifier: ChangeNotifier,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.policy = { allowHttp: config.changes.webhookAllowHttp, allowedHosts: config.changes.webhookAllowedHosts };
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = this.notifier.subscribe(() => this.poke());
    this.timer = setInterval(() => this.poke(), TICK_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.running?.catch(() => undefined);
  }

  /** Starts a pass now, or another right after the one running. */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.poke();
      }
    });
  }

  /** Waits for the pass in progress, then makes one more: everything due by now is attempted once (tests). */
  async flush(): Promise<void> {
    await this.running?.catch(() => undefined);
    this.poke();
    await this.running;
  }

  /** Delivers until nothing is due. */
  private async run(): Promise<void> {
    try {
      for (;;) {
        if (this.stopped) return;
        const now = this.clock.now();
        const claimed = await this.webhooks.claim(now, LEASE_MS, CLAIM);
        const redeliveries = await this.webhooks.claimRedeliveries(now, LEASE_MS, CLAIM);
        if (claimed.length === 0 && redeliveries.length === 0) break;
        await Promise.all([
          ...claimed.map((webhook) => this.deliverNext(webhook)),
          ...redeliveries.map((r) => this.redeliver(r)),
        ]);
        this.metrics.setWebhookLag(await this.webhooks.lag());
      }
    } catch (error) {
      this.logger.warn(`delivering webhooks failed: ${(error as Error).message}`);
    }
  }

  /** Sends the webhook's next change after its cursor, or moves its cursor past changes not of its types. */
  private async deliverNext(webhook: ClaimedWebhook): Promise<void> {
    const next = await this.webhooks.next(webhook, SCAN);
    if (next.cursor === null || next.body === null || next.delivery_id === null) {
      if (next.scanned !== null) await this.webhooks.skip(webhook, next.scanned);
      return;
    }
    const attempt = await post(webhook.url, this.headers(webhook, next.delivery_id, next.body), next.body, this.policy);
    const now = this.clock.now();
    const failingSince = webhook.failing_since ?? now;
    const expired =
      !attempt.ok && now.getTime() - failingSince.getTime() >= this.config.changes.webhookRetryHours * 3600_000;
    await this.webhooks.finish(webhook, {
      deliveryId: next.delivery_id,
      cursor: next.cursor,
      ok: attempt.ok,
      statusCode: attempt.statusCode,
      error: attempt.error,
      now,
      retryAt: new Date(now.getTime() + backoffMs(next.attempts ?? 1)),
      disable: expired,
      inOrder: true,
    });
    this.metrics.webhookDelivery(attempt.ok ? 'delivered' : expired ? 'failed' : 'retrying');
    if (expired) this.logger.warn(`webhook ${webhook.id} disabled: failing since ${failingSince.toISOString()}`);
  }

  /** Sends a delivery again, as asked by hand; its outcome is recorded, the webhook's order untouched. */
  private async redeliver(
    r: ClaimedWebhook & { delivery_id: string; delivery_cursor: string; body: string | null },
  ): Promise<void> {
    const now = this.clock.now();
    const attempt =
      r.body === null
        ? { ok: false, statusCode: null, error: 'the change is no longer kept (CHANGES_RETENTION_DAYS)' }
        : await post(r.url, this.headers(r, r.delivery_id, r.body), r.body, this.policy);
    await this.webhooks.finish(r, {
      deliveryId: r.delivery_id,
      cursor: r.delivery_cursor,
      ok: attempt.ok,
      statusCode: attempt.statusCode,
      error: attempt.error,
      now,
      retryAt: now,
      disable: false,
      inOrder: false,
    });
    this.metrics.webhookDelivery(attempt.ok ? 'delivered' : 'failed');
  }

  /**
   * The signed headers of a delivery: with the previous secret too for a day after a rotation. In
   * real time (not the retry clock): receivers check the timestamp against theirs.
   */
  headers(
    webhook: Pick<ClaimedWebhook, 'secret' | 'previous_secret' | 'rotated_at'>,
    deliveryId: string,
    body: string,
  ) {
    const now = new Date();
    const rotatedAt = webhook.rotated_at === null ? null : new Date(webhook.rotated_at);
    const secrets =
      webhook.previous_secret !== null && rotatedAt !== null && now.getTime() - rotatedAt.getTime() < ROTATION_GRACE_MS
        ? [webhook.secret, webhook.previous_secret]
        : [webhook.secret];
    return signedHeaders(messageId(deliveryId), body, secrets, now);
  }
}
