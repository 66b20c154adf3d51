import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { AnswerInterceptor } from '../common/answer.js';
import { ApiErrors, CONFLICT, forbidden, IDEMPOTENCY, INVALID, notFound, STALE } from '../common/api-errors.js';
import { ApiPathParams } from '../common/api-params.js';
import { ApiOkResponseOneOf } from '../common/api-responses.js';
import { ApiConditionalGet, ApiIfMatch, IfMatch, IfNoneMatch } from '../common/conditional.js';
import { SuccessDto } from '../common/pagination.js';
import type { RawJson } from '../common/raw-json.js';
import { At, type NamedAt } from '../common/target.js';
import {
  MEMBER_LISTING_FORMS,
  MemberListQuery,
  type CollectionMemberPageDto,
} from '../collections/dto/collection.dto.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import {
  CreateVersionDto,
  DiffDto,
  DiffMembersDto,
  DiffMembersQuery,
  RestoredDatasetDto,
  VersionDetailDto,
  VersionDto,
  VersionPageDto,
  VersionPageQuery,
  VersionQuery,
} from './dto/version.dto.js';
import { VersionsService } from './versions.service.js';

/** Frozen versions of a dataset (docs/CONTRACT.md, "Versions"). */
@ApiTags('versions')
@ApiBearerAuth()
@ApiPathParams()
@Controller('namespaces/:slug/projects/:projectSlug/datasets/:name/versions')
@UseInterceptors(AnswerInterceptor)
export class VersionsController {
  constructor(private readonly versions: VersionsService) {}

  @Post()
  @ApiOperation({
    summary: 'Freeze the dataset as it is now (writer): a new version, numbered 1, 2, …',
    description:
      'Records its collections (names, descriptions, tags, metadata) and their members in order, at one instant, ' +
      'without copying a member: the cost does not grow with the members. `digest` is null until computed, shortly after.',
  })
  @ApiCreatedResponse({ type: VersionDto, description: 'The new version; Location is its path' })
  @ApiErrors({
    400: [INVALID.versionTags],
    403: forbidden('writer'),
    404: notFound('namespace', 'project', 'dataset'),
    409: { 'tag held': CONFLICT.tagHeld, 'key in progress': IDEMPOTENCY.inProgress },
    422: IDEMPOTENCY.reused,
    body: 'json',
  })
  @ApiIdempotent()
  freeze(@At('Dataset') at: NamedAt, @Body() dto: CreateVersionDto, @IdempotencyKey() key: IdempotencyRequest | null) {
    return this.versions.freeze(at, dto, key);
  }

  @Get()
  @ApiOperation({ summary: "The dataset's versions, newest first" })
  @ApiOkResponse({ type: VersionPageDto, description: 'A page of versions' })
  @ApiErrors({ 404: notFound('namespace', 'project', 'dataset') })
  list(@At('Dataset') at: NamedAt, @Query() query: VersionPageQuery): Promise<RawJson<VersionPageDto>> {
    return this.versions.list(at, query);
  }

  @Get(':ref')
  @ApiOperation({
    summary: 'A version: the dataset as frozen, its collections with their members',
    description:
      'A numbered ref answers `Cache-Control: private, max-age=31536000, immutable` once its digest is known (its content ' +
      'never changes); a tag or `latest` answers `no-cache`, with an ETag that changes when the ref moves.',
  })
  @ApiOkResponse({
    type: VersionDetailDto,
    description: 'The version with its frozen collections and members (streamed when big)',
  })
  @ApiErrors({ 400: [INVALID.members], 404: notFound('namespace', 'project', 'dataset', 'version') })
  @ApiConditionalGet()
  get(
    @At('Dataset') at: NamedAt,
    @Param('ref') ref: string,
    @Query() query: VersionQuery,
    @IfNoneMatch() ifNoneMatch: string[] | null,
  ) {
    return this.versions.get(at, ref, query.members !== 'false', ifNoneMatch);
  }

  @Get(':ref/collections/:collection/members')
  @ApiOperation({
    summary: "A frozen collection's members in order, by page or by cursor",
    description: 'The same two forms as the live member listing; a page costs what a live page costs, at any depth.',
  })
  @ApiOkResponseOneOf('Members as the version froze them', MEMBER_LISTING_FORMS)
  @ApiErrors({
    400: { 'both forms': [INVALID.bothForms] },
    404: notFound('namespace', 'project', 'dataset', 'version', 'versionCollection'),
  })
  members(
    @At('Dataset') at: NamedAt,
    @Param('ref') ref: string,
    @Param('collection') collection: string,
    @Query() query: MemberListQuery,
  ): Promise<RawJson<CollectionMemberPageDto>> {
    return this.versions.members(at, ref, collection, query);
  }

