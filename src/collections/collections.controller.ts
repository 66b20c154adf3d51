import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../auth/user.js';
import { ApiErrors } from '../common/api-errors.js';
import { IdListBody } from '../http/json-body.js';
import type { RawJson } from '../common/raw-json.js';
import { ApiProjectParams } from '../common/api-params.js';
import { SuccessDto } from '../common/pagination.js';
import type { ProjectPath } from '../auth/access.js';
import { CollectionsService } from './collections.service.js';
import {
  AddMembersDto,
  AddMembersResultDto,
  CollectionDto,
  CollectionListQuery,
  CollectionPageDto,
  CollectionQuery,
  CreateCollectionDto,
  MemberListQuery,
  CollectionMemberPageDto,
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
  create(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Body() dto: CreateCollectionDto,
  ): Promise<CollectionDto> {
    return this.collections.create(user, path, dto);
  }

  @Get()
  @ApiOperation({ summary: "List a project's collections, each with its first 100 members" })
  @ApiOkResponse({ type: CollectionPageDto })
  @ApiErrors(400, 404)
  list(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Query() query: CollectionListQuery,
  ): Promise<CollectionPageDto> {
    return this.collections.list(user, path, query);
  }

  @Get(':name')
  @ApiOperation({ summary: 'A collection with all its members in order' })
  @ApiOkResponse({ type: CollectionDto })
  @ApiErrors(400, 404)
  get(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Query() query: CollectionQuery,
  ): Promise<RawJson<CollectionDto>> {
    return this.collections.get(user, path, name, query.members !== 'false');
  }

  @Patch(':name')
  @ApiOperation({ summary: 'Update a collection (writer); datasetId moves it, null makes it standalone' })
  @ApiOkResponse({ type: CollectionDto })
  @ApiErrors(400, 403, 404, 409)
  update(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Body() dto: UpdateCollectionDto,
  ): Promise<CollectionDto> {
    return this.collections.update(user, path, name, dto);
  }

  @Delete(':name')
  @ApiOperation({ summary: 'Soft-delete a collection (writer)' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(403, 404)
  remove(@CurrentUser() user: AuthUser, @Param() path: ProjectPath, @Param('name') name: string): Promise<SuccessDto> {
    return this.collections.remove(user, path, name);
  }

  @Post(':name/members')
  @IdListBody()
  @HttpCode(200)
  @ApiOperation({ summary: 'Append members (writer); ids already present are skipped' })
  @ApiOkResponse({ type: AddMembersResultDto })
  @ApiErrors(400, 403, 404)
  addMembers(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Body() dto: AddMembersDto,
  ): Promise<AddMembersResultDto> {
    return this.collections.addMembers(user, path, name, dto.add);
  }

  @Delete(':name/members')
  @IdListBody()
  @ApiOperation({ summary: 'Remove members (writer); absent ids are ignored' })
  @ApiOkResponse({ type: RemoveMembersResultDto })
  @ApiErrors(400, 403, 404)
  removeMembers(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Body() dto: RemoveMembersDto,
  ): Promise<RemoveMembersResultDto> {
    return this.collections.removeMembers(user, path, name, dto.remove);
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
  ): Promise<CollectionMemberPageDto> {
    return this.collections.listMembers(user, path, name, query);
  }
}
