import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Clock } from '#src/webhooks/clock.js';
import { WebhookDispatcher } from '#src/webhooks/webhook-dispatcher.js';
import { ISO, TestApp, UUID, answer, testConfig, type Json } from './harness.js';
import { OWNER, READER, WRITER, createDataset, workspace } from './factories.js';

/*
 * Webhooks (docs/CONTRACT.md, "Changes and webhooks"): admins register them; the dispatcher sends
 * each change of the feed, in order, signed per Standard Webhooks, retrying with backoff (the
 * test moves the service's clock instead of waiting) until WEBHOOK_RETRY_HOURS; URLs pointing
 * inside the network are refused unless allowed.
 */

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on 127.0.0.1 that records what it is sent and answers `status()` to each request. */
async function receiver(
  status: () => number = () => 200,
): Promise<{ url: string; got: Received[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.statusCode = status();
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('webhooks', () => {
  let t: TestApp;
  let dispatcher: WebhookDispatcher;
  let clock: Clock;

  beforeAll(async () => {
    t = await TestApp.start(
      testConfig({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_RETRY_HOURS: '72' }),
    );
    dispatcher = t.app.get(WebhookDispatcher);
    clock = t.app.get(Clock);
  });
  afterAll(async () => {
    await t.close();
  });

  it('create (admin) answers the secret once; GET and the list never show it', async () => {
    const { ns } = await workspace(t);
    const hook = await receiver();
    try {
      const created = await t.exchange('post', `/namespaces/${ns}/webhooks`, {
        as: OWNER,
        body: { url: hook.url, types: ['dataset.created'], description: 'indexer' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: UUID,
        url: hook.url,
        types: ['dataset.created'],
        description: 'indexer',
        createdAt: ISO,
        enabled: true,
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      });
      expect(created.headers.location).toBe(`/namespaces/${ns}/webhooks/${created.body.id}`);
      const { secret, ...shown } = created.body as Json;
      void secret;
      expect((await t.get(`/namespaces/${ns}/webhooks/${created.body.id}`, OWNER)).body).toEqual(shown);
      expect((await t.get(`/namespaces/${ns}/webhooks`, OWNER)).body).toEqual({
        webhooks: [shown],
        page: 1,
        pageSize: 50,
        total: 1,
        totalPages: 1,
      });
      expect((await t.post(`/namespaces/${ns}/webhooks`, WRITER, { url: hook.url })).status).toBe(403);
      expect((await t.get(`/namespaces/${ns}/webhooks/nope`, OWNER)).status).toBe(404);
    } finally {
      await hook.close();
    }
  });

  it('refuses URLs that point inside the network unless their host is allowed, and http unless allowed', async () => {
    const { ns } = await workspace(t);
    const refused = async (url: string) => (await t.post(`/namespaces/${ns}/webhooks`, OWNER, { url })).body.message;
    expect(await refused('http://169.254.169.254/latest/meta-data')).toEqual([
      "url's host '169.254.169.254' resolves to an internal address (169.254.169.254); list it in WEBHOOK_ALLOWED_HOSTS to allow it",
    ]);
    for (const url of [
      'http://10.1.2.3/',
      'http://localhost:9/',
      'http://[::1]/',
      'http://192.168.0.1/',
      'http://[::ffff:10.0.0.1]/',
    ]) {
      expect((await t.post(`/namespaces/${ns}/webhooks`, OWNER, { url })).status).toBe(400);
    }
    expect(await refused('ftp://example.com/')).toEqual(['url must be http or https']);
    const strict = await TestApp.start(testConfig());
    try {
      const other = await workspace(strict);
      const res = await strict.post(`/namespaces/${other.ns}/webhooks`, OWNER, { url: 'http://127.0.0.1:9/' });
      expect(res).toEqual({ ...answer(400, ['url must be https (WEBHOOK_ALLOW_HTTP is off)']), statements: 0 });
    } finally {
      await strict.close();
    }
  });

  it('delivers each change in order, signed (Standard Webhooks), and logs the deliveries', async () => {
    const { ns, path } = await workspace(t);
    const hook = await receiver();
    try {
      const created = await t.post(`/namespaces/${ns}/webhooks`, OWNER, { url: hook.url });
      const secret = created.body.secret as string;
      for (const name of ['a', 'b', 'c']) await createDataset(t, path, { name });
      await dispatcher.flush();
      const bodies = hook.got.map((r) => JSON.parse(r.body) as Json);
      expect(bodies.map((b) => [b.type, b.target.name])).toEqual([
        ['dataset.created', 'a'],
        ['dataset.created', 'b'],
        ['dataset.created', 'c'],
      ]);
      const feed = (await t.get(`/namespaces/${ns}/changes`, READER, `after=${Number(bodies[0].cursor) - 1}`)).body
        .changes;
      expect(bodies).toEqual(feed);
      for (const r of hook.got) {
        expect(new Webhook(secret).verify(r.body, r.headers as Record<string, string>)).toEqual(JSON.parse(r.body));
      }
      const log = await t.get(`/namespaces/${ns}/webhooks/${created.body.id}/deliveries`, OWNER);
      expect(log.body.deliveries).toHaveLength(3);
      expect(log.body.deliveries[0]).toEqual({
        id: UUID,
        cursor: bodies[2].cursor,
        type: 'dataset.created',
        status: 'delivered',
        attempts: 1,
        lastStatusCode: 200,
        lastError: null,
        nextAttemptAt: null,
        deliveredAt: ISO,
      });
    } finally {
      await hook.close();
    }
  });

  it('a receiver that answers 500 three times then 200 gets the change once more, with the same webhook-id', async () => {
    const { ns, path } = await workspace(t);
    let calls = 0;
    const hook = await receiver(() => (++calls <= 3 ? 500 : 200));
    try {
      const created = await t.post(`/namespaces/${ns}/webhooks`, OWNER, { url: hook.url });
      await createDataset(t, path, { name: 'retried' });
      for (let i = 0; i < 4; i++) {
        await dispatcher.flush();
        clock.advance(10 * 60_000); // past any backoff so far
      }
      expect(hook.got).toHaveLength(4);
      expect(new Set(hook.got.map((r) => r.headers['webhook-id'])).size).toBe(1);
      for (const r of hook.got) {
        expect(
          new Webhook(created.body.secret as string).verify(r.body, r.headers as Record<string, string>),
        ).toBeTruthy();
      }
      const log = await t.get(`/namespaces/${ns}/webhooks/${created.body.id}/deliveries`, OWNER);
      expect(log.body.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 4, lastStatusCode: 200 });
    } finally {
      await hook.close();
    }
  });

  it('a receiver down for an hour loses nothing; one down past WEBHOOK_RETRY_HOURS is disabled', async () => {
    const { ns, path } = await workspace(t);
    let up = false;
    const hook = await receiver(() => (up ? 200 : 503));
    try {
      const created = await t.post(`/namespaces/${ns}/webhooks`, OWNER, { url: hook.url });
      for (const name of ['x1', 'x2', 'x3']) await createDataset(t, path, { name });
      for (let minute = 0; minute < 60; minute += 5) {
        await dispatcher.flush();
        clock.advance(5 * 60_000);
      }
      up = true;
      clock.advance(30 * 60_000);
      for (let i = 0; i < 3; i++) await dispatcher.flush();
      const delivered = hook.got
        .filter((r) => r.headers['webhook-id'] !== undefined)
        .map((r) => JSON.parse(r.body) as Json);
      const names = [...new Set(delivered.map((b) => b.target.name as string))];
      expect(names).toEqual(['x1', 'x2', 'x3']);
      // Down for good: after WEBHOOK_RETRY_HOURS the webhook is disabled.
      up = false;
      await createDataset(t, path, { name: 'x4' });
      await dispatcher.flush();
      clock.advance(73 * 3600_000);
      await dispatcher.flush();
      expect((await t.get(`/namespaces/${ns}/webhooks/${created.body.id}`, OWNER)).body.enabled).toBe(false);
      const log = await t.get(`/namespaces/${ns}/webhooks/${created.body.id}/deliveries`, OWNER);
      expect(log.body.deliveries[0]).toMatchObject({ status: 'failed', lastStatusCode: 503 });
      // Re-enabled, it resumes where it stopped.
      up = true;
      expect(
        (await t.patch(`/namespaces/${ns}/webhooks/${created.body.id}`, OWNER, { enabled: true })).body.enabled,
      ).toBe(true);
      await dispatcher.flush();
      expect(JSON.parse(hook.got.at(-1)!.body).target.name).toBe('x4');
    } finally {
      await hook.close();
    }
  });

  it('ping, rotate-secret (the old secret still signs for a day), redeliver and delete', async () => {
    const { ns, path } = await workspace(t);
    const hook = await receiver();
    try {
      const created = await t.post(`/namespaces/${ns}/webhooks`, OWNER, { url: hook.url });
      const id = created.body.id as string;
      const ping = await t.post(`/namespaces/${ns}/webhooks/${id}/ping`, OWNER);
      expect(ping).toEqual({
        status: 200,
        body: { delivered: true, statusCode: 200, error: null, durationMs: expect.any(Number) },
        statements: 1,
      });
      expect(JSON.parse(hook.got[0].body)).toMatchObject({ type: 'webhook.ping', target: { kind: 'webhook', id } });
      const rotated = await t.post(`/namespaces/${ns}/webhooks/${id}/rotate-secret`, OWNER);
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).not.toBe(created.body.secret);
      await createDataset(t, path, { name: 'signed' });
      await dispatcher.flush();
      const last = hook.got.at(-1)!;
      for (const secret of [rotated.body.secret as string, created.body.secret as string]) {
        expect(new Webhook(secret).verify(last.body, last.headers as Record<string, string>)).toBeTruthy();
      }
      const delivery = (await t.get(`/namespaces/${ns}/webhooks/${id}/deliveries`, OWNER)).body.deliveries[0] as Json;
      const again = await t.post(`/namespaces/${ns}/webhooks/${id}/deliveries/${delivery.id}/redeliver`, OWNER);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id: delivery.id, status: 'pending' });
      await dispatcher.flush();
      expect(hook.got.at(-1)!.headers['webhook-id']).toBe(last.headers['webhook-id']);
      expect(hook.got.at(-1)!.body).toBe(last.body);
      expect(await t.delete(`/namespaces/${ns}/webhooks/${id}`, OWNER)).toEqual({
        status: 200,
        body: { success: true },
        statements: 1,
      });
      expect((await t.get(`/namespaces/${ns}/webhooks/${id}`, OWNER)).status).toBe(404);
    } finally {
      await hook.close();
    }
  });
});
