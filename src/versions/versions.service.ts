import { BadRequestException, Injectable } from '@nestjs/common';
import { REQUIRED_ROLE } from '../auth/roles.js';
import { Answer, segment } from '../common/answer.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { HeavyReads } from '../common/heavy-reads.js';
import { assemble, prepend } from '../common/json-stream.js';
import { decide, decode, NotModified, settle, type DecodeOptions } from '../common/outcome.js';
import { SUCCESS, type SuccessDto } from '../common/pagination.js';
import { RawJson } from '../common/raw-json.js';
import type { NamedAt } from '../common/target.js';
import { isVersionTag, VERSION_TAG_RULE } from '../common/validators.js';
import { datasetPath } from '../datasets/datasets.service.js';
import type { CollectionMemberPageDto, MemberListQuery } from '../collections/dto/collection.dto.js';
import { IdempotencyService, type IdempotencyRequest } from '../idempotency/idempotency.service.js';
import type {
  CreateVersionDto,
  DiffDto,
  DiffMembersDto,
  DiffMembersQuery,
  RestoredDatasetDto,
  VersionDetailDto,
  VersionDto,
  VersionPageDto,
} from './dto/version.dto.js';
import { VersionJobs } from './version-jobs.js';
import { VersionsRepository, type FoundVersion, type VersionRef } from './versions.repository.js';

const WRITE = REQUIRED_ROLE.writeContent;
const DELETE = REQUIRED_ROLE.manageProjects;

/** Caching of an answer for a numbered ref once its digest is known: it never changes. */
const IMMUTABLE = 'private, max-age=31536000, immutable';
/** Tag and `latest` refs move; a numbered ref before its digest is known gains one. */
const REVALIDATE = 'private, no-cache';

/**
 * A path's version ref: a number, or a tag or `latest`. Anything else names no version, and the
 * statement says so after the 404s of the path before it (namespace, project, dataset).
 */
export function parseRef(text: string): VersionRef {
  return /^[0-9]{1,9}$/.test(text) ? { number: Number(text), text } : { number: null, text };
}

/**
 * Version rules. 404s in path order (namespace, project, dataset, version, collection), then 403
 * (reader reads; writer freezes, tags and restores; admin deletes), then 412, then what the body or
 * path asked for — decided by common/outcome.ts.
 */
@Injectable()
export class VersionsService {
  constructor(
    private readonly versions: VersionsRepository,
    private readonly idempotency: IdempotencyService,
    private readonly heavyReads: HeavyReads,
    private readonly jobs: VersionJobs,
  ) {}

  /** The 404 of a version ref that names nothing in the dataset. */
  private noVersion(at: NamedAt, ref: string): NotFoundError {
    return new NotFoundError(
      `Version '${ref}' not found in dataset '${at.name}' of project '${at.slug}/${at.projectSlug}'`,
    );
  }

  /** The ref of the path. */
  private ref(_at: NamedAt, text: string): VersionRef {
    return parseRef(text);
  }

  /** The version number of a `:n` path (tag and delete routes take only numbers; anything else matches none). */
  private number(_at: NamedAt, text: string): number {
    return parseRef(text).number ?? 0;
  }

  /** A version in a 412's sentence. */
  private describe(at: NamedAt, version: number): string {
    return `Version ${version} of dataset '${at.name}' in project '${at.slug}/${at.projectSlug}'`;
  }

  private versionFound<R extends FoundVersion>(at: NamedAt, ref: string): DecodeOptions<R>['missing'] {
    return (row) => (row.version_found ? null : this.noVersion(at, ref));
  }

  freeze(at: NamedAt, dto: CreateVersionDto, key: IdempotencyRequest | null): Promise<Answer<VersionDto>> {
    const spec = { message: dto.message ?? null, tags: dto.tags ?? [] };
    return this.idempotency
      .run(key, { status: 201 }, async (keep) => {
        const row = await this.versions.freeze(at, spec, WRITE, keep);
        const body = settle(row, at, {
          needs: WRITE,
          refuse: (r) =>
            r.held
              ? new ConflictError(
                  `Tags held by another version of dataset '${at.name}': ${r.held.map((t) => `'${t}'`).join(', ')}; ` +
                    'nothing was frozen (move a tag with PUT …/versions/:n/tags/:tag)',
                )
              : null,
        });
        this.jobs.soon();
        return new RawJson<VersionDto>(body);
      })
      .then((answer) => {
        const { version } = JSON.parse((answer.body as RawJson).text) as { version: number };
        return answer.with({ location: `${datasetPath(at, at.name)}/versions/${version}` });
      });
  }

