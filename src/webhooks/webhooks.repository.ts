import { Injectable } from '@nestjs/common';
import type { Role } from '../auth/roles.js';
import type { Found } from '../common/outcome.js';
import type { NamespaceAt } from '../common/target.js';
import { Database } from '../database/database.js';
import { jsonOf } from '../database/fragments.js';
import { GenerateSql } from '../database/generate-sql.js';
import { namespaceScope, roleAllows, type Scope } from '../database/scope.js';
import { iso, jsonArray, pageBody, pageWindow, sql, type PageWindow, type Sql } from '../database/sql.js';
import { keepAnswer, type Keep } from '../idempotency/keep.js';
import type { DeliveryDto, WebhookDto } from './dto/webhook.dto.js';

/** A webhook route's row: the scope, then whether the webhook (and delivery) named in the path is there. */
export interface FoundWebhook extends Found {
  webhook_found: boolean;
}

/** What the dispatcher works with: a webhook claimed for delivery. */
export interface ClaimedWebhook {
  namespace_id: string;
  id: string;
  url: string;
  types: string[];
  secret: string;
  previous_secret: string | null;
  rotated_at: Date | null;
  cursor: string;
  failing_since: Date | null;
}

/** A change to deliver, as the feed shows it (JSON text), and the delivery row that carries it. */
export interface NextDelivery {
  /** The last change read looking for one of the webhook's types (its cursor moves here when none is). */
  scanned: string | null;
  cursor: string | null;
  type: string | null;
  body: string | null;
  delivery_id: string | null;
  attempts: number | null;
}

/** The webhook object from row `w`. */
const WEBHOOK_FIELDS = {
  id: sql`w.id`,
  url: sql`w.url`,
  types: sql`to_json(w.types)`,
  description: sql`w.description`,
  createdAt: iso(sql`w.created_at`),
  enabled: sql`w.enabled`,
};
const WEBHOOK_JSON = jsonOf<WebhookDto>(WEBHOOK_FIELDS);

const DELIVERY_JSON = jsonOf<DeliveryDto>({
  id: sql`d.id`,
  cursor: sql`d.cursor::text`,
  type: sql`d.type`,
  status: sql`d.status`,
  attempts: sql`d.attempts`,
  lastStatusCode: sql`d.last_status_code`,
  lastError: sql`d.last_error`,
  nextAttemptAt: sql`CASE WHEN d.status = 'pending' THEN ${iso(sql`d.next_attempt_at`)} END`,
  deliveredAt: iso(sql`d.delivered_at`),
});

/** A change as the feed and the webhooks show it, from row `c`. */
export const CHANGE_BODY = sql`json_build_object('cursor', c.cursor::text, 'at', ${iso(sql`c.at`)}, 'type', c.type,
  'actor', c.actor, 'requestId', c.request_id, 'project', c.project,
  'target', json_build_object('kind', c.target_kind, 'id', c.target_id, 'name', c.target_name), 'data', c.data)::text`;

/** CTE `wh`: the namespace's webhook with the path's id (none when it is not a uuid), locked when asked. */
const webhookById = (_scope: Scope<'ns'>, id: string, lock = sql``): Sql => sql`wh AS (
    SELECT w.* FROM webhook w, ns
    WHERE w.namespace_id = ns.id
      AND w.id = (CASE WHEN ${id}::text ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN ${id}::text::uuid END)
    ${lock}
  )`;

