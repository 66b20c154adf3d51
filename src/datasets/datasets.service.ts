import { Injectable } from '@nestjs/common';
import { REQUIRED_ROLE } from '../auth/roles.js';
import { Answer, segment } from '../common/answer.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { HeavyReads } from '../common/heavy-reads.js';
import { assemble, prepend } from '../common/json-stream.js';
import { decide, decode, NotModified, notFound, settle } from '../common/outcome.js';
import { SUCCESS, type ListQuery, type SuccessDto } from '../common/pagination.js';
import { RawJson } from '../common/raw-json.js';
import type { NamedAt, ProjectAt } from '../common/target.js';
import { rejectNulls } from '../common/validators.js';
import { IdempotencyService, type IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { DatasetsRepository, type Linked } from './datasets.repository.js';
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

const quoteList = (names: string[]): string => names.map((name) => `'${name}'`).join(', ');

/** The path of a dataset, for Location. */
export const datasetPath = (at: ProjectAt, name: string): string =>
  `/namespaces/${segment(at.slug)}/projects/${segment(at.projectSlug)}/datasets/${segment(name)}`;

/** Why a link changed nothing although the dataset was there: named collections missing (404) or taken (409). */
const linkRefusal =
  (at: ProjectAt) =>
  (row: Linked): NotFoundError | ConflictError | null => {
    if (row.missing) {
      return new NotFoundError(
        `Collections not found in project '${at.slug}/${at.projectSlug}': ${quoteList(row.missing)}; nothing was changed`,
      );
    }
    if (row.taken) {
      return new ConflictError(
        `Collections already belong to another dataset: ${quoteList(row.taken)}; nothing was changed`,
      );
    }
    return null;
  };

/**
 * Dataset rules. 404s come first, in path order (namespace, project, dataset), then 403 for a
 * role below writer, then 412 for an If-Match tag that is not current, then what the body asked
 * for (missing or taken collections) — decided by common/outcome.ts.
 */
@Injectable()
export class DatasetsService {
  constructor(
    private readonly datasets: DatasetsRepository,
    private readonly idempotency: IdempotencyService,
    private readonly heavyReads: HeavyReads,
  ) {}

  create(at: ProjectAt, dto: CreateDatasetDto, key: IdempotencyRequest | null): Promise<Answer<DatasetDto>> {
    const dataset = {
      name: dto.name,
      description: dto.description ?? null,
      tags: dto.tags ?? [],
      metadata: dto.metadata ?? null,
    };
    return this.idempotency.run(key, { status: 201, location: datasetPath(at, dto.name) }, async (keep) => {
      return new RawJson<DatasetDto>(
        settle(await this.datasets.create(at, dataset, WRITE, keep), at, { needs: WRITE }),
      );
    });
  }

  async list(at: ProjectAt, query: ListQuery): Promise<RawJson<DatasetPageDto>> {
    return new RawJson(settle(await this.datasets.list(at, query), at));
  }

  /** The dataset with its collections and their members, and its ETag; a big one is streamed. */
  async get(at: NamedAt, ifNoneMatch: string[] | null): Promise<Answer<DatasetDetailDto>> {
    const row = await this.datasets.findWithCollections(at, ifNoneMatch);
    // A big dataset has no body yet: it is found, and streamed below.
    const decided = decide(decode({ ...row, body: row.big ? '' : row.body }), at);
    if (decided instanceof NotModified) return Answer.notModified(decided);
    if (row.big) return new Answer(this.heavyReads.hold(at.userId, this.streamed(at)), { etag: row.etag });
    return new Answer(new RawJson(decided), { etag: row.etag });
  }

  /** The text of a big dataset's answer, assembled from its streamed parts. */
  private async *streamed(at: NamedAt): AsyncGenerator<string> {
    const parts = this.datasets.streamCollections(at);
    const first = await parts.next();
    if (first.done || !('dataset' in first.value)) {
      await parts.return(undefined);
      throw notFound(at, 'target'); // deleted meanwhile
    }
    yield* assemble(prepend(first.value, parts));
  }

  async update(at: NamedAt, patch: UpdateDatasetDto, ifMatch: string[] | null): Promise<Answer<DatasetDto>> {
    rejectNulls(patch, ['name', 'tags']);
    const row = await this.datasets.update(at, patch, WRITE, ifMatch);
    return new Answer(new RawJson(settle(row, at, { needs: WRITE, ifMatch })), { etag: row.etag });
  }

  async remove(at: NamedAt, ifMatch: string[] | null): Promise<SuccessDto> {
    const row = await this.datasets.softDelete(at, WRITE, ifMatch);
    settle({ ...row, body: row.deleted ? 'deleted' : null }, at, { needs: WRITE, ifMatch });
    return SUCCESS;
  }

  link(
    at: NamedAt,
    collections: string[],
    ifMatch: string[] | null,
    key: IdempotencyRequest | null,
  ): Promise<Answer<LinkResultDto>> {
    return this.idempotency.run(key, { status: 200 }, async (keep) => {
      const row = await this.datasets.link(at, collections, WRITE, ifMatch, keep);
      return new RawJson<LinkResultDto>(settle(row, at, { needs: WRITE, refuse: linkRefusal(at) }));
    });
  }

  async unlink(at: NamedAt, collections: string[], ifMatch: string[] | null): Promise<RawJson<UnlinkResultDto>> {
    return new RawJson(settle(await this.datasets.unlink(at, collections, WRITE, ifMatch), at, { needs: WRITE }));
  }
}