  @Get(':ref/manifest')
  @ApiOperation({
    summary: 'The manifest of a version, for training loaders: one NDJSON line per member',
    description:
      'Each line is `{"collection":"…","nodeId":"…"}`; collections by name (bytewise), members in order. Streamed (memory ' +
      'flat at any size). Carries the digest as `Repr-Digest: sha-256=:…:` once known (`digest` is sha256 of these bytes).',
  })
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({
    description: 'NDJSON, one member a line',
    content: {
      'application/x-ndjson': {
        schema: { type: 'string' },
        example: '{"collection":"front-camera-clips","nodeId":"episode-0001"}\n',
      },
    },
  })
  @ApiErrors({ 404: notFound('namespace', 'project', 'dataset', 'version') })
  manifest(@At('Dataset') at: NamedAt, @Param('ref') ref: string) {
    return this.versions.manifest(at, ref);
  }

  @Get(':a/diff/:b')
  @ApiOperation({
    summary: 'What changed between two versions (or a version and `working`, the live dataset), per collection',
    description: 'Costs what changed between the two, not their size. A renamed collection shows as removed and added.',
  })
  @ApiOkResponse({ type: DiffDto, description: 'The collections that differ' })
  @ApiErrors({ 404: notFound('namespace', 'project', 'dataset', 'version') })
  diff(@At('Dataset') at: NamedAt, @Param('a') a: string, @Param('b') b: string): Promise<RawJson<DiffDto>> {
    return this.versions.diff(at, a, b);
  }

  @Get(':a/diff/:b/collections/:collection')
  @ApiOperation({
    summary: 'The member ids of one collection added and removed between two versions (or `working`), by cursor',
  })
  @ApiOkResponse({ type: DiffMembersDto, description: 'A page of changed members' })
  @ApiErrors({
    400: [INVALID.diffCursor],
    404: notFound('namespace', 'project', 'dataset', 'version', 'versionCollection'),
  })
  diffMembers(
    @At('Dataset') at: NamedAt,
    @Param('a') a: string,
    @Param('b') b: string,
    @Param('collection') collection: string,
    @Query() query: DiffMembersQuery,
  ): Promise<RawJson<DiffMembersDto>> {
    return this.versions.diffMembers(at, a, b, collection, query);
  }

  @Put(':n/tags/:tag')
  @HttpCode(200)
  @ApiOperation({ summary: 'Give version n the tag (writer); it moves here from any other version of the dataset' })
  @ApiOkResponse({ type: VersionDto, description: 'The version as it is now' })
  @ApiErrors({
    400: [INVALID.versionTag],
    403: forbidden('writer'),
    404: notFound('namespace', 'project', 'dataset', 'version'),
    412: STALE.version,
  })
  @ApiIfMatch()
  putTag(
    @At('Dataset') at: NamedAt,
    @Param('n') n: string,
    @Param('tag') tag: string,
    @IfMatch() ifMatch: string[] | null,
  ) {
    return this.versions.putTag(at, n, tag, ifMatch);
  }

  @Delete(':n/tags/:tag')
  @ApiOperation({ summary: 'Take the tag off version n (writer)' })
  @ApiOkResponse({ type: VersionDto, description: 'The version as it is now' })
  @ApiErrors({
    403: forbidden('writer'),
    404: notFound('namespace', 'project', 'dataset', 'version', 'versionTag'),
    412: STALE.version,
  })
  @ApiIfMatch()
  deleteTag(
    @At('Dataset') at: NamedAt,
    @Param('n') n: string,
    @Param('tag') tag: string,
    @IfMatch() ifMatch: string[] | null,
  ) {
    return this.versions.deleteTag(at, n, tag, ifMatch);
  }

  @Post(':ref/restore')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Make the live dataset equal to the version (writer), as new changes',
    description:
      'Its collections come back into the dataset (from wherever they are: another dataset, the trash, purged) under ' +
      'their frozen names, fields and members in order; the dataset’s other collections become standalone. Costs what ' +
      'changed since the version.',
  })
  @ApiOkResponse({ type: RestoredDatasetDto, description: 'The live dataset, with the collections it now holds' })
  @ApiErrors({
    403: forbidden('writer'),
    404: notFound('namespace', 'project', 'dataset', 'version'),
    409: { 'name held': CONFLICT.restoreClash, 'key in progress': IDEMPOTENCY.inProgress },
    422: IDEMPOTENCY.reused,
  })
  @ApiIdempotent()
  restore(@At('Dataset') at: NamedAt, @Param('ref') ref: string, @IdempotencyKey() key: IdempotencyRequest | null) {
    return this.versions.restore(at, ref, key);
  }

  @Delete(':ref')
  @ApiOperation({
    summary: 'Delete a version by its number (admin); refused while it holds a tag. Its number is never given again',
  })
  @ApiOkResponse({ type: SuccessDto, description: 'Deleted' })
  @ApiErrors({
    403: forbidden('admin'),
    404: notFound('namespace', 'project', 'dataset', 'version'),
    409: CONFLICT.versionTagged,
  })
  remove(@At('Dataset') at: NamedAt, @Param('ref') ref: string): Promise<SuccessDto> {
    return this.versions.remove(at, ref);
  }
}
