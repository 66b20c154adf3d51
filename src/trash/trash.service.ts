import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { REQUIRED_ROLE } from '../auth/roles.js';
import type { Answer } from '../common/answer.js';
import { settle } from '../common/outcome.js';
import { Periodic } from '../common/periodic.js';
import type { ProjectAt } from '../common/target.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { SUCCESS, type SuccessDto } from '../common/pagination.js';
import { RawJson } from '../common/raw-json.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { IdempotencyService, type IdempotencyRequest } from '../idempotency/idempotency.service.js';
import type { TrashPageDto, TrashQuery } from './dto/trash.dto.js';
import { TrashRepository } from './trash.repository.js';

const WRITE = REQUIRED_ROLE.writeContent;
const MANAGE = REQUIRED_ROLE.manageProjects;

/** How often deleted rows past TRASH_RETENTION_DAYS are purged, and how many a statement takes. */
const PURGE_EVERY_MS = 10 * 60_000;
const PURGE_BATCH = 100;

/**
 * Trash and restore (AIP-164): readers list a project's trash, writers restore from it, admins
 * purge from it; everything past the retention period is purged by every instance's timer.
 */
@Injectable()
export class TrashService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Trash');
  private readonly purges = new Periodic('Trash', PURGE_EVERY_MS, () => this.purgeExpired());

  constructor(
    private readonly trash: TrashRepository,
    private readonly idempotency: IdempotencyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(at: ProjectAt, query: TrashQuery): Promise<RawJson<TrashPageDto>> {
    return new RawJson(settle(await this.trash.list(at, query.type ?? null, query), at));
  }

  restore(at: ProjectAt, id: string, name: string | null, key: IdempotencyRequest | null): Promise<Answer> {
    return this.idempotency.run(key, { status: 200 }, async (keep) => {
      const row = await this.trash.restore(at, id, name, WRITE, keep, this.config.limits.fullAnswerMembers);
      return new RawJson(
        settle(row, at, {
          missing: (r) => (r.in_trash ? null : this.notInTrash(at, id)),
          needs: WRITE,
          refuse: (r) =>
            r.name_taken
              ? new ConflictError(
                  `${r.type === 'dataset' ? 'Dataset' : 'Collection'} '${r.name}' already exists in project ` +
                    `'${at.slug}/${at.projectSlug}'; restore it under another name with {"name": "…"}`,
                )
              : null,
        }) ?? '',
      );
    });
  }

  async purge(at: ProjectAt, id: string, ifMatch: string[] | null): Promise<SuccessDto> {
    const row = await this.trash.purge(at, id, MANAGE, ifMatch);
    // The id is part of the path: 404 before 403, then 412 (only `*` matches an item in the trash).
    settle({ ...row, stale: row.tag_holds === false }, at, {
      missing: (r) => (r.in_trash ? null : this.notInTrash(at, id)),
      needs: MANAGE,
      stale: `Item '${id}' in the trash of project '${at.slug}/${at.projectSlug}'`,
    });
    return SUCCESS;
  }

  onApplicationBootstrap(): void {
    this.purges.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.purges.stop();
  }

  /** Purges everything deleted longer ago than TRASH_RETENTION_DAYS, a batch per statement. */
  async purgeExpired(): Promise<number> {
    let purged = 0;
    try {
      for (let batch = PURGE_BATCH; batch > 0; purged += batch) {
        batch = await this.trash.purgeExpired(this.config.trashRetentionDays, PURGE_BATCH);
      }
      if (purged > 0) this.logger.log(`purged ${purged} deleted datasets and collections past retention`);
    } catch (error) {
      this.logger.warn(`purging the trash failed: ${(error as Error).message}`);
    }
    return purged;
  }

  /** The 404 of an id that is not in the trash (never was, or restored or purged meanwhile). */
  private notInTrash(at: ProjectAt, id: string): NotFoundError {
    return new NotFoundError(`Nothing with id '${id}' in the trash of project '${at.slug}/${at.projectSlug}'`);
  }
}
