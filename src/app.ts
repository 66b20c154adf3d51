import { BadRequestException, LogLevel as NestLogLevel, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter, errorBody } from './common/exception.filter.js';
import { RawJsonInterceptor } from './common/raw-json.js';
import type { AppConfig, LogLevel } from './config/config.js';

/** JSON bodies above this are refused with 413. */
export const BODY_LIMIT = 5 * 1024 * 1024;

const NEST_LEVELS: Record<LogLevel, NestLogLevel[]> = {
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** Whether a parsed JSON value holds a NUL character in any string (key or value). */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, item]) => key.includes('\u0000') || holdsNul(item));
  }
  return false;
}

/**
 * JSON bodies for every method, DELETE included (the CLI sends `{"remove": [...]}`); an empty body
 * counts as no body, so a client that always sends the JSON content type is not refused.
 */
function parseJsonBodies(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (_request, body: string, done: (error: Error | null, value?: unknown) => void) => {
      if (body.trim() === '') return done(null, undefined);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return done(new BadRequestException('Request body is not valid JSON'));
      }
      // PostgreSQL text cannot hold NUL: refuse it here, as bad input, before any statement.
      if (body.includes('\\u0000') && holdsNul(parsed)) {
        return done(new BadRequestException(['Strings in the request body must not contain NUL characters (\\u0000)']));
      }
      done(null, parsed);
    },
  );
}

/** The whole service, ready to listen: used by main.ts, the e2e tests and the OpenAPI script. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    // Path segments carry user ids up to 255 characters (the router's default limit is 100).
    routerOptions: { maxParamLength: 512 },
    // The router refuses a malformed URL before Nest sees the request: answer in the contract's shape.
    frameworkErrors: (error: { statusCode?: number }, _request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
      void reply.status(status).send(errorBody(status, status === 414 ? 'URL is too long' : 'Malformed URL'));
    },
  });
  parseJsonBodies(adapter.getInstance());
  // Likewise for the URL: a NUL in a path segment or query value is bad input, not a lookup.
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    if (/%00/i.test(request.url)) {
      void reply.status(400).send(errorBody(400, ['The URL must not contain NUL characters (%00)']));
      return;
    }
    done();
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: NEST_LEVELS[config.logLevel],
    abortOnError: false,
    bodyParser: false,
  });
  app.useGlobalPipes(
    new ValidationPipe({
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
  app.useGlobalInterceptors(new RawJsonInterceptor());
  SwaggerModule.setup('docs', app, openApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
  app.enableShutdownHooks();
  return app;
}

/** The OpenAPI document, generated from the controllers and DTOs. */
export function openApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const document = new DocumentBuilder()
    .setTitle('DreamLake catalog')
    .setDescription(
      'Namespaces, projects, datasets and collections of the DreamLake data lake. Authorize with a bearer JWT ' +
        '(`npm run token -- --sub you`, or the dev token printed at start-up).',
    )
    .setVersion('1.0.0')
    .addBearerAuth()
    .build();
  return SwaggerModule.createDocument(app, document);
}
