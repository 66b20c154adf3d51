import { Body, Controller, Delete, Get, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentUser, type AuthUser } from '../auth/user.js';
import { respond } from '../common/answer.js';
import { ApiErrors } from '../common/api-errors.js';
import { ApiConditionalGet, ApiIfMatch, IfMatch, IfNoneMatch } from '../common/conditional.js';
import { ListQuery, SuccessDto } from '../common/pagination.js';
import type { RawJson } from '../common/raw-json.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { CreateProjectDto, ProjectDetailDto, ProjectDto, ProjectPageDto, UpdateProjectDto } from './dto/project.dto.js';
import { ProjectsService } from './projects.service.js';

@ApiTags('projects')
@ApiBearerAuth()
@Controller('namespaces/:slug/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a project (admin); the slug is derived from the name when omitted' })
  @ApiCreatedResponse({ type: ProjectDto })
  @ApiErrors(400, 403, 404, 409)
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
  @ApiOkResponse({ type: ProjectPageDto })
  @ApiErrors(400, 404)
  list(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Query() query: ListQuery,
  ): Promise<RawJson<ProjectPageDto>> {
    return this.projects.list(user, slug, query);
  }

  @Get(':projectSlug')
  @ApiOperation({ summary: 'A project with its dataset and collection counts' })
  @ApiOkResponse({ type: ProjectDetailDto })
  @ApiErrors(404)
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
  @ApiOkResponse({ type: ProjectDto })
  @ApiErrors(400, 403, 404, 409)
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
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(403, 404)
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
