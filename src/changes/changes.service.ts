import {
  BadRequestException,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { GoneError } from '../common/errors.js';
import { settle, type Place } from '../common/outcome.js';
import { Periodic } from '../common/periodic.js';
import { RawJson } from '../common/raw-json.js';
import type { NamespaceAt } from '../common/target.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { ChangeNotifier } from './change-notifier.js';
import { ChangesRepository, type FeedPage, type FeedQuery } from './changes.repository.js';
import type { ChangePageDto, ChangesQuery } from './dto/change.dto.js';

/** How often expired changes are purged, and how many a statement takes. */
const PURGE_EVERY_MS = 10 * 60_000;
const PURGE_BATCH = 1000;

/** The change feed of a namespace (readers): gap-free, in commit order, replayable while kept. */
@Injectable()
export class ChangesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly purges = new Periodic('Changes', PURGE_EVERY_MS, () => this.purgeExpired());

  constructor(
    private readonly changes: ChangesRepository,
    private readonly notifier: ChangeNotifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A page of changes after `after`; with `wait`, when nothing is newer yet, held until a change
   * commits (the statement is then sent once more) or the time is up.
   */
  async feed(at: NamespaceAt, query: ChangesQuery): Promise<RawJson<ChangePageDto>> {
    const feed: FeedQuery = {
      after: query.after ?? null,
      limit: query.limit ?? 100,
      types: query.types?.length ? query.types : null,
      project: query.project ?? null,
    };
    const place: Place = feed.project === null ? at : { slug: at.slug, projectSlug: feed.project };
    let row = this.checked(await this.changes.page(at, feed), place, feed);
    const wait = query.wait ?? 0;
    const from = BigInt(feed.after ?? row.purged_through);
    if (wait > 0 && row.count === 0 && BigInt(row.last) <= from && row.namespace_id !== null) {
      if (await this.notifier.wait(row.namespace_id, BigInt(row.last), wait * 1000)) {
        row = this.checked(await this.changes.page(at, feed), place, feed);
      }
    }
    return new RawJson(settle(row, place));
  }

  /** The page's 404s (namespace, project filter), then 400 for a cursor the feed never gave, 410 for one past retention. */
  private checked<R extends FeedPage>(row: R, place: Place, feed: FeedQuery): R {
    settle(row, place);
    if (feed.after !== null) {
      const after = BigInt(feed.after);
      if (after > BigInt(row.last)) {
        throw new BadRequestException([
          `after: cursor ${feed.after} is not one this feed gave (its last is ${row.last})`,
        ]);
      }
      if (after < BigInt(row.purged_through)) {
        throw new GoneError(
          `Changes after cursor ${feed.after} are no longer kept (CHANGES_RETENTION_DAYS); resume from oldestCursor`,
          { oldestCursor: row.purged_through },
        );
      }
    }
    return row;
  }

  onApplicationBootstrap(): void {
    this.purges.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.purges.stop();
  }

  /** Purges the changes older than CHANGES_RETENTION_DAYS, a batch per statement; how many went. */
  async purgeExpired(): Promise<number> {
    let purged = 0;
    for (let batch = PURGE_BATCH; batch === PURGE_BATCH; purged += batch) {
      batch = await this.changes.purgeExpired(this.config.changes.retentionDays, PURGE_BATCH);
    }
    return purged;
  }
}
