import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import { AnswerInterceptor } from '../common/answer.js';
import { At, type NamedAt, type ProjectAt } from '../common/target.js';
import { ApiConditionalGet, ApiIfMatch, IfMatch, IfNoneMatch } from '../common/conditional.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, CONFLICT, forbidden, IDEMPOTENCY, INVALID, notFound, STALE } from '../common/api-errors.js';
import { IdListBody } from '../http/json-body.js';
import type { RawJson } from '../common/raw-json.js';
import { ApiPathParams } from '../common/api-params.js';
import { ListQuery, SuccessDto } from '../common/pagination.js';
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
@UseInterceptors(AnswerInterceptor)
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
  create(@At() at: ProjectAt, @Body() dto: CreateDatasetDto, @IdempotencyKey() key: IdempotencyRequest | null) {
    return this.datasets.create(at, dto, key);
  }

  @Get()
  @ApiOperation({ summary: "List a project's datasets, each with its collections by name" })
  @ApiOkResponse({ type: DatasetPageDto, description: 'A page of datasets, each with its collections by name' })
  @ApiErrors({ 400: [INVALID.sort], 404: notFound('namespace', 'project') })
  list(@At() at: ProjectAt, @Query() query: ListQuery): Promise<RawJson<DatasetPageDto>> {
    return this.datasets.list(at, query);
  }

  @Get(':name')
  @ApiOperation({ summary: 'A dataset with its collections and all their members' })
  @ApiOkResponse({ type: DatasetDetailDto, description: 'The dataset with its collections and all their members' })
  @ApiErrors({ 404: notFound('namespace', 'project', 'dataset') })
  @ApiConditionalGet()
  get(@At('Dataset') at: NamedAt, @IfNoneMatch() ifNoneMatch: string[] | null) {
    return this.datasets.get(at, ifNoneMatch);
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
  update(@At('Dataset') at: NamedAt, @Body() dto: UpdateDatasetDto, @IfMatch() ifMatch: string[] | null) {
    return this.datasets.update(at, dto, ifMatch);
  }

  @Delete(':name')
  @ApiOperation({
    summary: 'Soft-delete a dataset (writer); its collections become standalone; it stays restorable from the trash',
  })
  @ApiOkResponse({ type: SuccessDto, description: 'Deleted; its collections are standalone now' })
  @ApiErrors({ 403: forbidden('writer'), 404: notFound('namespace', 'project', 'dataset'), 412: STALE.dataset })
  @ApiIfMatch()
  remove(@At('Dataset') at: NamedAt, @IfMatch() ifMatch: string[] | null): Promise<SuccessDto> {
    return this.datasets.remove(at, ifMatch);
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
  link(
    @At('Dataset') at: NamedAt,
    @Body() dto: LinkCollectionsDto,
    @IfMatch() ifMatch: string[] | null,
    @IdempotencyKey() key: IdempotencyRequest | null,
  ) {
    return this.datasets.link(at, dto.add, ifMatch, key);
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
    @At('Dataset') at: NamedAt,
    @Body() dto: UnlinkCollectionsDto,
    @IfMatch() ifMatch: string[] | null,
  ): Promise<RawJson<UnlinkResultDto>> {
    return this.datasets.unlink(at, dto.remove, ifMatch);
  }
}
