import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/user.js';
import { ApiPublicErrors, ApiUnavailable } from '../common/api-errors.js';
import { Database } from '../database/database.js';
import { HealthDto } from './health.dto.js';

/** Probes for orchestrators: no token needed. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(Database) private readonly db: Database) {}

  @Get('live')
  @Public()
  @ApiOperation({ summary: 'The process is running', security: [] })
  @ApiOkResponse({ type: HealthDto, description: 'The process runs' })
  @ApiPublicErrors()
  live(): HealthDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @ApiOperation({ summary: 'The database answers', security: [] })
  @ApiOkResponse({ type: HealthDto, description: 'The database answers' })
  @ApiPublicErrors()
  @ApiUnavailable('The database does not answer', 'The database does not answer')
  async ready(): Promise<HealthDto> {
    try {
      await this.db.query('SELECT 1');
    } catch {
      throw new ServiceUnavailableException('The database does not answer');
    }
    return { status: 'ok' };
  }
}
