import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorBody } from '../common/exception.filter.js';

const timers = new WeakMap<FastifyRequest, NodeJS.Timeout>();
/** Requests whose body has been read and parsed (they reached preValidation). */
const bodyRead = new WeakSet<FastifyRequest>();

/** Whether the request announced a body. */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/**
 * REQUEST_TIMEOUT_MS for bodies. Node enforces it on the headers (headersTimeout) but not on a body
 * that trickles in after them; so every request that has a body gets a timer when its headers
 * are in (after the token was checked), cleared once the body is parsed; if it fires first, the
 * client gets 408 in the contract's shape and the connection is closed.
 */
export function limitBodyTime(fastify: FastifyInstance, timeoutMs: number): void {
  const clear = (request: FastifyRequest): void => {
    clearTimeout(timers.get(request));
    timers.delete(request);
  };
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (!hasBody(request)) return done();
    const timer = setTimeout(() => {
      timers.delete(request);
      const socket = request.raw.socket;
      if (socket.destroyed) return;
      const body = JSON.stringify(
        errorBody(408, `The request did not arrive within ${timeoutMs} ms (REQUEST_TIMEOUT_MS)`, request.id),
      );
      request.log.info({ timeoutMs }, 'request body timed out');
      socket.end(
        `HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json; charset=utf-8\r\nX-Request-Id: ${request.id}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      socket.destroySoon();
    }, timeoutMs);
    timer.unref();
    timers.set(request, timer);
    done();
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    bodyRead.add(request);
    clear(request);
    done();
  });
  // An answer given while the body is still unread (401, 413, 429… decided in onRequest) closes the
  // connection: else Node goes on reading the unwanted body to keep the connection alive, and a
  // client trickling it holds the connection until REQUEST_TIMEOUT_MS, when Node's 408 follows the
  // answer already given to the same request.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (hasBody(request) && !bodyRead.has(request) && !reply.raw.headersSent) {
      clear(request);
      void reply.header('connection', 'close');
    }
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, _reply, done) => {
    clear(request);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    clear(request);
    done();
  });
}
