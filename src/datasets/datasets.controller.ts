import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { ProjectPath } from '../auth/access.js';
import { CurrentUser, type AuthUser } from '../auth/user.js';
import { respond } from '../common/answer.js';
import { ApiErrors } from '../common/api-errors.js';
import { ApiProjectParams } from '../common/api-params.js';
import { ApiConditionalGet, ApiIfMatch, IfMatch, IfNoneMatch } from '../common/conditional.js';
import { ListQuery, SuccessDto } from '../common/pagination.js';
import type { RawJson } from '../common/raw-json.js';
import { IdListBody } from '../http/json-body.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
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
  @ApiOkResponse({ type: DatasetPageDto })
  @ApiErrors(400, 404)
  list(
    @CurrentUser() user: AuthUser,
    @Param() path: ProjectPath,
    @Query() query: ListQuery,
  ): Promise<RawJson<DatasetPageDto>> {
    return this.datasets.list(user, path, query);
  }

  @Get(':name')
  @ApiOperation({ summary: 'A dataset with its collections and all their members' })
  @ApiOkResponse({ type: DatasetDetailDto })
  @ApiErrors(404)
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
  @ApiOkResponse({ type: DatasetDto })
  @ApiErrors(400, 403, 404, 409)
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
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(403, 404)
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
  @ApiOkResponse({ type: LinkResultDto })
  @ApiErrors(400, 403, 404, 409)
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
  @ApiOkResponse({ type: UnlinkResultDto })
  @ApiErrors(400, 403, 404)
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
