import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, notFound } from '../common/api-errors.js';
import { ApiPathParams } from '../common/api-params.js';
import type { RawJson } from '../common/raw-json.js';
import { At, type NamespaceAt } from '../common/target.js';
import { ChangesService } from './changes.service.js';
import { ChangePageDto, ChangesQuery } from './dto/change.dto.js';

@ApiTags('changes')
@ApiBearerAuth()
@ApiPathParams()
@Controller('namespaces/:slug/changes')
export class ChangesController {
  constructor(private readonly changes: ChangesService) {}

  @Get()
  @ApiOperation({
    summary: "The namespace's change feed (reader): every change exactly once, in commit order",
    description:
      'Follow `nextCursor` (`after`) to read every change of the namespace exactly once, in the order they committed, ' +
      'even while writers commit out of the order they started in. A page reads at most 10,000 changes to find those ' +
      'of `types` and `project`, so a filtered page may hold fewer than `limit`: keep following `nextCursor`. With ' +
      '`wait` (seconds), a read that finds nothing newer waits for the next change to commit. Changes are kept ' +
      '`CHANGES_RETENTION_DAYS`; a cursor older than that answers 410 with `oldestCursor`.',
  })
  @ApiOkResponse({ type: ChangePageDto, description: 'A page of changes' })
  @ApiErrors({
    400: ['after: cursor 99 is not one this feed gave (its last is 42)'],
    404: notFound('namespace', 'project'),
  })
  feed(@At() at: NamespaceAt, @Query() query: ChangesQuery): Promise<RawJson<ChangePageDto>> {
    return this.changes.feed(at, query);
  }
}
