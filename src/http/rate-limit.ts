import { HttpException } from '@nestjs/common';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { AppConfig } from '../config/config.js';

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

const WINDOW_MS = 60_000;
/** Before authentication a client address may send this many times a caller's limit. */
const ADDRESS_FACTOR = 10;
/** Probes and scrapes are never limited. */
const UNLIMITED = /^\/(health|metrics)(\/|$)/;

const tooMany = (seconds: number): HttpException => new HttpException(`Too many requests; retry in ${seconds} s`, 429);

/**
 * Rate limits with @fastify/rate-limit: RATE_LIMIT_PER_MINUTE per caller (`sub`) after
 * authentication, ten times that per client address before it. Counters live in this process, or
 * in Redis when RATE_LIMIT_REDIS_URL is set, so that several instances share them. Answers carry
 * RateLimit-Limit/-Remaining/-Reset; a 429 also Retry-After.
 */
export async function registerRateLimits(
  fastify: FastifyInstance,
  config: AppConfig,
  refused: (limit: 'address' | 'caller') => void,
): Promise<{ perAddress: Hook; perCaller: Hook }> {
  const perMinute = config.limits.ratePerMinute;
  if (perMinute === 0) {
    const off: Hook = () => Promise.resolve();
    return { perAddress: off, perCaller: off };
  }
  const redisUrl = config.limits.rateLimitRedisUrl;
  const redis = redisUrl
    ? new Redis(redisUrl, { connectTimeout: 1000, maxRetriesPerRequest: 1, enableOfflineQueue: false })
    : undefined;
  if (redis) fastify.addHook('onClose', async () => void (await redis.quit().catch(() => undefined)));
  await fastify.register(rateLimit, {
    global: false,
    timeWindow: WINDOW_MS,
    enableDraftSpec: true,
    cache: 100_000,
    redis,
    nameSpace: 'dreamlake-rate-',
    // With Redis unreachable, requests are served rather than refused.
    skipOnError: true,
    errorResponseBuilder: (_request, context) => tooMany(Math.ceil(context.ttl / 1000)),
  });

  // The per-caller limiter: its headers go on every authenticated answer.
  const perCaller = fastify.rateLimit({
    max: perMinute,
    keyGenerator: (request) => `sub:${request.user?.sub}`,
    allowList: (request) => request.user === undefined,
    onExceeded: () => refused('caller'),
  }) as Hook;

  // The per-address check runs before the token is read; it only speaks when it refuses.
  const addressCheck = fastify.createRateLimit({
    max: perMinute * ADDRESS_FACTOR,
    keyGenerator: (request) => `ip:${request.ip}`,
  });
  const perAddress: Hook = async (request, reply) => {
    if (UNLIMITED.test(request.url)) return;
    const limit = await addressCheck(request);
    if (limit.isAllowed || !limit.isExceeded) return;
    refused('address');
    void reply
      .header('ratelimit-limit', limit.max)
      .header('ratelimit-remaining', 0)
      .header('ratelimit-reset', limit.ttlInSeconds)
      .header('retry-after', limit.ttlInSeconds);
    throw tooMany(limit.ttlInSeconds);
  };
  return { perAddress, perCaller };
}
