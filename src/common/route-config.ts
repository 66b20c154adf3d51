import type { FastifyContextConfig } from 'fastify';

/** Where @nestjs/platform-fastify reads a handler's Fastify route `config` (its RouteConfig decorator's key). */
const ROUTE_CONFIG = '__fastify_route_config__';

/**
 * Adds to the Fastify route `config` of a handler; unlike RouteConfig(), several of these on one
 * handler add up instead of replacing each other.
 */
export function WithRouteConfig(config: FastifyContextConfig): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const handler = descriptor.value as object;
    const current = (Reflect.getMetadata(ROUTE_CONFIG, handler) ?? {}) as FastifyContextConfig;
    Reflect.defineMetadata(ROUTE_CONFIG, { ...current, ...config }, handler);
  };
}
