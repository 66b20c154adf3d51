import { BadRequestException, Injectable } from '@nestjs/common';
import { requireRole, resolveScope, resolveTarget, targetNotFound, type ProjectPath } from '../auth/access.js';
import { REQUIRED_ROLE, rolesFrom } from '../auth/roles.js';
import type { AuthUser } from '../auth/user.js';
import { segment, type Answer } from '../common/answer.js';
import { NotFoundError, PreconditionFailedError, staleTag } from '../common/errors.js';
import { HeavyReads } from '../common/heavy-reads.js';
import { assemble, prepend } from '../common/json-stream.js';
import { SUCCESS, type SuccessDto } from '../common/pagination.js';
import { RawJson } from '../common/raw-json.js';
import { rejectNulls } from '../common/validators.js';
import { IdempotencyService, type IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { CollectionsRepository } from './collections.repository.js';
import type {
  AddMembersResultDto,
  CollectionDto,
  CollectionListQuery,
  CollectionMemberPageDto,
  CollectionPageDto,
  CreateCollectionDto,
  MemberListQuery,
  RemoveMembersResultDto,
  UpdateCollectionDto,
} from './dto/collection.dto.js';

const WRITE = REQUIRED_ROLE.writeContent;
const WRITERS = rolesFrom(WRITE);

/** The path of a collection, for Location. */
export const collectionPath = (path: ProjectPath, name: string): string =>
  `/namespaces/${segment(path.slug)}/projects/${segment(path.projectSlug)}/collections/${segment(name)}`;

/**
 * Collection rules. 404s come first, in path order (namespace, project, collection), then 403 for
 * a role below writer, then 412 for an If-Match tag that is not current, then what the body names
 * (an unknown dataset: 404).
 */
@Injectable()
export class CollectionsService {
  constructor(
    private readonly collections: CollectionsRepository,
    private readonly idempotency: IdempotencyService,
    private readonly heavyReads: HeavyReads,
  ) {}

  create(
    user: AuthUser,
    path: ProjectPath,
    dto: CreateCollectionDto,
    key: IdempotencyRequest | null,
  ): Promise<Answer<CollectionDto>> {
    const location = collectionPath(path, dto.name);
    return this.idempotency.run(key, { status: 201, location }, async (keep) => {
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
        keep,
      );
      requireRole(resolveScope(found, path), WRITE, path);
      if (!found.dataset_found) throw this.datasetNotFound(path, dto.datasetId);
      return new RawJson<CollectionDto>(found.body!);
    });
  }

  async list(user: AuthUser, path: ProjectPath, query: CollectionListQuery): Promise<RawJson<CollectionPageDto>> {
    if (query.datasetId !== undefined && query.standalone === 'true') {
      throw new BadRequestException(['datasetId and standalone=true exclude each other']);
    }
    const found = await this.collections.list(user.sub, path.slug, path.projectSlug, query);
    resolveScope(found, path);
    return new RawJson(found.body!);
  }

  /**
   * The collection with its ETag: 304 when If-None-Match holds it; its members built in one piece,
   * or for a big collection streamed as the client reads them (one of HEAVY_READS slots).
   */
  async get(
    user: AuthUser,
    path: ProjectPath,
    name: string,
    members: boolean,
    ifNoneMatch: string[] | null,
  ): Promise<Answer<CollectionDto>> {
    const found = await this.collections.find(user.sub, path.slug, path.projectSlug, name, members, ifNoneMatch);
    resolveTarget(found, path, 'Collection', name);
    if (found.not_modified) return { etag: found.etag, notModified: true };
    if (found.big) return { etag: found.etag, body: this.heavyReads.hold(this.streamed(user, path, name)) };
    return { etag: found.etag, body: new RawJson(found.body!) };
  }

  private async *streamed(user: AuthUser, path: ProjectPath, name: string): AsyncGenerator<string> {
    const parts = this.collections.streamMembers(user.sub, path.slug, path.projectSlug, name);
    const first = await parts.next();
    if (first.done || !('collection' in first.value)) throw targetNotFound('Collection', path, name); // deleted meanwhile
    yield* assemble(prepend(first.value, parts));
  }

  async update(
    user: AuthUser,
    path: ProjectPath,
    name: string,
    patch: UpdateCollectionDto,
    ifMatch: string[] | null,
  ): Promise<Answer<CollectionDto>> {
    rejectNulls(patch, ['name', 'tags']);
    const found = await this.collections.update(user.sub, path.slug, path.projectSlug, name, patch, WRITERS, ifMatch);
    requireRole(resolveTarget(found, path, 'Collection', name), WRITE, path);
    if (!found.dataset_found) throw this.datasetNotFound(path, patch.datasetId);
    if (found.body === null) throw this.notChanged(path, name, ifMatch);
    return { etag: found.etag, body: new RawJson(found.body) };
  }

  async remove(user: AuthUser, path: ProjectPath, name: string, ifMatch: string[] | null): Promise<SuccessDto> {
    const found = await this.collections.softDelete(user.sub, path.slug, path.projectSlug, name, WRITERS, ifMatch);
    requireRole(resolveTarget(found, path, 'Collection', name), WRITE, path);
    if (!found.deleted) throw this.notChanged(path, name, ifMatch);
    return SUCCESS;
  }

  addMembers(
    user: AuthUser,
    path: ProjectPath,
    name: string,
    ids: string[],
    ifMatch: string[] | null,
    key: IdempotencyRequest | null,
  ): Promise<Answer<AddMembersResultDto>> {
    return this.idempotency.run(key, { status: 200 }, async (keep) => {
      const found = await this.collections.addMembers(
        user.sub,
        path.slug,
        path.projectSlug,
        name,
        ids,
        WRITERS,
        ifMatch,
        keep,
      );
      requireRole(resolveTarget(found, path, 'Collection', name), WRITE, path);
      if (found.precondition_failed) throw this.stale(path, name);
      if (found.body === null) throw targetNotFound('Collection', path, name); // deleted by someone else meanwhile
      return new RawJson<AddMembersResultDto>(found.body);
    });
  }

  async removeMembers(
    user: AuthUser,
    path: ProjectPath,
    name: string,
    ids: string[],
    ifMatch: string[] | null,
  ): Promise<RawJson<RemoveMembersResultDto>> {
    const found = await this.collections.removeMembers(
      user.sub,
      path.slug,
      path.projectSlug,
      name,
      ids,
      WRITERS,
      ifMatch,
    );
    requireRole(resolveTarget(found, path, 'Collection', name), WRITE, path);
    if (found.precondition_failed) throw this.stale(path, name);
    if (found.body === null) throw targetNotFound('Collection', path, name);
    return new RawJson(found.body);
  }

  /** Members by page (`page`/`pageSize`) or by cursor (`after`/`limit`), never both. */
  async listMembers(
    user: AuthUser,
    path: ProjectPath,
    name: string,
    query: MemberListQuery,
  ): Promise<RawJson<CollectionMemberPageDto>> {
    const byCursor = query.after !== undefined || query.limit !== undefined;
    if (byCursor && (query.page !== undefined || query.pageSize !== undefined)) {
      throw new BadRequestException(['use page/pageSize or after/limit, not both']);
    }
    if (byCursor) {
      const after = query.after || null;
      const found = await this.collections.listMembersAfter(
        user.sub,
        path.slug,
        path.projectSlug,
        name,
        after,
        query.limit ?? 100,
      );
      resolveTarget(found, path, 'Collection', name);
      if (!found.cursor_found) {
        throw new BadRequestException([`after: node id '${after}' is not a member of collection '${name}'`]);
      }
      return new RawJson(found.body!);
    }
    const found = await this.collections.listMembersPage(user.sub, path.slug, path.projectSlug, name, {
      page: query.page ?? 1,
      pageSize: query.pageSize ?? 50,
    });
    resolveTarget(found, path, 'Collection', name);
    return new RawJson(found.body!);
  }

  /** A change that did not happen although the collection was there: its tag moved on (412), or it went (404). */
  private notChanged(path: ProjectPath, name: string, ifMatch: string[] | null): Error {
    return ifMatch === null ? targetNotFound('Collection', path, name) : this.stale(path, name);
  }

  private stale(path: ProjectPath, name: string): PreconditionFailedError {
    return staleTag(`Collection '${name}' in project '${path.slug}/${path.projectSlug}'`);
  }

  private datasetNotFound(path: ProjectPath, id: string | null | undefined): NotFoundError {
    return new NotFoundError(`Dataset with id '${id}' not found in project '${path.slug}/${path.projectSlug}'`);
  }
}
