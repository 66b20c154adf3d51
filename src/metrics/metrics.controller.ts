import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/user.js';
import { ApiPublicErrors } from '../common/api-errors.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('service')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Public()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({
    summary: 'Prometheus metrics (no token; bind the service to an internal network, or set METRICS=false)',
    security: [],
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format', schema: { type: 'string' } })
  @ApiPublicErrors()
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
