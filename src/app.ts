import { randomUUID } from 'node:crypto';
import { constants as zlib } from 'node:zlib';
import { BadRequestException, HttpException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import compress from '@fastify/compress';
import cors from '@fastify/cors';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { AppModule } from './app.module.js';
import { authenticationHook } from './auth/authenticate.hook.js';
import { API_TAGS } from './common/api-tags.js';
import { finishDocument } from './common/api-document.js';
import { AllExceptionsFilter, errorBody } from './common/exception.filter.js';
import { serializeReply } from './common/raw-json.js';
import { MetadataSafeValidationPipe } from './common/validation.pipe.js';
import type { AppConfig } from './config/config.js';
import { closeConnectionsWhenClosing } from './http/closing.js';
import { BODY_LIMIT, parseJsonBodies } from './http/json-body.js';
import { createLogger, NestPinoLogger } from './http/logging.js';
import { registerRateLimits } from './http/rate-limit.js';
import { requestId } from './http/request-id.js';
import { limitBodyTime } from './http/request-timeout.js';
import { OUTSIDE_HOOK_HEADERS, registerSecurityHeaders } from './http/security-headers.js';
import { limitWritesPerCaller } from './http/writes-per-caller.js';
import { MetricsService } from './metrics/metrics.service.js';

/** Headers a browser app may read from an answer when CORS is on. */
const EXPOSED_HEADERS = [
  'X-Request-Id',
  'ETag',
  'Location',
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'Idempotent-Replayed',
  // On a 401: whether the token was missing or is invalid (then the app gets a new one).
  'WWW-Authenticate',
];

/** The longest header line (name and value) a request may carry. */
const MAX_HEADER_LINE = 8 * 1024;

/** The security headers as lines of a raw answer. */
const RAW_SECURITY_HEADERS = Object.entries(OUTSIDE_HOOK_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

/** A request whose headers and body did not arrive in time: 408 in the contract's shape, then close. */
function requestTimedOut(config: AppConfig) {
  return (error: { code?: string }, socket: Socket): void => {
    if (socket.writable && !socket.destroyed) {
      const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const status = timeout ? 408 : 400;
      // No request was parsed, so none has an id yet: this answer gets a new one, like any other.
      const id = randomUUID();
      const body = JSON.stringify(
        errorBody(
          status,
          timeout
            ? `The request did not arrive within ${config.limits.requestTimeoutMs} ms (REQUEST_TIMEOUT_MS)`
            : 'Malformed HTTP request',
          id,
        ),
      );
      socket.write(
        `HTTP/1.1 ${status} ${timeout ? 'Request Timeout' : 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `${RAW_SECURITY_HEADERS}X-Request-Id: ${id}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

/** The whole service, ready to listen: used by main.ts, the e2e tests and the OpenAPI script. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const logger = createLogger(config);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // Fastify's own request lines are replaced by one access line per request (onResponse below).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: requestId,
    // Behind a load balancer: request.ip is the client's address from X-Forwarded-For (TRUST_PROXY).
    // A number of hops as the function Fastify itself makes of one (its types take no number here).
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (
            (hops: number) => (_address: string, hop: number) =>
              hop < hops
          )(config.trustProxy)
        : config.trustProxy,
    bodyLimit: BODY_LIMIT,
    requestTimeout: config.limits.requestTimeoutMs,
    http: {
      headersTimeout: config.limits.requestTimeoutMs,
      // How often Node looks for requests past their timeout (its default, 30 s, would let one run late).
      connectionsCheckingInterval: Math.min(1000, config.limits.requestTimeoutMs),
    },
    clientErrorHandler: requestTimedOut(config),
    // Path segments carry user ids up to 255 characters (the router's default limit is 100).
    routerOptions: { maxParamLength: 512 },
    // The router refuses a malformed URL before Nest sees the request: answer in the contract's shape.
    frameworkErrors: (error: { statusCode?: number }, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
      void reply
        .status(status)
        .header('x-request-id', request.id)
        .headers(OUTSIDE_HOOK_HEADERS)
        .send(errorBody(status, status === 414 ? 'URL is too long' : 'Malformed URL', request.id));
    },
  });
  const fastify = adapter.getInstance();
  fastify.setReplySerializer(serializeReply);
  // First of all hooks, so that answers given by a plugin's own hook (a CORS preflight) carry it too.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  // Before every hook that may answer (the checks below, CORS preflights, rate limits, the token).
  await registerSecurityHeaders(fastify);
  // One header line over 8 KiB (a 12 KB token, thousands of entity tags) is refused as a whole
  // (RFC 6585 431) before anything reads it; Node itself refuses more than 16 KiB of headers.
  fastify.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i].length + raw[i + 1].length > MAX_HEADER_LINE) {
        done(new HttpException(`The ${raw[i]} header is larger than ${MAX_HEADER_LINE / 1024} KiB`, 431));
        return;
      }
    }
    done();
  });
  parseJsonBodies(fastify);
  await fastify.register(compress, {
    threshold: 1024,
    encodings: ['gzip', 'br', 'deflate'],
    brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } },
  });
  if (config.corsOrigins.length > 0) {
    await fastify.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'Idempotency-Key', 'X-Request-Id'],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    });
  }

  // onRequest, after the request id and CORS, in this order: URL check, the token (before any body
  // is read) with the per-address limit on what is not authenticated, the per-caller limit.
  fastify.addHook('onRequest', (request, _reply, done) => {
    // A NUL in a path segment or query value is bad input, not a lookup.
    if (request.url.includes('%00')) done(new BadRequestException(['The URL must not contain NUL characters (%00)']));
    else done();
  });
  let metrics: MetricsService | null = null;
  const limits = await registerRateLimits(fastify, config, (limit) => metrics?.refused(limit));
  const authenticate = authenticationHook();
  // The per-address limit counts only what is not authenticated (a refused token, a public route):
  // callers behind one address (a balancer, a NAT) are limited each on their own, and a flood of
  // bad tokens from an address cannot lock a valid caller there out (issue 21 row 8).
  fastify.addHook('onRequest', async (request, reply) => {
    try {
      await authenticate(request, reply);
    } catch (refused) {
      await limits.perAddress(request, reply);
      throw refused;
    }
    if (request.user === undefined) await limits.perAddress(request, reply);
  });
  fastify.addHook('onRequest', limits.perCaller);
  limitBodyTime(fastify, config.limits.requestTimeoutMs);
  const writes = limitWritesPerCaller(fastify, config.limits.writesPerCaller);
  closeConnectionsWhenClosing(fastify);

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new NestPinoLogger(logger),
    abortOnError: false,
    bodyParser: false,
  });
  if (config.metrics) {
    const registry = app.get(MetricsService);
    metrics = registry;
    registry.gauge('caller_writes_running', 'Writes running under DB_WRITES_PER_CALLER', () => writes.running);
    registry.gauge(
      'caller_writes_waiting',
      'Writes waiting for their caller’s DB_WRITES_PER_CALLER turn',
      () => writes.waiting,
    );
    registry.gauge(
      'caller_writes_waiting_max_per_caller',
      'Writes waiting of the caller with the most waiting',
      () => writes.maxWaitingPerCaller,
    );
    registry.gauge(
      'caller_writes_waited',
      'Writes that waited for their caller’s turn since start',
      () => writes.waitedTotal,
    );
    registry.gauge(
      'target_writes_waiting',
      'Writes waiting for an earlier write of the same target (the row their path names) on this instance',
      () => writes.targetWaiting,
    );
    registry.gauge(
      'target_writes_waited',
      'Writes that waited for an earlier write of the same target since start',
      () => writes.targetWaitedTotal,
    );
  }
  // One access line per request, and its latency in /metrics.
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics?.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    request.log.info(
      {
        method: request.method,
        route,
        url: request.url,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        sub: request.user?.sub,
      },
      'request',
    );
  });

  app.useGlobalPipes(
    new MetadataSafeValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
      // One message per problem: a field's first failed rule (type before pattern or size).
      stopAtFirstError: true,
      validationError: { target: false, value: false },
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());
  SwaggerModule.setup('docs', app, openApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
  return app;
}

/** The OpenAPI document, generated from the controllers and DTOs. */
export function openApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('DreamLake catalog')
    .setDescription(
      'Namespaces, projects, datasets and collections of the DreamLake data lake. Authorize with a bearer JWT ' +
        '(`npm run token -- --sub you`, or the dev token printed at start-up). Every answer carries `X-Request-Id`; ' +
        'error bodies carry it as `requestId`. The request examples succeed as sent, in order, on a fresh service: ' +
        "namespace 'acme' → project 'robotics' → dataset 'training-v2' → collection 'front-camera-clips'.",
    )
    .setVersion('1.0.0')
    .addServer('/', 'This service')
    .addBearerAuth();
  for (const [name, description] of Object.entries(API_TAGS)) builder.addTag(name, description);
  // Not for use outside DreamLake (package.json: UNLICENSED); there is no licence text to link to.
  const config = { ...builder.build() };
  config.info = { ...config.info, contact: undefined, license: { name: 'Proprietary (UNLICENSED)' } };
  return finishDocument(SwaggerModule.createDocument(app, config));
}