  async list(at: NamedAt, page: { page: number; pageSize: number }): Promise<RawJson<VersionPageDto>> {
    return new RawJson(settle(await this.versions.list(at, page), at));
  }

  /** The version with its frozen collections and members: 304 when unchanged, streamed when big. */
  async get(
    at: NamedAt,
    refText: string,
    members: boolean,
    ifNoneMatch: string[] | null,
  ): Promise<Answer<VersionDetailDto>> {
    const ref = this.ref(at, refText);
    const row = await this.versions.find(at, ref, members, ifNoneMatch);
    const decided = decide(
      decode({ ...row, body: row.big ? '' : row.body }, { missing: this.versionFound(at, refText) }),
      at,
    );
    const cache = ref.number !== null && row.digest !== null ? IMMUTABLE : REVALIDATE;
    if (decided instanceof NotModified) return Answer.notModified(decided, { cache });
    if (row.big)
      return new Answer(this.heavyReads.hold(at.userId, this.streamed(at, ref, refText)), { etag: row.etag, cache });
    return new Answer(new RawJson(decided), { etag: row.etag, cache });
  }

  private async *streamed(at: NamedAt, ref: VersionRef, refText: string): AsyncGenerator<string> {
    const parts = this.versions.streamVersion(at, ref);
    const first = await parts.next();
    if (first.done || !('dataset' in first.value)) {
      await parts.return(undefined);
      throw this.noVersion(at, refText); // gone meanwhile
    }
    yield* assemble(prepend(first.value, parts));
  }

  /** A frozen collection's members, by page or by cursor (as the live member listing). */
  async members(
    at: NamedAt,
    refText: string,
    collection: string,
    query: MemberListQuery,
  ): Promise<RawJson<CollectionMemberPageDto>> {
    const ref = this.ref(at, refText);
    const byCursor = query.after !== undefined || query.limit !== undefined;
    if (byCursor && (query.page !== undefined || query.pageSize !== undefined)) {
      throw new BadRequestException(['use page/pageSize or after/limit, not both']);
    }
    const missing = (row: FoundVersion & { collection_found: boolean }) =>
      !row.version_found
        ? this.noVersion(at, refText)
        : row.collection_found
          ? null
          : new NotFoundError(`Collection '${collection}' not found in version ${refText} of dataset '${at.name}'`);
    if (!byCursor) {
      const page = { page: query.page ?? 1, pageSize: query.pageSize ?? 50 };
      return new RawJson(settle(await this.versions.listMembersPage(at, ref, collection, page), at, { missing }));
    }
    const after = query.after || null;
    const row = await this.versions.listMembersAfter(at, ref, collection, after, query.limit ?? 100);
    const body = settle(row, at, { missing });
    if (!row.cursor_found) {
      throw new BadRequestException([
        `after: node id '${after}' is not a member of collection '${collection}' in this version`,
      ]);
    }
    return new RawJson(body);
  }

  /** The manifest as NDJSON, streamed; its digest as Repr-Digest once known. */
  async manifest(at: NamedAt, refText: string): Promise<Answer> {
    const ref = this.ref(at, refText);
    const parts = this.versions.manifest(at, ref);
    const first = await parts.next();
    if (first.done || !('head' in first.value)) throw this.noVersion(at, refText);
    const { digest, found } = first.value.head;
    try {
      settle(found, at, { missing: this.versionFound(at, refText) });
    } catch (error) {
      await parts.return(undefined);
      throw error;
    }
    const extra: Record<string, string> = {};
    if (digest !== null) {
      extra['repr-digest'] = `sha-256=:${Buffer.from(digest.slice('sha256:'.length), 'hex').toString('base64')}:`;
    }
    return new Answer(
      this.heavyReads.hold(at.userId, lines(parts), () => parts.return(undefined)),
      {
        contentType: 'application/x-ndjson; charset=utf-8',
        cache: ref.number !== null && digest !== null ? IMMUTABLE : REVALIDATE,
        extra,
      },
    );
  }

