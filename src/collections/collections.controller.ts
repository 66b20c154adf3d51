import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import { AnswerInterceptor } from '../common/answer.js';
import { At, type NamedAt, type ProjectAt } from '../common/target.js';
import { ApiConditionalGet, ApiIfMatch, IfMatch, IfNoneMatch } from '../common/conditional.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiErrors, CONFLICT, forbidden, IDEMPOTENCY, INVALID, notFound, STALE } from '../common/api-errors.js';
import { ApiOkResponseOneOf } from '../common/api-responses.js';
import { IdListBody } from '../http/json-body.js';
import type { RawJson } from '../common/raw-json.js';
import { ApiPathParams } from '../common/api-params.js';
import { SuccessDto } from '../common/pagination.js';
import { CollectionsService } from './collections.service.js';
import {
  AddMembersDto,
  AddMembersResultDto,
  CollectionDto,
  CollectionListItemDto,
  CollectionListQuery,
  CollectionPageDto,
  CollectionQuery,
  CreateCollectionDto,
  MemberListQuery,
  CollectionMemberPageDto,
  MEMBER_LISTING_FORMS,
  RemoveMembersDto,
  RemoveMembersResultDto,
  UpdateCollectionDto,
} from './dto/collection.dto.js';

@ApiTags('collections')
@ApiBearerAuth()
@ApiPathParams()
@Controller('namespaces/:slug/projects/:projectSlug/collections')
@UseInterceptors(AnswerInterceptor)
export class CollectionsController {
  constructor(private readonly collections: CollectionsService) {}

  @Post()
  @IdListBody()
  @ApiOperation({ summary: 'Create a collection (writer), optionally in a dataset and with members' })
  @ApiCreatedResponse({ type: CollectionDto, description: 'The new collection with its members' })
  @ApiErrors({
    400: [INVALID.name, INVALID.nodeIds('members')],
    403: forbidden('writer'),
    404: notFound('namespace', 'project', 'datasetId'),
    409: { taken: CONFLICT.collectionName, 'key in progress': IDEMPOTENCY.inProgress },
    body: 'idList',
    422: IDEMPOTENCY.reused,
  })
  @ApiIdempotent()
  create(@At() at: ProjectAt, @Body() dto: CreateCollectionDto, @IdempotencyKey() key: IdempotencyRequest | null) {
    return this.collections.create(at, dto, key);
  }

  @Get()
  @ApiOperation({ summary: "List a project's collections, each with its first 100 members" })
  @ApiOkResponse({ type: CollectionPageDto, description: 'A page of collections, each with its first 100 members' })
  @ApiErrors({
    400: { filters: [INVALID.standalone], datasetId: [INVALID.datasetId] },
    404: notFound('namespace', 'project'),
  })
  list(@At() at: ProjectAt, @Query() query: CollectionListQuery): Promise<RawJson<CollectionPageDto>> {
    return this.collections.list(at, query);
  }

  @Get(':name')
  @ApiOperation({ summary: 'A collection with all its members in order' })
  @ApiOkResponse({
    type: CollectionDto,
    description: 'The collection with all its members in order (none with members=false)',
  })
  @ApiErrors({ 400: [INVALID.members], 404: notFound('namespace', 'project', 'collection') })
  @ApiConditionalGet()
  get(@At('Collection') at: NamedAt, @Query() query: CollectionQuery, @IfNoneMatch() ifNoneMatch: string[] | null) {
    return this.collections.get(at, query.members !== 'false', ifNoneMatch);
  }

  @Patch(':name')
  @ApiOperation({ summary: 'Update a collection (writer); datasetId moves it, null makes it standalone' })
  @ApiOkResponse({
    description:
      'The collection as it is now, with all its members; over 50,000 members (FULL_ANSWER_MEMBERS) the first 100 ' +
      'and membersTruncated: true (GET streams them all)',
    schema: { anyOf: [{ $ref: getSchemaPath(CollectionDto) }, { $ref: getSchemaPath(CollectionListItemDto) }] },
  })
  @ApiErrors({
    400: [INVALID.nameNull],
    403: forbidden('writer'),
    404: notFound('namespace', 'project', 'collection', 'datasetId'),
    409: CONFLICT.collectionName,
    body: 'json',
    412: STALE.collection,
  })
  @ApiIfMatch()
  update(@At('Collection') at: NamedAt, @Body() dto: UpdateCollectionDto, @IfMatch() ifMatch: string[] | null) {
    return this.collections.update(at, dto, ifMatch);
  }

