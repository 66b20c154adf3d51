import { Logger } from '@nestjs/common';

/**
 * Background work every instance runs on a timer (purges, sweeps): never two runs at once, a
 * failure logged (never thrown), stopped at shutdown. Services start it in onApplicationBootstrap
 * and stop it in onApplicationShutdown.
 */
export class Periodic {
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;

  constructor(
    private readonly what: string,
    private readonly everyMs: number,
    private readonly task: () => Promise<unknown>,
  ) {
    this.logger = new Logger(what);
  }

  start(): void {
    this.timer = setInterval(() => void this.run(), this.everyMs).unref();
  }

  /** Runs the task now, unless it is running (then waits for that run). */
  run(): Promise<void> {
    this.running ??= this.task()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn(`${this.what} failed: ${(error as Error).message}`))
      .finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
