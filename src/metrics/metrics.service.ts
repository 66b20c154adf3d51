import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Database } from '../database/database.js';

const REFUSAL_LIMITS = ['address', 'caller', 'heavy-reads'] as const;
type RefusalLimit = (typeof REFUSAL_LIMITS)[number];

/** The Prometheus registry of the process: requests, latency, pool and rate-limit figures, Node's own. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from the request arriving to the answer being sent, by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'Requests answered, by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly refusals = new Counter({
    name: 'rate_limit_refusals_total',
    help: 'Requests refused with 429, by limit (address, caller, heavy-reads)',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  private readonly deliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered; retrying: failed, will retry; failed: given up)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly webhookLag = new Gauge({
    name: 'webhook_lag_changes',
    help: 'Changes of the feed not yet delivered, summed over the enabled webhooks (as of the last delivery pass)',
    registers: [this.registry],
  });

  constructor(@Inject(Database) database: Database) {
    collectDefaultMetrics({ register: this.registry });
    const pool = (name: string, help: string, read: (stats: ReturnType<Database['poolStats']>) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(database.poolStats()));
        },
      });
    pool('db_pool_connections', 'Database connections open', (s) => s.size);
    pool('db_pool_idle', 'Database connections idle', (s) => s.idle);
    pool('db_pool_in_use', 'Database connections running a statement', (s) => s.size - s.idle);
    pool('db_pool_waiting', 'Requests waiting for a database connection', (s) => s.waiting);
    this.gauge(
      'db_stream_connections',
      'Database connections held by streamed answers (a cursor each; a server database only)',
      () => database.cursorsOpen,
    );
    if (database.kind === 'embedded') {
      new Gauge({
        name: 'db_embedded_wasm_memory_bytes',
        help: "The embedded engine's WebAssembly memory (its buffer cache, catalogs, sorts); it grows and never shrinks",
        registers: [this.registry],
        collect() {
          const bytes = database.engineMemoryBytes();
          if (bytes !== null) this.set(bytes);
        },
      });
    }
    // Every limit is listed from the start (at 0), so an alert on its rate has a series to read.
    for (const limit of REFUSAL_LIMITS) this.refusals.inc({ limit }, 0);
    for (const outcome of ['delivered', 'retrying', 'failed']) this.deliveries.inc({ outcome }, 0);
  }

  /** A gauge read from `read` whenever /metrics is scraped. */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** Counts a webhook delivery attempt by outcome. */
  webhookDelivery(outcome: 'delivered' | 'retrying' | 'failed'): void {
    this.deliveries.inc({ outcome });
  }

  setWebhookLag(changes: number): void {
    this.webhookLag.set(changes);
  }

  /** Counts one answer; `route` is the route pattern (never the concrete path), `seconds` its duration. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.duration.observe(labels, seconds);
    this.requests.inc(labels);
  }

  refused(limit: RefusalLimit): void {
    this.refusals.inc({ limit });
  }
}
