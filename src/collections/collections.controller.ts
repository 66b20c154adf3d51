import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { ProjectPath } from '../auth/access.js';
import { CurrentUser, type AuthUser } from '../auth/user.js';
import { respond } from '../common/answer.js';
import { ApiErrors } from '../common/api-errors.js';
import { ApiProjectParams } from '../common/api-params.js';
import { ApiConditionalGet, ApiIfMatch, IfMatch, IfNoneMatch } from '../common/conditional.js';
import { SuccessDto } from '../common/pagination.js';
import type { RawJson } from '../common/raw-json.js';
import { IdListBody } from '../http/json-body.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { CollectionsService } from './collections.service.js';
import {
  AddMembersDto,
  AddMembersResultDto,
  CollectionDto,
  CollectionListQuery,
  CollectionMemberPageDto,
  CollectionPageDto,
  CollectionQuery,
  CreateCollectionDto,
  MemberListQuery,
  RemoveMembersDto,
  RemoveMembersResultDto,
  UpdateCollectionDto,
} from './dto/collection.dto.js';

@ApiTags('collections')
@ApiBearerAuth()
@ApiProjectParams()
@Controller('namespaces/:slug/projects/:projectSlug/collections')
export class CollectionsController {
  constructor(private readonly collections: CollectionsService) {}

  @Post()
  @IdListBody()
  @ApiOperation({ summary: 'Create a collection (writer), optionally in a dataset and with members' })
  @ApiCreatedResponse({ type: CollectionDto })
  @ApiErrors(400, 403, 404, 409)
  @ApiIdempotent()
  async create(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Body() dto: CreateCollectionDto,
    @IdempotencyKey() key: IdempotencyRequest | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.collections.create(user, path, dto, key));
  }

  @Get()
  @ApiOperation({ summary: "List a project's collections, each with its first 100 members" })
  @ApiOkResponse({ type: CollectionPageDto })
  @ApiErrors(400, 404)
  list(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Query() query: CollectionListQuery,
  ): Promise<RawJson<CollectionPageDto>> {
    return this.collections.list(user, path, query);
  }

  @Get(':name')
  @ApiOperation({ summary: 'A collection with all its members in order' })
  @ApiOkResponse({ type: CollectionDto })
  @ApiErrors(400, 404)
  @ApiConditionalGet()
  async get(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Query() query: CollectionQuery,
    @IfNoneMatch() ifNoneMatch: string[] | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.collections.get(user, path, name, query.members !== 'false', ifNoneMatch));
  }

  @Patch(':name')
  @ApiOperation({ summary: 'Update a collection (writer); datasetId moves it, null makes it standalone' })
  @ApiOkResponse({ type: CollectionDto })
  @ApiErrors(400, 403, 404, 409)
  @ApiIfMatch()
  async update(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Body() dto: UpdateCollectionDto,
    @IfMatch() ifMatch: string[] | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.collections.update(user, path, name, dto, ifMatch));
  }

  @Delete(':name')
  @ApiOperation({ summary: 'Soft-delete a collection (writer); it stays restorable from the trash' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(403, 404)
  @ApiIfMatch()
  remove(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @IfMatch() ifMatch: string[] | null,
  ): Promise<SuccessDto> {
    return this.collections.remove(user, path, name, ifMatch);
  }

  @Post(':name/members')
  @IdListBody()
  @HttpCode(200)
  @ApiOperation({ summary: 'Append members (writer); ids already present are skipped' })
  @ApiOkResponse({ type: AddMembersResultDto })
  @ApiErrors(400, 403, 404)
  @ApiIfMatch()
  @ApiIdempotent()
  async addMembers(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Body() dto: AddMembersDto,
    @IfMatch() ifMatch: string[] | null,
    @IdempotencyKey() key: IdempotencyRequest | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.collections.addMembers(user, path, name, dto.add, ifMatch, key));
  }

  @Delete(':name/members')
  @IdListBody()
  @ApiOperation({ summary: 'Remove members (writer); absent ids are ignored' })
  @ApiOkResponse({ type: RemoveMembersResultDto })
  @ApiErrors(400, 403, 404)
  @ApiIfMatch()
  removeMembers(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Body() dto: RemoveMembersDto,
    @IfMatch() ifMatch: string[] | null,
  ): Promise<RawJson<RemoveMembersResultDto>> {
    return this.collections.removeMembers(user, path, name, dto.remove, ifMatch);
  }

  @Get(':name/members')
  @ApiOperation({ summary: 'Members in insertion order, by page or by cursor (after + limit)' })
  @ApiOkResponse({ type: CollectionMemberPageDto })
  @ApiErrors(400, 404)
  listMembers(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Query() query: MemberListQuery,
  ): Promise<RawJson<CollectionMemberPageDto>> {
    return this.collections.listMembers(user, path, name, query);
  }
}
