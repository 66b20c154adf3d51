import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../auth/user.js';
import { ApiErrors, CONFLICT, forbidden, INVALID, notFound } from '../common/api-errors.js';
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
    409: CONFLICT.projectSlug,
    body: 'json',
  })
  create(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Body() dto: CreateProjectDto,
  ): Promise<ProjectDto> {
    return this.projects.create(user, slug, dto);
  }

  @Get()
  @ApiOperation({ summary: "List a namespace's projects" })
  @ApiOkResponse({ type: ProjectPageDto, description: 'A page of projects' })
  @ApiErrors({ 400: [INVALID.sort], 404: notFound('namespace') })
  list(@CurrentUser() user: AuthUser, @Param('slug') slug: string, @Query() query: ListQuery): Promise<ProjectPageDto> {
    return this.projects.list(user, slug, query);
  }

  @Get(':projectSlug')
  @ApiOperation({ summary: 'A project with its dataset and collection counts' })
  @ApiOkResponse({ type: ProjectDetailDto, description: 'The project with its dataset and collection counts' })
  @ApiErrors({ 404: notFound('namespace', 'project') })
  get(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Param('projectSlug') projectSlug: string,
  ): Promise<ProjectDetailDto> {
    return this.projects.get(user, slug, projectSlug);
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
  })
  update(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Param('projectSlug') projectSlug: string,
    @Body() dto: UpdateProjectDto,
  ): Promise<ProjectDto> {
    return this.projects.update(user, slug, projectSlug, dto);
  }

  @Delete(':projectSlug')
  @ApiOperation({ summary: 'Soft-delete a project (admin) with everything in it' })
  @ApiOkResponse({ type: SuccessDto, description: 'Deleted, with everything in it' })
  @ApiErrors({ 403: forbidden('admin'), 404: notFound('namespace', 'project') })
  remove(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Param('projectSlug') projectSlug: string,
  ): Promise<SuccessDto> {
    return this.projects.remove(user, slug, projectSlug);
  }
}
