import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { respond } from '../common/answer.js';
import { ApiConditionalGet, ApiIfMatch, IfMatch, IfNoneMatch } from '../common/conditional.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../auth/user.js';
import { ApiErrors, CONFLICT, forbidden, IDEMPOTENCY, INVALID, notFound, STALE } from '../common/api-errors.js';
import { IdListBody } from '../http/json-body.js';
import type { RawJson } from '../common/raw-json.js';
import { ApiPathParams } from '../common/api-params.js';
import { ListQuery, SuccessDto } from '../common/pagination.js';
import type { ProjectPath } from '../auth/access.js';
import { DatasetsService } from './datasets.service.js';
import {
  CreateDatasetDto,
  DatasetDetailDto,
  DatasetDto,
  DatasetPageDto,
  LinkCollectionsDto,
  LinkResultDto,
  UnlinkCollectionsDto,
  UnlinkResultDto,
  UpdateDatasetDto,
} from './dto/dataset.dto.js';

@ApiTags('datasets')
@ApiBearerAuth()
@ApiPathParams()
@Controller('namespaces/:slug/projects/:projectSlug/datasets')
export class DatasetsController {
  constructor(private readonly datasets: DatasetsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a dataset (writer)' })
  @ApiCreatedResponse({ type: DatasetDto, description: 'The new dataset' })
  @ApiErrors({
    400: [INVALID.name],
    403: forbidden('writer'),
    404: notFound('namespace', 'project'),
    409: { taken: CONFLICT.datasetName, 'key in progress': IDEMPOTENCY.inProgress },
    body: 'json',
    422: IDEMPOTENCY.reused,
  })
  @ApiIdempotent()
  async create(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Body() dto: CreateDatasetDto,
    @IdempotencyKey() key: IdempotencyRequest | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.datasets.create(user, path, dto, key));
  }

  @Get()
  @ApiOperation({ summary: "List a project's datasets, each with its collections by name" })
  @ApiOkResponse({ type: DatasetPageDto, description: 'A page of datasets, each with its collections by name' })
  @ApiErrors({ 400: [INVALID.sort], 404: notFound('namespace', 'project') })
  list(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Query() query: ListQuery,
  ): Promise<RawJson<DatasetPageDto>> {
    return this.datasets.list(user, path, query);
  }

  @Get(':name')
  @ApiOperation({ summary: 'A dataset with its collections and all their members' })
  @ApiOkResponse({ type: DatasetDetailDto, description: 'The dataset with its collections and all their members' })
  @ApiErrors({ 404: notFound('namespace', 'project', 'dataset') })
  @ApiConditionalGet()
  async get(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @IfNoneMatch() ifNoneMatch: string[] | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.datasets.get(user, path, name, ifNoneMatch));
  }

  @Patch(':name')
  @ApiOperation({ summary: 'Update a dataset (writer); only the given fields change' })
  @ApiOkResponse({ type: DatasetDto, description: 'The dataset as it is now' })
  @ApiErrors({
    400: [INVALID.nameNull],
    403: forbidden('writer'),
    404: notFound('namespace', 'project', 'dataset'),
    409: CONFLICT.datasetName,
    body: 'json',
    412: STALE.dataset,
  })
  @ApiIfMatch()
  async update(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Body() dto: UpdateDatasetDto,
    @IfMatch() ifMatch: string[] | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.datasets.update(user, path, name, dto, ifMatch));
  }

  @Delete(':name')
  @ApiOperation({
    summary: 'Soft-delete a dataset (writer); its collections become standalone; it stays restorable from the trash',
  })
  @ApiOkResponse({ type: SuccessDto, description: 'Deleted; its collections are standalone now' })
  @ApiErrors({ 403: forbidden('writer'), 404: notFound('namespace', 'project', 'dataset'), 412: STALE.dataset })
  @ApiIfMatch()
  remove(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @IfMatch() ifMatch: string[] | null,
  ): Promise<SuccessDto> {
    return this.datasets.remove(user, path, name, ifMatch);
  }

  @Post(':name/collections')
  @IdListBody()
  @HttpCode(200)
  @ApiOperation({ summary: 'Attach collections by name (writer); all or nothing' })
  @ApiOkResponse({ type: LinkResultDto, description: 'How many were attached, and how many the dataset holds now' })
  @ApiErrors({
    400: [INVALID.collectionNames('add')],
    403: forbidden('writer'),
    404: notFound('namespace', 'project', 'dataset', 'collections'),
    409: { taken: CONFLICT.collectionsTaken, 'key in progress': IDEMPOTENCY.inProgress },
    body: 'idList',
    412: STALE.dataset,
    422: IDEMPOTENCY.reused,
  })
  @ApiIfMatch()
  @ApiIdempotent()
  async link(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Body() dto: LinkCollectionsDto,
    @IfMatch() ifMatch: string[] | null,
    @IdempotencyKey() key: IdempotencyRequest | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.datasets.link(user, path, name, dto.add, ifMatch, key));
  }

  @Delete(':name/collections')
  @IdListBody()
  @ApiOperation({ summary: 'Detach collections by name (writer); they become standalone' })
  @ApiOkResponse({ type: UnlinkResultDto, description: 'How many were detached, and how many the dataset holds now' })
  @ApiErrors({
    400: [INVALID.collectionNames('remove')],
    403: forbidden('writer'),
    404: notFound('namespace', 'project', 'dataset'),
    body: 'idList',
    412: STALE.dataset,
  })
  @ApiIfMatch()
  unlink(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Body() dto: UnlinkCollectionsDto,
    @IfMatch() ifMatch: string[] | null,
  ): Promise<RawJson<UnlinkResultDto>> {
    return this.datasets.unlink(user, path, name, dto.remove, ifMatch);
  }
}
