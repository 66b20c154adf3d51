import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { guardedLookup, isInternal, type UrlPolicy } from './url-policy.js';

/** How long a receiver has to answer (docs/CONTRACT.md: 10 s). */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** What one attempt to deliver came to. */
export interface Attempt {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * The Standard Webhooks headers of a message: `webhook-id`, `webhook-timestamp` and
 * `webhook-signature`, signed (by the standardwebhooks package) with every secret given — the
 * current one and, for a day after a rotation, the previous one.
 */
export function signedHeaders(id: string, body: string, secrets: string[], at: Date): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(id, at, body));
  return {
    'content-type': 'application/json',
    'user-agent': 'dreamlake-catalog-webhooks',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}

/** POSTs `body` to `url` with `headers`: a 2xx within the timeout is success; the answer's body is discarded. */
export function post(url: string, headers: Record<string, string>, body: string, policy: UrlPolicy): Promise<Attempt> {
  const started = Date.now();
  const done = (ok: boolean, statusCode: number | null, error: string | null): Attempt => ({
    ok,
    statusCode,
    error,
    durationMs: Date.now() - started,
  });
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve(done(false, null, 'invalid url'));
  }
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  // An address in the URL is connected to without a lookup: checked here instead.
  if (isIP(host) && isInternal(host) && !policy.allowedHosts.includes(host)) {
    return Promise.resolve(done(false, null, `refused: ${host} is an internal address`));
  }
  return new Promise((resolve) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(policy),
        timeout: DELIVERY_TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          resolve(done(status >= 200 && status < 300, status, status >= 200 && status < 300 ? null : `HTTP ${status}`));
        });
        res.on('error', (error) => resolve(done(false, res.statusCode ?? null, error.message)));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`)));
    req.on('error', (error) => resolve(done(false, null, error.message)));
    req.end(body);
  });
}
