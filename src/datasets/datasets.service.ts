import { Injectable } from '@nestjs/common';
import { requireRole, resolveScope, resolveTarget, targetNotFound, type ProjectPath } from '../auth/access.js';
import { REQUIRED_ROLE, rolesFrom } from '../auth/roles.js';
import type { AuthUser } from '../auth/user.js';
import { segment, type Answer } from '../common/answer.js';
import { ConflictError, NotFoundError, PreconditionFailedError, staleTag } from '../common/errors.js';
import { HeavyReads } from '../common/heavy-reads.js';
import { assemble, prepend } from '../common/json-stream.js';
import { SUCCESS, type ListQuery, type SuccessDto } from '../common/pagination.js';
import { RawJson } from '../common/raw-json.js';
import { rejectNulls } from '../common/validators.js';
import { IdempotencyService, type IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { DatasetsRepository } from './datasets.repository.js';
import type {
  CreateDatasetDto,
  DatasetDetailDto,
  DatasetDto,
  DatasetPageDto,
  LinkResultDto,
  UnlinkResultDto,
  UpdateDatasetDto,
} from './dto/dataset.dto.js';

const WRITE = REQUIRED_ROLE.writeContent;
const WRITERS = rolesFrom(WRITE);

const quoteList = (names: string[]): string => names.map((name) => `'${name}'`).join(', ');

/**
 * Dataset rules. 404s come first, in path order (namespace, project, dataset), then 403 for a
 * role below writer, then 412 for an If-Match tag that is not current, then what the body asked
 * for (missing or taken collections).
 */
@Injectable()
export class DatasetsService {
  constructor(
    private readonly datasets: DatasetsRepository,
    private readonly idempotency: IdempotencyService,
    private readonly heavyReads: HeavyReads,
  ) {}

  create(
    user: AuthUser,
    path: ProjectPath,
    dto: CreateDatasetDto,
    key: IdempotencyRequest | null,
  ): Promise<Answer<DatasetDto>> {
    const location = `/namespaces/${segment(path.slug)}/projects/${segment(path.projectSlug)}/datasets/${segment(dto.name)}`;
    return this.idempotency.run(key, { status: 201, location }, async (keep) => {
      const found = await this.datasets.create(
        user.sub,
        path.slug,
        path.projectSlug,
        { name: dto.name, description: dto.description ?? null, tags: dto.tags ?? [], metadata: dto.metadata ?? null },
        WRITERS,
        keep,
      );
      requireRole(resolveScope(found, path), WRITE, path);
      return new RawJson<DatasetDto>(found.body!);
    });
  }

  async list(user: AuthUser, path: ProjectPath, query: ListQuery): Promise<RawJson<DatasetPageDto>> {
    const found = await this.datasets.list(user.sub, path.slug, path.projectSlug, query);
    resolveScope(found, path);
    return new RawJson(found.body!);
  }

  /** The dataset with its collections and their members, and its ETag; a big one is streamed. */
  async get(
    user: AuthUser,
    path: ProjectPath,
    name: string,
    ifNoneMatch: string[] | null,
  ): Promise<Answer<DatasetDetailDto>> {
    const found = await this.datasets.findWithCollections(user.sub, path.slug, path.projectSlug, name, ifNoneMatch);
    resolveTarget(found, path, 'Dataset', name);
    if (found.not_modified) return { etag: found.etag, notModified: true };
    if (found.big) return { etag: found.etag, body: this.heavyReads.hold(this.streamed(user, path, name)) };
    return { etag: found.etag, body: new RawJson(found.body!) };
  }

  /** The text of a big dataset's answer, assembled from its streamed parts. */
  private async *streamed(user: AuthUser, path: ProjectPath, name: string): AsyncGenerator<string> {
    const parts = this.datasets.streamCollections(user.sub, path.slug, path.projectSlug, name);
    const first = await parts.next();
    if (first.done || !('dataset' in first.value)) throw targetNotFound('Dataset', path, name); // deleted meanwhile
    yield* assemble(prepend(first.value, parts));
  }

  async update(
    user: AuthUser,
    path: ProjectPath,
    name: string,
    patch: UpdateDatasetDto,
    ifMatch: string[] | null,
  ): Promise<Answer<DatasetDto>> {
    rejectNulls(patch, ['name', 'tags']);
    const found = await this.datasets.update(user.sub, path.slug, path.projectSlug, name, patch, WRITERS, ifMatch);
    requireRole(resolveTarget(found, path, 'Dataset', name), WRITE, path);
    if (found.body === null) throw this.notChanged(path, name, ifMatch);
    return { etag: found.etag, body: new RawJson(found.body) };
  }

  async remove(user: AuthUser, path: ProjectPath, name: string, ifMatch: string[] | null): Promise<SuccessDto> {
    const found = await this.datasets.softDelete(user.sub, path.slug, path.projectSlug, name, WRITERS, ifMatch);
    requireRole(resolveTarget(found, path, 'Dataset', name), WRITE, path);
    if (!found.deleted) throw this.notChanged(path, name, ifMatch);
    return SUCCESS;
  }

  link(
    user: AuthUser,
    path: ProjectPath,
    name: string,
    collections: string[],
    ifMatch: string[] | null,
    key: IdempotencyRequest | null,
  ): Promise<Answer<LinkResultDto>> {
    return this.idempotency.run(key, { status: 200 }, async (keep) => {
      const found = await this.datasets.link(
        user.sub,
        path.slug,
        path.projectSlug,
        name,
        collections,
        WRITERS,
        ifMatch,
        keep,
      );
      requireRole(resolveTarget(found, path, 'Dataset', name), WRITE, path);
      if (found.precondition_failed) throw this.stale(path, name);
      if (found.missing) {
        throw new NotFoundError(
          `Collections not found in project '${path.slug}/${path.projectSlug}': ${quoteList(found.missing)}; nothing was changed`,
        );
      }
      if (found.taken) {
        throw new ConflictError(
          `Collections already belong to another dataset: ${quoteList(found.taken)}; nothing was changed`,
        );
      }
      return new RawJson<LinkResultDto>(found.body!);
    });
  }

  async unlink(
    user: AuthUser,
    path: ProjectPath,
    name: string,
    collections: string[],
    ifMatch: string[] | null,
  ): Promise<RawJson<UnlinkResultDto>> {
    const found = await this.datasets.unlink(
      user.sub,
      path.slug,
      path.projectSlug,
      name,
      collections,
      WRITERS,
      ifMatch,
    );
    requireRole(resolveTarget(found, path, 'Dataset', name), WRITE, path);
    if (found.precondition_failed) throw this.stale(path, name);
    return new RawJson(found.body!);
  }

  private notChanged(path: ProjectPath, name: string, ifMatch: string[] | null): Error {
    return ifMatch === null ? targetNotFound('Dataset', path, name) : this.stale(path, name);
  }

  private stale(path: ProjectPath, name: string): PreconditionFailedError {
    return staleTag(`Dataset '${name}' in project '${path.slug}/${path.projectSlug}'`);
  }
}