  @Delete(':name')
  @ApiOperation({ summary: 'Soft-delete a collection (writer)' })
  @ApiOkResponse({ type: SuccessDto, description: 'Deleted' })
  @ApiErrors({ 403: forbidden('writer'), 404: notFound('namespace', 'project', 'collection'), 412: STALE.collection })
  @ApiIfMatch()
  remove(@At('Collection') at: NamedAt, @IfMatch() ifMatch: string[] | null): Promise<SuccessDto> {
    return this.collections.remove(at, ifMatch);
  }

  @Post(':name/members')
  @IdListBody()
  @HttpCode(200)
  @ApiOperation({ summary: 'Append members (writer); ids already present are skipped' })
  @ApiOkResponse({ type: AddMembersResultDto, description: 'How many ids were new, and how many members it has now' })
  @ApiErrors({
    400: [INVALID.nodeIds('add')],
    403: forbidden('writer'),
    404: notFound('namespace', 'project', 'collection'),
    body: 'idList',
    412: STALE.collection,
    409: IDEMPOTENCY.inProgress,
    422: IDEMPOTENCY.reused,
  })
  @ApiIfMatch()
  @ApiIdempotent()
  addMembers(
    @At('Collection') at: NamedAt,
    @Body() dto: AddMembersDto,
    @IfMatch() ifMatch: string[] | null,
    @IdempotencyKey() key: IdempotencyRequest | null,
  ) {
    return this.collections.addMembers(at, dto.add, ifMatch, key);
  }

  @Delete(':name/members')
  @IdListBody()
  @ApiOperation({ summary: 'Remove members (writer); absent ids are ignored' })
  @ApiOkResponse({
    type: RemoveMembersResultDto,
    description: 'How many ids were removed, and how many members it has now',
  })
  @ApiErrors({
    400: [INVALID.nodeIds('remove')],
    403: forbidden('writer'),
    404: notFound('namespace', 'project', 'collection'),
    body: 'idList',
    412: STALE.collection,
  })
  @ApiIfMatch()
  removeMembers(
    @At('Collection') at: NamedAt,
    @Body() dto: RemoveMembersDto,
    @IfMatch() ifMatch: string[] | null,
  ): Promise<RawJson<RemoveMembersResultDto>> {
    return this.collections.removeMembers(at, dto.remove, ifMatch);
  }

  @Get(':name/members')
  @ApiOperation({
    summary: 'Members in insertion order, by page or by cursor (after + limit)',
    description:
      'Two forms, never mixed (both → 400). **Page form** (the default): `page` (from 1, default 1) and `pageSize` ' +
      '(1–200, default 50); the answer carries `page`, `pageSize`, `total` (exact) and `totalPages`. **Cursor form**, ' +
      'chosen by giving `after` or `limit`: `limit` (1–1000, default 100) members after the node id `after` (empty or ' +
      'left out: from the start); the answer carries `nextCursor`, the `after` of the next call, null at the end. ' +
      'The cursor form costs the same at any depth.',
  })
  @ApiOkResponseOneOf(
    'Members in insertion order: the page form, or the cursor form when after or limit is given',
    MEMBER_LISTING_FORMS,
  )
  @ApiErrors({
    400: { 'both forms': [INVALID.bothForms], 'unknown cursor': [INVALID.afterUnknown] },
    404: notFound('namespace', 'project', 'collection'),
  })
  listMembers(
    @At('Collection') at: NamedAt,
    @Query() query: MemberListQuery,
  ): Promise<RawJson<CollectionMemberPageDto>> {
    return this.collections.listMembers(at, query);
  }
}
