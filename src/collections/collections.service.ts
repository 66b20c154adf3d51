import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { REQUIRED_ROLE } from '../auth/roles.js';
import { Answer, segment } from '../common/answer.js';
import { NotFoundError } from '../common/errors.js';
import { HeavyReads } from '../common/heavy-reads.js';
import { assemble, prepend } from '../common/json-stream.js';
import { decide, decode, NotModified, notFound, settle } from '../common/outcome.js';
import { SUCCESS, type SuccessDto } from '../common/pagination.js';
import { RawJson } from '../common/raw-json.js';
import type { NamedAt, ProjectAt } from '../common/target.js';
import { rejectNulls } from '../common/validators.js';
import { IdempotencyService, type IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { CollectionsRepository, type DatasetNamed } from './collections.repository.js';
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

/** The path of a collection, for Location. */
export const collectionPath = (at: ProjectAt, name: string): string =>
  `/namespaces/${segment(at.slug)}/projects/${segment(at.projectSlug)}/collections/${segment(name)}`;

/** The 404 of a `datasetId` in a body that names no live dataset of the project. */
const unknownDataset =
  (at: ProjectAt, id: string | null | undefined) =>
  (row: DatasetNamed): NotFoundError | null =>
    row.dataset_found
      ? null
      : new NotFoundError(`Dataset with id '${id}' not found in project '${at.slug}/${at.projectSlug}'`);

/**
 * Collection rules. 404s come first, in path order (namespace, project, collection), then 403 for
 * a role below writer, then 412 for an If-Match tag that is not current, then what the body names
 * (an unknown dataset: 404) — decided by common/outcome.ts.
 */
@Injectable()
export class CollectionsService {
  constructor(
    private readonly collections: CollectionsRepository,
    private readonly idempotency: IdempotencyService,
    private readonly heavyReads: HeavyReads,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  create(at: ProjectAt, dto: CreateCollectionDto, key: IdempotencyRequest | null): Promise<Answer<CollectionDto>> {
    const collection = {
      name: dto.name,
      description: dto.description ?? null,
      tags: dto.tags ?? [],
      metadata: dto.metadata ?? null,
      datasetId: dto.datasetId ?? null,
      members: dto.members ?? [],
    };
    return this.idempotency.run(key, { status: 201, location: collectionPath(at, dto.name) }, async (keep) => {
      const row = await this.collections.create(at, collection, WRITE, keep);
      return new RawJson<CollectionDto>(settle(row, at, { needs: WRITE, refuse: unknownDataset(at, dto.datasetId) }));
    });
  }

  async list(at: ProjectAt, query: CollectionListQuery): Promise<RawJson<CollectionPageDto>> {
    if (query.datasetId !== undefined && query.standalone === 'true') {
      throw new BadRequestException(['datasetId and standalone=true exclude each other']);
    }
    return new RawJson(settle(await this.collections.list(at, query), at));
  }

  /**
   * The collection with its ETag: 304 when If-None-Match holds it; its members built in one piece,
   * or for a big collection streamed as the client reads them (one of HEAVY_READS slots).
   */
  async get(at: NamedAt, members: boolean, ifNoneMatch: string[] | null): Promise<Answer<CollectionDto>> {
    const row = await this.collections.find(at, members, ifNoneMatch);
    // A big collection has no body yet: it is found, and streamed below.
    const decided = decide(decode({ ...row, body: row.big ? '' : row.body }), at);
    if (decided instanceof NotModified) return Answer.notModified(decided);
    if (row.big) return new Answer(this.heavyReads.hold(at.userId, this.streamed(at)), { etag: row.etag });
    return new Answer(new RawJson(decided), { etag: row.etag });
  }

  private async *streamed(at: NamedAt): AsyncGenerator<string> {
    const parts = this.collections.streamMembers(at);
    const first = await parts.next();
    if (first.done || !('collection' in first.value)) {
      await parts.return(undefined);
      throw notFound(at, 'target'); // deleted meanwhile
    }
    yield* assemble(prepend(first.value, parts));
  }

  async update(at: NamedAt, patch: UpdateCollectionDto, ifMatch: string[] | null): Promise<Answer<CollectionDto>> {
    rejectNulls(patch, ['name', 'tags']);
    const row = await this.collections.update(at, patch, WRITE, ifMatch, this.config.limits.fullAnswerMembers);
    const body = settle(row, at, { needs: WRITE, ifMatch, refuse: unknownDataset(at, patch.datasetId) });
    return new Answer(new RawJson(body), { etag: row.etag });
  }

  async remove(at: NamedAt, ifMatch: string[] | null): Promise<SuccessDto> {
    const row = await this.collections.softDelete(at, WRITE, ifMatch);
    settle({ ...row, body: row.deleted ? 'deleted' : null }, at, { needs: WRITE, ifMatch });
    return SUCCESS;
  }

  addMembers(
    at: NamedAt,
    ids: string[],
    ifMatch: string[] | null,
    key: IdempotencyRequest | null,
  ): Promise<Answer<AddMembersResultDto>> {
    return this.idempotency.run(key, { status: 200 }, async (keep) => {
      const row = await this.collections.addMembers(at, ids, WRITE, ifMatch, keep);
      return new RawJson<AddMembersResultDto>(settle(row, at, { needs: WRITE, ifMatch }));
    });
  }

  async removeMembers(at: NamedAt, ids: string[], ifMatch: string[] | null): Promise<RawJson<RemoveMembersResultDto>> {
    return new RawJson(
      settle(await this.collections.removeMembers(at, ids, WRITE, ifMatch), at, { needs: WRITE, ifMatch }),
    );
  }

  /** Members by page (`page`/`pageSize`) or by cursor (`after`/`limit`), never both. */
  async listMembers(at: NamedAt, query: MemberListQuery): Promise<RawJson<CollectionMemberPageDto>> {
    const byCursor = query.after !== undefined || query.limit !== undefined;
    if (byCursor && (query.page !== undefined || query.pageSize !== undefined)) {
      throw new BadRequestException(['use page/pageSize or after/limit, not both']);
    }
    if (!byCursor) {
      const page = { page: query.page ?? 1, pageSize: query.pageSize ?? 50 };
      return new RawJson(settle(await this.collections.listMembersPage(at, page), at));
    }
    const after = query.after || null;
    const row = await this.collections.listMembersAfter(at, after, query.limit ?? 100);
    const body = settle(row, at);
    if (!row.cursor_found) {
      throw new BadRequestException([`after: node id '${after}' is not a member of collection '${at.name}'`]);
    }
    return new RawJson(body);
  }
}
