import { Body, Controller, Delete, Get, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import { AnswerInterceptor } from '../common/answer.js';
import { At, type NamespaceAt, type ProjectAt } from '../common/target.js';
import { ApiConditionalGet, ApiIfMatch, IfMatch, IfNoneMatch } from '../common/conditional.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import type { RawJson } from '../common/raw-json.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, CONFLICT, forbidden, IDEMPOTENCY, INVALID, notFound, STALE } from '../common/api-errors.js';
import { ApiPathParams } from '../common/api-params.js';
import { ListQuery, SuccessDto } from '../common/pagination.js';
import { CreateProjectDto, ProjectDetailDto, ProjectDto, ProjectPageDto, UpdateProjectDto } from './dto/project.dto.js';
import { ProjectsService } from './projects.service.js';

@ApiTags('projects')
@ApiBearerAuth()
@ApiPathParams()
@Controller('namespaces/:slug/projects')
@UseInterceptors(AnswerInterceptor)
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a project (admin); the slug is derived from the name when omitted' })
  @ApiCreatedResponse({ type: ProjectDto, description: 'The new project' })
  @ApiErrors({
    400: {
      'name missing': [INVALID.nameMissing],
      "slug can't be derived": ["slug cannot be derived from name '!!!'; give a slug"],
    },
    403: forbidden('admin'),
    404: notFound('namespace'),
    409: { taken: CONFLICT.projectSlug, 'key in progress': IDEMPOTENCY.inProgress },
    body: 'json',
    422: IDEMPOTENCY.reused,
  })
  @ApiIdempotent()
  create(@At() at: NamespaceAt, @Body() dto: CreateProjectDto, @IdempotencyKey() key: IdempotencyRequest | null) {
    return this.projects.create(at, dto, key);
  }

  @Get()
  @ApiOperation({ summary: "List a namespace's projects" })
  @ApiOkResponse({ type: ProjectPageDto, description: 'A page of projects' })
  @ApiErrors({ 400: [INVALID.sort], 404: notFound('namespace') })
  list(@At() at: NamespaceAt, @Query() query: ListQuery): Promise<RawJson<ProjectPageDto>> {
    return this.projects.list(at, query);
  }

  @Get(':projectSlug')
  @ApiOperation({ summary: 'A project with its dataset and collection counts' })
  @ApiOkResponse({ type: ProjectDetailDto, description: 'The project with its dataset and collection counts' })
  @ApiErrors({ 404: notFound('namespace', 'project') })
  @ApiConditionalGet()
  get(@At() at: ProjectAt, @IfNoneMatch() ifNoneMatch: string[] | null) {
    return this.projects.get(at, ifNoneMatch);
  }

  @Patch(':projectSlug')
  @ApiOperation({ summary: 'Update a project (admin); only the given fields change' })
  @ApiOkResponse({ type: ProjectDto, description: 'The project as it is now' })
  @ApiErrors({
    400: [INVALID.nameNull],
    403: forbidden('admin'),
    404: notFound('namespace', 'project'),
    409: CONFLICT.projectSlug,
    body: 'json',
    412: STALE.project,
  })
  @ApiIfMatch()
  update(@At() at: ProjectAt, @Body() dto: UpdateProjectDto, @IfMatch() ifMatch: string[] | null) {
    return this.projects.update(at, dto, ifMatch);
  }

  @Delete(':projectSlug')
  @ApiOperation({ summary: 'Soft-delete a project (admin) with everything in it' })
  @ApiOkResponse({ type: SuccessDto, description: 'Deleted, with everything in it' })
  @ApiErrors({ 403: forbidden('admin'), 404: notFound('namespace', 'project'), 412: STALE.project })
  @ApiIfMatch()
  remove(@At() at: ProjectAt, @IfMatch() ifMatch: string[] | null): Promise<SuccessDto> {
    return this.projects.remove(at, ifMatch);
  }
}