/** Webhooks of a namespace (admins) and their deliveries; the dispatcher's statements. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly db: Database) {}

  /** Registers a webhook that delivers the changes committed from now on. */
  @GenerateSql({
    params: (f) => [
      at(f),
      { url: 'https://hooks.example.com/x', types: [], description: null, secret: 'whsec_x' },
      'admin',
    ],
    keyed: true,
  })
  create(
    at: NamespaceAt,
    webhook: { url: string; types: string[]; description: string | null; secret: string },
    needs: Role,
    keep?: Keep,
  ): Promise<Found> {
    const scope = namespaceScope(at);
    const body = sql`(SELECT ${jsonOf({ ...WEBHOOK_FIELDS, secret: sql`w.secret` })}::text FROM w)`;
    return this.db.one(
      sql`WITH ${scope.with},
       w AS (
         INSERT INTO webhook (namespace_id, url, types, description, secret, cursor, created_by)
         SELECT ns.id, ${webhook.url}::text, ${webhook.types}::text[], ${webhook.description}::text, ${webhook.secret}::text,
                coalesce((SELECT s.last FROM change_seq s WHERE s.namespace_id = ns.id), 0), ${at.userId}::text
         FROM ns WHERE ${roleAllows(scope, needs)}
         RETURNING *
       )${keepAnswer(keep, body)}
       SELECT ${scope.found}, ${body} AS body`,
      { via: keep?.tx },
    );
  }

  /** One page of the namespace's webhooks, oldest first. */
  @GenerateSql({ params: (f) => [at(f), { page: 1, pageSize: 50 }, 'admin'], scaled: true })
  list(at: NamespaceAt, page: PageWindow, needs: Role): Promise<Found> {
    const scope = namespaceScope(at);
    return this.db.one(
      sql`WITH ${scope.with},
       page AS (
         SELECT w.* FROM ns CROSS JOIN LATERAL (
           SELECT w.* FROM webhook w WHERE w.namespace_id = ns.id ORDER BY w.created_at, w.id ${pageWindow(page)}
         ) w WHERE ${roleAllows(scope, needs)}
       )
       SELECT ${scope.found},
              ${pageBody(
                'webhooks',
                sql`(SELECT ${jsonArray(WEBHOOK_JSON, sql`w.created_at, w.id`)} FROM page w)`,
                sql`(SELECT count(*) FROM webhook w, ns WHERE w.namespace_id = ns.id)`,
                page,
              )} AS body`,
    );
  }

  /** One webhook (no secret). */
  @GenerateSql({ params: (f) => [at(f), EXAMPLE_ID, 'admin'] })
  find(at: NamespaceAt, id: string, needs: Role): Promise<FoundWebhook> {
    const scope = namespaceScope(at);
    return this.db.one(
      sql`WITH ${scope.with}, ${webhookById(scope, id)}
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM wh) AS webhook_found,
              (SELECT ${WEBHOOK_JSON}::text FROM wh w WHERE ${roleAllows(scope, needs)}) AS body`,
    );
  }

  /** Changes its url, types or enabled; re-enabling clears its failure and resumes where it stopped. */
  @GenerateSql({ params: (f) => [at(f), EXAMPLE_ID, { enabled: true }, 'admin'] })
  update(
    at: NamespaceAt,
    id: string,
    patch: { url?: string; types?: string[]; enabled?: boolean },
    needs: Role,
  ): Promise<FoundWebhook> {
    const scope = namespaceScope(at);
    const body = sql`${JSON.stringify(patch)}::jsonb`;
    return this.db.one(
      sql`WITH ${scope.with}, ${webhookById(scope, id)},
       w AS (
         UPDATE webhook w SET
           url = CASE WHEN ${body} ? 'url' THEN ${body}->>'url' ELSE w.url END,
           types = CASE WHEN ${body} ? 'types' THEN ARRAY(SELECT jsonb_array_elements_text(${body}->'types')) ELSE w.types END,
           enabled = CASE WHEN ${body} ? 'enabled' THEN (${body}->>'enabled')::boolean ELSE w.enabled END,
           failing_since = CASE WHEN (${body}->>'enabled')::boolean THEN NULL ELSE w.failing_since END,
           next_attempt_at = CASE WHEN (${body}->>'enabled')::boolean THEN NULL ELSE w.next_attempt_at END,
           updated_at = now()
         FROM wh
         WHERE w.namespace_id = wh.namespace_id AND w.id = wh.id AND ${roleAllows(scope, needs)}
         RETURNING w.*
       )
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM wh) AS webhook_found, (SELECT ${WEBHOOK_JSON}::text FROM w) AS body`,
    );
  }

  /** Deletes a webhook and its delivery log. */
  @GenerateSql({ params: (f) => [at(f), EXAMPLE_ID, 'admin'] })
  delete(at: NamespaceAt, id: string, needs: Role): Promise<FoundWebhook> {
    const scope = namespaceScope(at);
    return this.db.one(
      sql`WITH ${scope.with}, ${webhookById(scope, id)},
       gone AS (
         DELETE FROM webhook w USING wh WHERE w.namespace_id = wh.namespace_id AND w.id = wh.id AND ${roleAllows(scope, needs)}
         RETURNING 1
       )
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM wh) AS webhook_found, (SELECT 'deleted' FROM gone) AS body`,
    );
  }

  /** Gives the webhook a new secret; the old one still signs deliveries for a day. */
  @GenerateSql({ params: (f) => [at(f), EXAMPLE_ID, 'whsec_new', 'admin'], keyed: true })
  rotate(at: NamespaceAt, id: string, secret: string, needs: Role, keep?: Keep): Promise<FoundWebhook> {
    const scope = namespaceScope(at);
    const body = sql`(SELECT ${jsonOf({ ...WEBHOOK_FIELDS, secret: sql`w.secret` })}::text FROM w)`;
    return this.db.one(
      sql`WITH ${scope.with}, ${webhookById(scope, id)},
       w AS (
         UPDATE webhook w SET previous_secret = w.secret, rotated_at = now(), secret = ${secret}::text, updated_at = now()
         FROM wh WHERE w.namespace_id = wh.namespace_id AND w.id = wh.id AND ${roleAllows(scope, needs)}
         RETURNING w.*
       )${keepAnswer(keep, body)}
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM wh) AS webhook_found, ${body} AS body`,
      { via: keep?.tx },
    );
  }

  /** What a ping needs: the webhook's url and secrets (the ping itself is sent by the service). */
  @GenerateSql({ params: (f) => [at(f), EXAMPLE_ID, 'admin'] })
  forPing(at: NamespaceAt, id: string, needs: Role): Promise<FoundWebhook & { webhook: ClaimedWebhook | null }> {
    const scope = namespaceScope(at);
    return this.db.one(
      sql`WITH ${scope.with}, ${webhookById(scope, id)}
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM wh) AS webhook_found,
              (SELECT row_to_json(wh) FROM wh WHERE ${roleAllows(scope, needs)}) AS webhook,
              (SELECT 'ok' FROM wh WHERE ${roleAllows(scope, needs)}) AS body`,
    );
  }

  /** One page of a webhook's deliveries, newest first. */
  @GenerateSql({ params: (f) => [at(f), EXAMPLE_ID, { page: 1, pageSize: 50 }, 'admin'], scaled: true })
  deliveries(at: NamespaceAt, id: string, page: PageWindow, needs: Role): Promise<FoundWebhook> {
    const scope = namespaceScope(at);
    return this.db.one(
      sql`WITH ${scope.with}, ${webhookById(scope, id)},
       page AS (
         SELECT d.* FROM wh CROSS JOIN LATERAL (
           SELECT d.* FROM webhook_delivery d WHERE d.namespace_id = wh.namespace_id AND d.webhook_id = wh.id
           ORDER BY d.cursor DESC ${pageWindow(page)}
         ) d WHERE ${roleAllows(scope, needs)}
       )
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM wh) AS webhook_found,
              (SELECT ${pageBody(
                'deliveries',
                sql`(SELECT ${jsonArray(DELIVERY_JSON, sql`d.cursor DESC`)} FROM page d)`,
                sql`(SELECT count(*) FROM webhook_delivery d WHERE d.namespace_id = wh.namespace_id AND d.webhook_id = wh.id)`,
                page,
              )} FROM wh WHERE ${roleAllows(scope, needs)}) AS body`,
    );
  }

  /** Queues a delivery to be sent again now (out of feed order: a redelivery by hand). */
  @GenerateSql({ params: (f) => [at(f), EXAMPLE_ID, EXAMPLE_ID, 'admin'], keyed: true })
  redeliver(
    at: NamespaceAt,
    id: string,
    deliveryId: string,
    needs: Role,
    keep?: Keep,
  ): Promise<FoundWebhook & { delivery_found: boolean }> {
    const scope = namespaceScope(at);
    const deliveryKey = sql`(CASE WHEN ${deliveryId}::text ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN ${deliveryId}::text::uuid END)`;
    return this.db.one(
      sql`WITH ${scope.with}, ${webhookById(scope, id)},
       dl AS (SELECT d.* FROM webhook_delivery d, wh WHERE d.namespace_id = wh.namespace_id AND d.webhook_id = wh.id AND d.id = ${deliveryKey}),
       d AS (
         UPDATE webhook_delivery d SET status = 'pending', next_attempt_at = now()
         FROM dl WHERE d.namespace_id = dl.namespace_id AND d.id = dl.id AND ${roleAllows(scope, needs)}
           AND d.cursor <= (SELECT cursor FROM wh)
         RETURNING d.*
       )${keepAnswer(keep, sql`(SELECT ${DELIVERY_JSON}::text FROM d)`)}
       SELECT ${scope.found}, EXISTS (SELECT 1 FROM wh) AS webhook_found, EXISTS (SELECT 1 FROM dl) AS delivery_found,
              (SELECT ${DELIVERY_JSON}::text FROM d) AS body`,
      { via: keep?.tx },
    );
  }

  // ---- the dispatcher's statements (background work: not counted as a request's) ---------------

  /**
   * Takes up to `limit` enabled webhooks that are due and have a change after their cursor, for
   * `leaseMs` (another instance skips them meanwhile: FOR UPDATE SKIP LOCKED, then the lease).
   */
  @GenerateSql({ params: () => [new Date(0), 30_000, 10] })
  async claim(now: Date, leaseMs: number, limit: number): Promise<ClaimedWebhook[]> {
    const statement = sql`UPDATE webhook w SET lease_until = ${now}::timestamptz + make_interval(secs => ${leaseMs / 1000}::int)
      WHERE (w.namespace_id, w.id) IN (
        SELECT x.namespace_id, x.id FROM webhook x
        WHERE x.enabled AND (x.next_attempt_at IS NULL OR x.next_attempt_at <= ${now}::timestamptz)
          AND (x.lease_until IS NULL OR x.lease_until < ${now}::timestamptz)
          AND (SELECT true FROM change c WHERE c.namespace_id = x.namespace_id AND c.cursor > x.cursor LIMIT 1)
        ORDER BY x.next_attempt_at NULLS FIRST LIMIT ${limit}::int
        FOR UPDATE SKIP LOCKED)
      RETURNING w.namespace_id, w.id, w.url, w.types, w.secret, w.previous_secret, w.rotated_at, w.cursor::text, w.failing_since`;
    return this.db.maintenance(statement.text, statement.values);
  }

  /**
   * The next change of the webhook's types after its cursor (reading at most `scan` changes), and
   * the delivery row that carries it, its attempt counted.
   */
  @GenerateSql({ params: () => [{ namespace_id: EXAMPLE_ID, id: EXAMPLE_ID, cursor: '41', types: [] }, 1000] })
  async next(
    webhook: Pick<ClaimedWebhook, 'namespace_id' | 'id' | 'cursor' | 'types'>,
    scan: number,
  ): Promise<NextDelivery> {
    const statement = sql`WITH scanned AS (
         SELECT c.* FROM change c WHERE c.namespace_id = ${webhook.namespace_id}::uuid AND c.cursor > ${webhook.cursor}::bigint
         ORDER BY c.cursor LIMIT ${scan}::int
       ),
       c AS (
         SELECT * FROM scanned c WHERE cardinality(${webhook.types}::text[]) = 0 OR c.type = ANY(${webhook.types}::text[])
         ORDER BY c.cursor LIMIT 1
       ),
       d AS (
         INSERT INTO webhook_delivery AS d (namespace_id, webhook_id, cursor, type, attempts)
         SELECT ${webhook.namespace_id}::uuid, ${webhook.id}::uuid, c.cursor, c.type, 1 FROM c
         ON CONFLICT ON CONSTRAINT uq_webhook_delivery_cursor DO UPDATE SET attempts = d.attempts + 1
         RETURNING d.id, d.attempts
       )
       SELECT (SELECT max(cursor)::text FROM scanned) AS scanned, (SELECT cursor::text FROM c) AS cursor,
              (SELECT type FROM c) AS type, (SELECT ${CHANGE_BODY} FROM c) AS body,
              (SELECT id FROM d) AS delivery_id, (SELECT attempts FROM d) AS attempts`;
    const [row] = await this.db.maintenance<NextDelivery>(statement.text, statement.values);
    return row;
  }

  /** A webhook with no change of its types in what was read: its cursor moves past them. */
  @GenerateSql({ params: () => [{ namespace_id: EXAMPLE_ID, id: EXAMPLE_ID }, '42'] })
  async skip(webhook: Pick<ClaimedWebhook, 'namespace_id' | 'id'>, cursor: string): Promise<void> {
    const statement = sql`UPDATE webhook SET cursor = greatest(cursor, ${cursor}::bigint), lease_until = NULL
      WHERE namespace_id = ${webhook.namespace_id}::uuid AND id = ${webhook.id}::uuid`;
    await this.db.maintenance(statement.text, statement.values);
  }

  /**
   * Records an attempt's outcome: delivered (the webhook's cursor moves on), or failed (retried at
   * `retryAt`; past the retry window, `disable` turns the webhook off and the delivery is failed).
   */
  @GenerateSql({
    params: () => [
      { namespace_id: EXAMPLE_ID, id: EXAMPLE_ID },
      {
        deliveryId: EXAMPLE_ID,
        cursor: '42',
        ok: false,
        statusCode: 500,
        error: 'HTTP 500',
        now: new Date(0),
        retryAt: new Date(0),
        disable: false,
        inOrder: true,
      },
    ],
  })
  async finish(
    webhook: Pick<ClaimedWebhook, 'namespace_id' | 'id'>,
    outcome: {
      deliveryId: string;
      cursor: string;
      ok: boolean;
      statusCode: number | null;
      error: string | null;
      now: Date;
      retryAt: Date;
      disable: boolean;
      /** A delivery in feed order (not a redelivery by hand): it moves the webhook's cursor and its retries. */
      inOrder: boolean;
    },
  ): Promise<void> {
    const statement = sql`WITH d AS (
         UPDATE webhook_delivery SET
           status = CASE WHEN ${outcome.ok}::boolean THEN 'delivered' WHEN ${outcome.disable}::boolean OR NOT ${outcome.inOrder}::boolean THEN 'failed' ELSE 'pending' END,
           last_status_code = ${outcome.statusCode}::int, last_error = ${outcome.error}::text,
           next_attempt_at = CASE WHEN ${outcome.ok}::boolean OR ${outcome.disable}::boolean OR NOT ${outcome.inOrder}::boolean THEN NULL ELSE ${outcome.retryAt}::timestamptz END,
           delivered_at = CASE WHEN ${outcome.ok}::boolean THEN ${outcome.now}::timestamptz ELSE delivered_at END
         WHERE namespace_id = ${webhook.namespace_id}::uuid AND id = ${outcome.deliveryId}::uuid
       )
       UPDATE webhook SET
         cursor = CASE WHEN ${outcome.ok}::boolean AND ${outcome.inOrder}::boolean THEN greatest(cursor, ${outcome.cursor}::bigint) ELSE cursor END,
         failing_since = CASE WHEN NOT ${outcome.inOrder}::boolean THEN failing_since
                              WHEN ${outcome.ok}::boolean THEN NULL ELSE coalesce(failing_since, ${outcome.now}::timestamptz) END,
         next_attempt_at = CASE WHEN NOT ${outcome.inOrder}::boolean THEN next_attempt_at
                                WHEN ${outcome.ok}::boolean THEN NULL ELSE ${outcome.retryAt}::timestamptz END,
         enabled = enabled AND NOT ${outcome.disable}::boolean,
         lease_until = CASE WHEN ${outcome.inOrder}::boolean THEN NULL ELSE lease_until END
       WHERE namespace_id = ${webhook.namespace_id}::uuid AND id = ${webhook.id}::uuid`;
    await this.db.maintenance(statement.text, statement.values);
  }

  /**
   * Redeliveries asked for by hand that are due, claimed for `leaseMs` (their next attempt moves to
   * the lease's end meanwhile), with what to send.
   */
  @GenerateSql({ params: () => [new Date(0), 30_000, 10] })
  async claimRedeliveries(
    now: Date,
    leaseMs: number,
    limit: number,
  ): Promise<(ClaimedWebhook & { delivery_id: string; delivery_cursor: string; body: string | null })[]> {
    const statement = sql`WITH due AS (
         UPDATE webhook_delivery d SET next_attempt_at = ${now}::timestamptz + make_interval(secs => ${leaseMs / 1000}::int),
                attempts = d.attempts + 1
         WHERE (d.namespace_id, d.id) IN (
           SELECT x.namespace_id, x.id FROM webhook_delivery x JOIN webhook w ON w.namespace_id = x.namespace_id AND w.id = x.webhook_id
           WHERE x.status = 'pending' AND x.next_attempt_at <= ${now}::timestamptz AND x.cursor <= w.cursor
           LIMIT ${limit}::int FOR UPDATE OF x SKIP LOCKED)
         RETURNING d.*
       )
       SELECT w.namespace_id, w.id, w.url, w.types, w.secret, w.previous_secret, w.rotated_at, w.cursor::text, w.failing_since,
              due.id AS delivery_id, due.cursor::text AS delivery_cursor,
              (SELECT ${CHANGE_BODY} FROM change c WHERE c.namespace_id = due.namespace_id AND c.cursor = due.cursor) AS body
       FROM due JOIN webhook w ON w.namespace_id = due.namespace_id AND w.id = due.webhook_id`;
    return this.db.maintenance(statement.text, statement.values);
  }

  /** Changes not yet delivered, summed over enabled webhooks (the `/metrics` lag). */
  @GenerateSql({ params: () => [] })
  async lag(): Promise<number> {
    const statement = sql`SELECT coalesce(sum(greatest(s.last - w.cursor, 0)), 0)::bigint::text AS lag
      FROM webhook w JOIN change_seq s ON s.namespace_id = w.namespace_id WHERE w.enabled`;
    const [row] = await this.db.maintenance<{ lag: string }>(statement.text, statement.values);
    return Number(row.lag);
  }
}

/** Example values for GenerateSql. */
const EXAMPLE_ID = '5d1c8f0e-3b7a-4f2e-9c61-8a4d2b7e0f13';
const at = (f: { user: string; requestId: string; slug: string }): NamespaceAt => ({
  userId: f.user,
  requestId: f.requestId,
  slug: f.slug,
});
