import { Injectable } from '@nestjs/common';
import { requireRole, resolveScope, resolveTarget, targetNotFound, type ProjectPath } from '../auth/access.js';
import { REQUIRED_ROLE, rolesFrom } from '../auth/roles.js';
import type { AuthUser } from '../auth/user.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { pageMeta, SUCCESS, type ListQuery, type SuccessDto } from '../common/pagination.js';
import { RawJson } from '../common/raw-json.js';
import { rejectNulls } from '../common/validators.js';
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
 * role below writer, then what the body asked for (missing or taken collections).
 */
@Injectable()
export class DatasetsService {
  constructor(private readonly datasets: DatasetsRepository) {}

  async create(user: AuthUser, path: ProjectPath, dto: CreateDatasetDto): Promise<DatasetDto> {
    const found = await this.datasets.create(
      user.sub,
      path.slug,
      path.projectSlug,
      { name: dto.name, description: dto.description ?? null, tags: dto.tags ?? [], metadata: dto.metadata ?? null },
      WRITERS,
    );
    requireRole(resolveScope(found, path), WRITE, path);
    return found.dataset as DatasetDto;
  }

  async list(user: AuthUser, path: ProjectPath, query: ListQuery): Promise<DatasetPageDto> {
    const found = await this.datasets.list(user.sub, path.slug, path.projectSlug, query);
    resolveScope(found, path);
    return { datasets: found.items, ...pageMeta(query, found.total) };
  }

  async get(user: AuthUser, path: ProjectPath, name: string): Promise<RawJson<DatasetDetailDto>> {
    const found = await this.datasets.findWithCollections(user.sub, path.slug, path.projectSlug, name);
    resolveTarget(found, path, 'Dataset', name);
    return new RawJson(found.dataset as string);
  }

  async update(user: AuthUser, path: ProjectPath, name: string, patch: UpdateDatasetDto): Promise<DatasetDto> {
    rejectNulls(patch, ['name', 'tags']);
    const found = await this.datasets.update(user.sub, path.slug, path.projectSlug, name, patch, WRITERS);
    requireRole(resolveTarget(found, path, 'Dataset', name), WRITE, path);
    if (!found.dataset) throw targetNotFound('Dataset', path, name); // deleted by someone else meanwhile
    return found.dataset;
  }

  async remove(user: AuthUser, path: ProjectPath, name: string): Promise<SuccessDto> {
    const found = await this.datasets.softDelete(user.sub, path.slug, path.projectSlug, name, WRITERS);
    requireRole(resolveTarget(found, path, 'Dataset', name), WRITE, path);
    if (!found.deleted) throw targetNotFound('Dataset', path, name);
    return SUCCESS;
  }

  async link(user: AuthUser, path: ProjectPath, name: string, collections: string[]): Promise<LinkResultDto> {
    const found = await this.datasets.link(user.sub, path.slug, path.projectSlug, name, collections, WRITERS);
    requireRole(resolveTarget(found, path, 'Dataset', name), WRITE, path);
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
    return { added: found.added, total: found.total };
  }

  async unlink(user: AuthUser, path: ProjectPath, name: string, collections: string[]): Promise<UnlinkResultDto> {
    const found = await this.datasets.unlink(user.sub, path.slug, path.projectSlug, name, collections, WRITERS);
    requireRole(resolveTarget(found, path, 'Dataset', name), WRITE, path);
    return { removed: found.removed, total: found.total };
  }
}
