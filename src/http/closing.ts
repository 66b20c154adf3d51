import type { FastifyInstance } from 'fastify';

/**
 * Graceful shutdown for keep-alive clients. Fastify's close() stops accepting and closes the
 * connections idle at that moment, then waits for the rest; a connection whose request was in
 * flight stays open after its answer (keep-alive), so the process would wait for the client to
 * hang up, which most clients never do: every shutdown would run into the 10 s limit and exit
 * without closing the pool. Once closing has begun, answers carry `Connection: close` (Node then
 * ends the connection after the answer), and a connection idle after an answer that was already
 * on its way (a streamed one) is closed too.
 */
export function closeConnectionsWhenClosing(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing && !reply.raw.headersSent) void reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('onResponse', (_request, _reply, done) => {
    if (closing) setImmediate(() => fastify.server.closeIdleConnections());
    done();
  });
}
