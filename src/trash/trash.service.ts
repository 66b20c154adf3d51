import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { requireRole, resolveScope, type ProjectPath } from '../auth/access.js';
import { REQUIRED_ROLE, rolesFrom } from '../auth/roles.js';
import type { AuthUser } from '../auth/user.js';
import type { Answer } from '../common/answer.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { SUCCESS, type SuccessDto } from '../common/pagination.js';
import { RawJson } from '../common/raw-json.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { IdempotencyService, type IdempotencyRequest } from '../idempotency/idempotency.service.js';
import type { TrashPageDto, TrashQuery } from './dto/trash.dto.js';
import { TrashRepository } from './trash.repository.js';

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
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly trash: TrashRepository,
    private readonly idempotency: IdempotencyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(user: AuthUser, path: ProjectPath, query: TrashQuery): Promise<RawJson<TrashPageDto>> {
    const found = await this.trash.list(
      user.sub,
      path.slug,
      path.projectSlug,
      query.type ?? null,
      query.page,
      query.pageSize,
    );
    resolveScope(found, path);
    return new RawJson(found.body!);
  }

  restore(
    user: AuthUser,
    path: ProjectPath,
    id: string,
    name: string | null,
    key: IdempotencyRequest | null,
  ): Promise<Answer> {
    return this.idempotency.run(key, { status: 200 }, async (keep) => {
      const found = await this.trash.restore(
        user.sub,
        path.slug,
        path.projectSlug,
        id,
        name,
        rolesFrom(REQUIRED_ROLE.writeContent),
        keep,
      );
      const role = resolveScope(found, path);
      if (!found.target_found) throw this.notInTrash(path, id);
      requireRole(role, REQUIRED_ROLE.writeContent, path);
      if (found.name_taken) {
        const kind = found.type === 'dataset' ? 'Dataset' : 'Collection';
        throw new ConflictError(
          `${kind} '${found.name}' already exists in project '${path.slug}/${path.projectSlug}'; ` +
            'restore it under another name with {"name": "…"}',
        );
      }
      if (found.body === null) throw this.notInTrash(path, id); // restored or purged by someone else meanwhile
      return new RawJson(found.body);
    });
  }

  async purge(user: AuthUser, path: ProjectPath, id: string): Promise<SuccessDto> {
    const found = await this.trash.purge(
      user.sub,
      path.slug,
      path.projectSlug,
      id,
      rolesFrom(REQUIRED_ROLE.manageProjects),
    );
    const role = resolveScope(found, path);
    if (!found.target_found) throw this.notInTrash(path, id);
    requireRole(role, REQUIRED_ROLE.manageProjects, path);
    if (!found.purged) throw this.notInTrash(path, id);
    return SUCCESS;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.purgeExpired(), PURGE_EVERY_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
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

  private notInTrash(path: ProjectPath, id: string): NotFoundError {
    return new NotFoundError(`Nothing with id '${id}' in the trash of project '${path.slug}/${path.projectSlug}'`);
  }
}
