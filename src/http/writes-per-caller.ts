import type { FastifyInstance } from 'fastify';

/** Figures of the gate for /metrics. */
export interface WriteGateStats {
  running: number;
  waiting: number;
  maxWaitingPerCaller: number;
  waitedTotal: number;
}

/**
 * At most `perCaller` writes (POST, PUT, PATCH, DELETE) of one caller (`sub`) run at once per
 * instance; the caller's others wait here, in order, holding no database connection. Concurrent
 * writes of one row wait for its lock inside the database, each on a pooled connection: without
 * this, one caller's 30 PATCHes of one collection would hold every connection and every other
 * tenant would wait for the pool. A request whose client leaves while waiting leaves the queue.
 * `perCaller` 0: no gate.
 */
export function limitWritesPerCaller(fastify: FastifyInstance, perCaller: number): WriteGateStats {
  const stats: WriteGateStats = { running: 0, waiting: 0, maxWaitingPerCaller: 0, waitedTotal: 0 };
  if (perCaller <= 0) return stats;
  const running = new Map<string, number>();
  const queues = new Map<string, (() => void)[]>();
  const refresh = (): void => {
    stats.maxWaitingPerCaller = Math.max(0, ...[...queues.values()].map((q) => q.length));
  };
  const release = (caller: string): void => {
    stats.running--;
    const queue = queues.get(caller);
    const next = queue?.shift();
    if (queue && queue.length === 0) queues.delete(caller);
    if (next) {
      stats.waiting--;
      refresh();
      stats.running++;
      next(); // the slot passes on: the caller's count stays
      return;
    }
    const left = (running.get(caller) ?? 1) - 1;
    if (left > 0) running.set(caller, left);
    else running.delete(caller);
  };
  fastify.addHook('preHandler', (request, reply, done) => {
    const caller = request.user?.sub;
    if (caller === undefined || request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') {
      done();
      return;
    }
    let held = false;
    const start = (): void => {
      held = true;
      done();
    };
    reply.raw.once('close', () => {
      if (held) {
        release(caller);
        return;
      }
      const queue = queues.get(caller);
      const at = queue?.indexOf(start) ?? -1;
      if (queue && at >= 0) {
        queue.splice(at, 1);
        stats.waiting--;
        if (queue.length === 0) queues.delete(caller);
        refresh();
      }
    });
    const now = running.get(caller) ?? 0;
    if (now < perCaller) {
      running.set(caller, now + 1);
      stats.running++;
      start();
      return;
    }
    const queue = queues.get(caller) ?? [];
    queue.push(start);
    queues.set(caller, queue);
    stats.waiting++;
    stats.waitedTotal++;
    refresh();
  });
  return stats;
}