  async diff(at: NamedAt, aText: string, bText: string): Promise<RawJson<DiffDto>> {
    const a = this.ref(at, aText);
    const b = bText === 'working' ? null : this.ref(at, bText);
    const row = await this.versions.diff(at, a, b);
    return new RawJson(
      settle(row, at, {
        missing: (r) => (!r.version_found ? this.noVersion(at, aText) : r.to_found ? null : this.noVersion(at, bText)),
      }),
    );
  }

  async diffMembers(
    at: NamedAt,
    aText: string,
    bText: string,
    collection: string,
    query: DiffMembersQuery,
  ): Promise<RawJson<DiffMembersDto>> {
    const a = this.ref(at, aText);
    const b = bText === 'working' ? null : this.ref(at, bText);
    const cursor = query.after ? /^([ar]):([0-9]{1,18})$/.exec(query.after) : null;
    if (query.after && cursor === null) throw new BadRequestException(['after: not a cursor this listing gave']);
    const after = cursor ? { kind: cursor[1] as 'a' | 'r', position: cursor[2] } : null;
    const row = await this.versions.diffMembers(at, a, b, collection, after, query.limit ?? 100);
    const body = settle(row, at, {
      missing: (r) =>
        !r.version_found
          ? this.noVersion(at, aText)
          : !r.to_found
            ? this.noVersion(at, bText)
            : r.collection_found
              ? null
              : new NotFoundError(
                  `Collection '${collection}' is in neither ${aText} nor ${bText} of dataset '${at.name}'`,
                ),
    });
    return new RawJson(body);
  }

  async putTag(at: NamedAt, n: string, tag: string, ifMatch: string[] | null): Promise<Answer<VersionDto>> {
    const version = this.number(at, n);
    if (!isVersionTag(tag)) throw new BadRequestException([`tag must be ${VERSION_TAG_RULE}`]);
    const row = await this.versions.putTag(at, version, tag, WRITE, ifMatch);
    const body = settle(row, at, {
      missing: this.versionFound(at, n),
      needs: WRITE,
      ifMatch,
      stale: this.describe(at, version),
      refuse: (r) => (r.full ? new BadRequestException([`version ${version} already holds 20 tags`]) : null),
    });
    return new Answer(new RawJson(body), { etag: row.etag });
  }

  async deleteTag(at: NamedAt, n: string, tag: string, ifMatch: string[] | null): Promise<Answer<VersionDto>> {
    const version = this.number(at, n);
    const row = await this.versions.deleteTag(at, version, tag, WRITE, ifMatch);
    const body = settle(row, at, {
      missing: (r) =>
        !r.version_found
          ? this.noVersion(at, n)
          : r.tag_found
            ? null
            : new NotFoundError(`Version ${version} of dataset '${at.name}' holds no tag '${tag}'`),
      needs: WRITE,
      ifMatch,
      stale: this.describe(at, version),
    });
    return new Answer(new RawJson(body), { etag: row.etag });
  }

  async remove(at: NamedAt, n: string): Promise<SuccessDto> {
    const version = this.number(at, n);
    const row = await this.versions.delete(at, version, DELETE);
    settle(row, at, {
      missing: this.versionFound(at, n),
      needs: DELETE,
      refuse: (r) =>
        r.tags
          ? new ConflictError(
              `Version ${version} holds tags ${r.tags.map((t) => `'${t}'`).join(', ')}; delete or move them first`,
            )
          : null,
    });
    return SUCCESS;
  }

  restore(at: NamedAt, refText: string, key: IdempotencyRequest | null): Promise<Answer<RestoredDatasetDto>> {
    const ref = this.ref(at, refText);
    return this.idempotency.run(key, { status: 200 }, async (keep) => {
      const row = await this.versions.restore(at, ref, WRITE, keep);
      return new RawJson<RestoredDatasetDto>(
        settle(row, at, {
          missing: this.versionFound(at, refText),
          needs: WRITE,
          refuse: (r) =>
            r.clash
              ? new ConflictError(
                  `Collections the version needs are held by other live collections of project '${at.slug}/${at.projectSlug}': ` +
                    `${r.clash.map((name) => `'${name}'`).join(', ')}; nothing was changed (rename or delete those first)`,
                )
              : null,
        }),
      );
    });
  }
}

/** The text chunks of a manifest read (its head already consumed). */
async function* lines(parts: AsyncGenerator<{ head: unknown } | { lines: string }>): AsyncGenerator<string> {
  for await (const part of parts) if ('lines' in part) yield part.lines;
}

export { segment };
