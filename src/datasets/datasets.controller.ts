import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../auth/user.js';
import { ApiErrors } from '../common/api-errors.js';
import { IdListBody } from '../http/json-body.js';
import type { RawJson } from '../common/raw-json.js';
import { ApiProjectParams } from '../common/api-params.js';
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
@ApiProjectParams()
@Controller('namespaces/:slug/projects/:projectSlug/datasets')
export class DatasetsController {
  constructor(private readonly datasets: DatasetsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a dataset (writer)' })
  @ApiCreatedResponse({ type: DatasetDto })
  @ApiErrors(400, 403, 404, 409)
  create(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Body() dto: CreateDatasetDto,
  ): Promise<DatasetDto> {
    return this.datasets.create(user, path, dto);
  }

  @Get()
  @ApiOperation({ summary: "List a project's datasets, each with its collections by name" })
  @ApiOkResponse({ type: DatasetPageDto })
  @ApiErrors(400, 404)
  list(@CurrentUser() user: AuthUser, @Param() path: ProjectPath, @Query() query: ListQuery): Promise<DatasetPageDto> {
    return this.datasets.list(user, path, query);
  }

  @Get(':name')
  @ApiOperation({ summary: 'A dataset with its collections and all their members' })
  @ApiOkResponse({ type: DatasetDetailDto })
  @ApiErrors(404)
  get(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
  ): Promise<RawJson<DatasetDetailDto>> {
    return this.datasets.get(user, path, name);
  }

  @Patch(':name')
  @ApiOperation({ summary: 'Update a dataset (writer); only the given fields change' })
  @ApiOkResponse({ type: DatasetDto })
  @ApiErrors(400, 403, 404, 409)
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
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(403, 404)
  remove(@CurrentUser() user: AuthUser, @Param() path: ProjectPath, @Param('name') name: string): Promise<SuccessDto> {
    return this.datasets.remove(user, path, name);
  }

  @Post(':name/collections')
  @IdListBody()
  @HttpCode(200)
  @ApiOperation({ summary: 'Attach collections by name (writer); all or nothing' })
  @ApiOkResponse({ type: LinkResultDto })
  @ApiErrors(400, 403, 404, 409)
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
  @ApiOkResponse({ type: UnlinkResultDto })
  @ApiErrors(400, 403, 404)
  unlink(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Param('name') name: string,
    @Body() dto: UnlinkCollectionsDto,
  ): Promise<UnlinkResultDto> {
    return this.datasets.unlink(user, path, name, dto.remove);
  }
}
