import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { AnswerInterceptor } from '../common/answer.js';
import { At, type ProjectAt } from '../common/target.js';
import { ApiErrors, forbidden, IDEMPOTENCY, INVALID, notFound, STALE } from '../common/api-errors.js';
import { ApiIfMatch, IF_MATCH_UNTAGGED, IfMatch } from '../common/conditional.js';
import { ApiPathParams } from '../common/api-params.js';
import { SuccessDto } from '../common/pagination.js';
import type { RawJson } from '../common/raw-json.js';
import { CollectionDto, CollectionListItemDto } from '../collections/dto/collection.dto.js';
import { DatasetDto } from '../datasets/dto/dataset.dto.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { RestoreDto, TrashPageDto, TrashQuery } from './dto/trash.dto.js';
import { TrashService } from './trash.service.js';

const TRASH_MISSING = "Nothing with id '5d1c8f0e-3b7a-4f2e-9c61-8a4d2b7e0f13' in the trash of project 'acme/robotics'";

@ApiTags('trash')
@ApiBearerAuth()
@ApiPathParams()
@ApiExtraModels(DatasetDto, CollectionDto, CollectionListItemDto)
@Controller('namespaces/:slug/projects/:projectSlug/trash')
@UseInterceptors(AnswerInterceptor)
export class TrashController {
  constructor(private readonly trash: TrashService) {}

  @Get()
  @ApiOperation({ summary: "The project's deleted datasets and collections, newest deletion first (reader)" })
  @ApiOkResponse({
    type: TrashPageDto,
    description: 'A page of deleted datasets and collections, newest deletion first',
  })
  @ApiErrors({ 400: [INVALID.page], 404: notFound('namespace', 'project') })
  list(@At() at: ProjectAt, @Query() query: TrashQuery): Promise<RawJson<TrashPageDto>> {
    return this.trash.list(at, query);
  }

  @Post(':id/restore')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Restore a deleted dataset or collection (writer), under its old name or the one given',
    description:
      'A dataset re-attaches the collections its deletion detached that are still standalone; a collection comes back ' +
      'with all its members, into its dataset when that is live.',
  })
  @ApiParam({
    name: 'id',
    description: 'The id of the deleted dataset or collection',
    schema: { type: 'string', format: 'uuid' },
  })
  @ApiOkResponse({
    description:
      'The restored dataset or collection (a collection of over 50,000 members, FULL_ANSWER_MEMBERS: the first 100 ' +
      'and membersTruncated: true)',
    schema: {
      anyOf: [
        { $ref: getSchemaPath(DatasetDto) },
        { $ref: getSchemaPath(CollectionDto) },
        { $ref: getSchemaPath(CollectionListItemDto) },
      ],
    },
  })
  @ApiErrors({
    400: [INVALID.name],
    403: forbidden('writer'),
    404: { ...notFound('namespace', 'project'), 'not in the trash': TRASH_MISSING },
    409: {
      'name taken': `Dataset 'training-v2' already exists in project 'acme/robotics'; restore it under another name with {"name": "…"}`,
      'key in progress': IDEMPOTENCY.inProgress,
    },
    422: IDEMPOTENCY.reused,
    body: 'json',
  })
  @ApiIdempotent()
  restore(
    @At() at: ProjectAt,
    @Param('id') id: string,
    @Body() dto: RestoreDto,
    @IdempotencyKey() key: IdempotencyRequest | null,
  ) {
    return this.trash.restore(at, id, dto.name ?? null, key);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Purge a deleted dataset or collection now, members included (admin)' })
  @ApiParam({
    name: 'id',
    description: 'The id of the deleted dataset or collection',
    schema: { type: 'string', format: 'uuid' },
  })
  @ApiOkResponse({ type: SuccessDto, description: 'Purged for good, members included' })
  @ApiErrors({
    403: forbidden('admin'),
    404: { ...notFound('namespace', 'project'), 'not in the trash': TRASH_MISSING },
    412: STALE.trashItem,
  })
  @ApiIfMatch(IF_MATCH_UNTAGGED.trashItem)
  purge(@At() at: ProjectAt, @Param('id') id: string, @IfMatch() ifMatch: string[] | null): Promise<SuccessDto> {
    return this.trash.purge(at, id, ifMatch);
  }
}
