import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../auth/user.js';
import { ApiErrors, CONFLICT, forbidden, INVALID, notFound } from '../common/api-errors.js';
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
    409: CONFLICT.datasetName,
    body: 'json',
  })
  create(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Body() dto: CreateDatasetDto,
  ): Promise<DatasetDto> {
    return this.datasets.create(user, path, dto);
  }

  @Get()
  @ApiOperation({ summary: "List a project's datasets, each with its collections by name" })
  @ApiOkResponse({ type: DatasetPageDto, description: 'A page of datasets, each with its collections by name' })
  @ApiErrors({ 400: [INVALID.sort], 404: notFound('namespace', 'project') })
  list(@CurrentUser() user: AuthUser, @Param() path: ProjectPath, @Query() query: ListQuery): Promise<DatasetPageDto> {
    return this.datasets.list(user, path, query);
  }

  @Get(':name')
  @ApiOperation({ summary: 'A dataset with its collections and all their members' })
  @ApiOkResponse({ type: DatasetDetailDto, description: 'The dataset with its collections and all their members' })
  @ApiErrors({ 404: notFound('namespace', 'project', 'dataset') })
  get(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
  ): Promise<RawJson<DatasetDetailDto>> {
    return this.datasets.get(user, path, name);
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
  })
  update(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Body() dto: UpdateDatasetDto,
  ): Promise<DatasetDto> {
    return this.datasets.update(user, path, name, dto);
  }

  @Delete(':name')
  @ApiOperation({ summary: 'Soft-delete a dataset (writer); its collections become standalone' })
  @ApiOkResponse({ type: SuccessDto, description: 'Deleted; its collections are standalone now' })
  @ApiErrors({ 403: forbidden('writer'), 404: notFound('namespace', 'project', 'dataset') })
  remove(@CurrentUser() user: AuthUser, @Param() path: ProjectPath, @Param('name') name: string): Promise<SuccessDto> {
    return this.datasets.remove(user, path, name);
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
    409: CONFLICT.collectionsTaken,
    body: 'idList',
  })
  link(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Body() dto: LinkCollectionsDto,
  ): Promise<LinkResultDto> {
    return this.datasets.link(user, path, name, dto.add);
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
  })
  unlink(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Body() dto: UnlinkCollectionsDto,
  ): Promise<UnlinkResultDto> {
    return this.datasets.unlink(user, path, name, dto.remove);
  }
}
