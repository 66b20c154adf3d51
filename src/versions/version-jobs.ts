import { createHash } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Periodic } from '../common/periodic.js';
import { VersionsRepository } from './versions.repository.js';

/** How often every instance looks for versions still without a digest (one left by a crash, say). */
const SWEEP_EVERY_MS = 30_000;
/** Versions digested per pass. */
const BATCH = 10;
/** How often, and in batches of how many rows, storage no version reaches any more is reclaimed. */
const RECLAIM_EVERY_MS = 10 * 60_000;
const RECLAIM_BATCH = 1000;

/**
 * The versions' background work, off the request path:
 * - each version's digest after its freeze: sha256 of its manifest, read exactly as GET …/manifest
 *   sends it (any instance may; two computing the same version get the same bytes, the first stores it);
 * - the purge of what no version or live collection reaches any more (purged collections no version
 *   names, history rows no version sees).
 */
@Injectable()
export class VersionJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Versions');
  private timer: NodeJS.Timeout | undefined;
  private readonly reclaims = new Periodic('Versions', RECLAIM_EVERY_MS, () => this.reclaim());
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly versions: VersionsRepository) {}

  /** Digest what is waiting, soon (after a freeze). */
  soon(): void {
    if (this.stopped) return;
    setImmediate(() => void this.run());
  }

  /** One pass over the versions without a digest; a call while one runs asks for another after it. */
  async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          for (const version of await this.versions.undigested(BATCH)) {
            if (this.stopped) return;
            const key = { namespaceId: version.namespace_id, datasetId: version.dataset_id };
            await this.versions.setDigest(key, version.version, await this.digest(key, version.version));
          }
        } catch (error) {
          this.logger.warn(`computing version digests failed: ${(error as Error).message}`);
        }
      } while (this.again && !this.stopped);
    })();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  /** `sha256:<hex>` of a version's manifest bytes. */
  async digest(key: { namespaceId: string; datasetId: string }, version: number): Promise<string> {
    const hash = createHash('sha256');
    const parts = this.versions.manifestByKey(key, version);
    try {
      for await (const part of parts) {
        if (this.stopped) throw new Error('shutting down');
        if ('lines' in part) hash.update(part.lines);
      }
    } finally {
      await parts.return(undefined);
    }
    return `sha256:${hash.digest('hex')}`;
  }

  /** Reclaims, a batch per statement, what no version or live collection reaches; how many rows went. */
  async reclaim(): Promise<number> {
    let reclaimed = 0;
    for (let batch = RECLAIM_BATCH; batch > 0 && !this.stopped; reclaimed += batch) {
      batch = await this.versions.reclaim(RECLAIM_BATCH);
    }
    return reclaimed;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.run(), SWEEP_EVERY_MS).unref();
    this.reclaims.start();
    this.soon();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all([this.running?.catch(() => undefined), this.reclaims.stop()]);
  }
}
