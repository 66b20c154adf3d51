import { Body, Controller, Delete, Get, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { respond } from '../common/answer.js';
import { ApiConditionalGet, ApiIfMatch, IfMatch, IfNoneMatch } from '../common/conditional.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import type { RawJson } from '../common/raw-json.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../auth/user.js';
import { ApiErrors, CONFLICT, forbidden, IDEMPOTENCY, INVALID, notFound, STALE } from '../common/api-errors.js';
import { ApiPathParams } from '../common/api-params.js';
import { ListQuery, SuccessDto } from '../common/pagination.js';
import { CreateProjectDto, ProjectDetailDto, ProjectDto, ProjectPageDto, UpdateProjectDto } from './dto/project.dto.js';
import { ProjectsService } from './projects.service.js';

@ApiTags('projects')
@ApiBearerAuth()
@ApiPathParams()
@Controller('namespaces/:slug/projects')
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
  async create(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Body() dto: CreateProjectDto,
    @IdempotencyKey() key: IdempotencyRequest | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.projects.create(user, slug, dto, key));
  }

  @Get()
  @ApiOperation({ summary: "List a namespace's projects" })
  @ApiOkResponse({ type: ProjectPageDto, description: 'A page of projects' })
  @ApiErrors({ 400: [INVALID.sort], 404: notFound('namespace') })
  list(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Query() query: ListQuery,
  ): Promise<RawJson<ProjectPageDto>> {
    return this.projects.list(user, slug, query);
  }

  @Get(':projectSlug')
  @ApiOperation({ summary: 'A project with its dataset and collection counts' })
  @ApiOkResponse({ type: ProjectDetailDto, description: 'The project with its dataset and collection counts' })
  @ApiErrors({ 404: notFound('namespace', 'project') })
  @ApiConditionalGet()
  async get(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Param('projectSlug') projectSlug: string,
    @IfNoneMatch() ifNoneMatch: string[] | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.projects.get(user, slug, projectSlug, ifNoneMatch));
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
  async update(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Param('projectSlug') projectSlug: string,
    @Body() dto: UpdateProjectDto,
    @IfMatch() ifMatch: string[] | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.projects.update(user, slug, projectSlug, dto, ifMatch));
  }

  @Delete(':projectSlug')
  @ApiOperation({ summary: 'Soft-delete a project (admin) with everything in it' })
  @ApiOkResponse({ type: SuccessDto, description: 'Deleted, with everything in it' })
  @ApiErrors({ 403: forbidden('admin'), 404: notFound('namespace', 'project'), 412: STALE.project })
  @ApiIfMatch()
  remove(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Param('projectSlug') projectSlug: string,
    @IfMatch() ifMatch: string[] | null,
  ): Promise<SuccessDto> {
    return this.projects.remove(user, slug, projectSlug, ifMatch);
  }
}
