import { BadRequestException, Injectable } from '@nestjs/common';
import { requireRole, resolveScope, resolveTarget, targetNotFound, type ProjectPath } from '../auth/access.js';
import { REQUIRED_ROLE, rolesFrom } from '../auth/roles.js';
import type { AuthUser } from '../auth/user.js';
import { NotFoundError } from '../common/errors.js';
import { pageMeta, SUCCESS, type SuccessDto } from '../common/pagination.js';
import { RawJson } from '../common/raw-json.js';
import { rejectNulls } from '../common/validators.js';
import { CollectionsRepository } from './collections.repository.js';
import type {
  AddMembersResultDto,
  CollectionDto,
  CollectionListQuery,
  CollectionPageDto,
  CreateCollectionDto,
  MemberListQuery,
  CollectionMemberPageDto,
  RemoveMembersResultDto,
  UpdateCollectionDto,
} from './dto/collection.dto.js';

const WRITE = REQUIRED_ROLE.writeContent;
const WRITERS = rolesFrom(WRITE);

/**
 * Collection rules. 404s come first, in path order (namespace, project, collection), then 403 for
 * a role below writer, then what the body names (an unknown dataset: 404).
 */
@Injectable()
export class CollectionsService {
  constructor(private readonly collections: CollectionsRepository) {}

  async create(user: AuthUser, path: ProjectPath, dto: CreateCollectionDto): Promise<CollectionDto> {
    const found = await this.collections.create(
      user.sub,
      path.slug,
      path.projectSlug,
      {
        name: dto.name,
        description: dto.description ?? null,
        tags: dto.tags ?? [],
        metadata: dto.metadata ?? null,
        datasetId: dto.datasetId ?? null,
        members: dto.members ?? [],
      },
      WRITERS,
    );
    requireRole(resolveScope(found, path), WRITE, path);
    if (!found.dataset_found) throw this.datasetNotFound(path, dto.datasetId);
    return found.collection as CollectionDto;
  }

  async list(user: AuthUser, path: ProjectPath, query: CollectionListQuery): Promise<CollectionPageDto> {
    if (query.datasetId !== undefined && query.standalone === 'true') {
      throw new BadRequestException(['datasetId and standalone=true exclude each other']);
    }
    const found = await this.collections.list(user.sub, path.slug, path.projectSlug, query);
    resolveScope(found, path);
    return { collections: found.items, ...pageMeta(query, found.total) };
  }

  async get(user: AuthUser, path: ProjectPath, name: string, withMembers: boolean): Promise<RawJson<CollectionDto>> {
    const found = await this.collections.find(user.sub, path.slug, path.projectSlug, name, withMembers);
    resolveTarget(found, path, 'Collection', name);
    return new RawJson(found.collection as string);
  }

  async update(user: AuthUser, path: ProjectPath, name: string, patch: UpdateCollectionDto): Promise<CollectionDto> {
    rejectNulls(patch, ['name', 'tags']);
    const found = await this.collections.update(user.sub, path.slug, path.projectSlug, name, patch, WRITERS);
    requireRole(resolveTarget(found, path, 'Collection', name), WRITE, path);
    if (!found.dataset_found) throw this.datasetNotFound(path, patch.datasetId);
    if (!found.collection) throw targetNotFound('Collection', path, name); // deleted by someone else meanwhile
    return found.collection;
  }

  async remove(user: AuthUser, path: ProjectPath, name: string): Promise<SuccessDto> {
    const found = await this.collections.softDelete(user.sub, path.slug, path.projectSlug, name, WRITERS);
    requireRole(resolveTarget(found, path, 'Collection', name), WRITE, path);
    if (!found.deleted) throw targetNotFound('Collection', path, name);
    return SUCCESS;
  }

  async addMembers(user: AuthUser, path: ProjectPath, name: string, ids: string[]): Promise<AddMembersResultDto> {
    const found = await this.collections.addMembers(user.sub, path.slug, path.projectSlug, name, ids, WRITERS);
    requireRole(resolveTarget(found, path, 'Collection', name), WRITE, path);
    if (!found.changed) throw targetNotFound('Collection', path, name);
    return { added: found.added, total: found.total };
  }

  async removeMembers(user: AuthUser, path: ProjectPath, name: string, ids: string[]): Promise<RemoveMembersResultDto> {
    const found = await this.collections.removeMembers(user.sub, path.slug, path.projectSlug, name, ids, WRITERS);
    requireRole(resolveTarget(found, path, 'Collection', name), WRITE, path);
    if (!found.changed) throw targetNotFound('Collection', path, name);
    return { removed: found.removed, total: found.total };
  }

  /** Members by page (`page`/`pageSize`) or by cursor (`after`/`limit`), never both. */
  async listMembers(
    user: AuthUser,
    path: ProjectPath,
    name: string,
    query: MemberListQuery,
  ): Promise<CollectionMemberPageDto> {
    const byCursor = query.after !== undefined || query.limit !== undefined;
    if (byCursor && (query.page !== undefined || query.pageSize !== undefined)) {
      throw new BadRequestException(['use page/pageSize or after/limit, not both']);
    }
    if (byCursor) {
      const after = query.after || null;
      const limit = query.limit ?? 100;
      const found = await this.collections.listMembersAfter(user.sub, path.slug, path.projectSlug, name, after, limit);
      resolveTarget(found, path, 'Collection', name);
      if (!found.cursor_found) {
        throw new BadRequestException([`after: node id '${after}' is not a member of collection '${name}'`]);
      }
      const last = found.items.at(-1);
      return { members: found.items, nextCursor: found.more && last ? last.nodeId : null };
    }
    const page = { page: query.page ?? 1, pageSize: query.pageSize ?? 50 };
    const found = await this.collections.listMembersPage(user.sub, path.slug, path.projectSlug, name, {
      limit: page.pageSize,
      offset: (page.page - 1) * page.pageSize,
    });
    resolveTarget(found, path, 'Collection', name);
    return { members: found.items, ...pageMeta(page, found.total) };
  }

  private datasetNotFound(path: ProjectPath, id: string | null | undefined): NotFoundError {
    return new NotFoundError(`Dataset with id '${id}' not found in project '${path.slug}/${path.projectSlug}'`);
  }
}
