import { BadRequestException, Injectable } from '@nestjs/common';
import { requireRole, resolveScope } from '../auth/access.js';
import { REQUIRED_ROLE, rolesFrom } from '../auth/roles.js';
import type { AuthUser } from '../auth/user.js';
import { pageMeta, SUCCESS, type ListQuery, type SuccessDto } from '../common/pagination.js';
import { deriveSlug } from '../common/slug.js';
import { rejectNulls } from '../common/validators.js';
import type {
  CreateProjectDto,
  ProjectDetailDto,
  ProjectDto,
  ProjectPageDto,
  UpdateProjectDto,
} from './dto/project.dto.js';
import { ProjectsRepository } from './projects.repository.js';

const MANAGE = REQUIRED_ROLE.manageProjects;

/** Project rules: anyone in the namespace reads them, admins create, change and delete them. */
@Injectable()
export class ProjectsService {
  constructor(private readonly projects: ProjectsRepository) {}

  async create(user: AuthUser, slug: string, dto: CreateProjectDto): Promise<ProjectDto> {
    const projectSlug = dto.slug ?? deriveSlug(dto.name);
    if (projectSlug === null) {
      throw new BadRequestException([`slug cannot be derived from name '${dto.name}'; give a slug`]);
    }
    const found = await this.projects.create(
      user.sub,
      slug,
      {
        name: dto.name,
        slug: projectSlug,
        description: dto.description ?? null,
        tags: dto.tags ?? [],
        metadata: dto.metadata ?? null,
      },
      rolesFrom(MANAGE),
    );
    requireRole(resolveScope(found, { slug }), MANAGE, { slug });
    return found.project as ProjectDto;
  }

  async list(user: AuthUser, slug: string, query: ListQuery): Promise<ProjectPageDto> {
    const found = await this.projects.list(user.sub, slug, query);
    resolveScope(found, { slug });
    return { projects: found.items, ...pageMeta(query, found.total) };
  }

  async get(user: AuthUser, slug: string, projectSlug: string): Promise<ProjectDetailDto> {
    const found = await this.projects.findWithCounts(user.sub, slug, projectSlug);
    resolveScope(found, { slug, projectSlug });
    return found.project as ProjectDetailDto;
  }

  async update(user: AuthUser, slug: string, projectSlug: string, patch: UpdateProjectDto): Promise<ProjectDto> {
    rejectNulls(patch, ['name', 'slug', 'tags']);
    const found = await this.projects.update(user.sub, slug, projectSlug, patch, rolesFrom(MANAGE));
    requireRole(resolveScope(found, { slug, projectSlug }), MANAGE, { slug });
    return found.project as ProjectDto;
  }

  async remove(user: AuthUser, slug: string, projectSlug: string): Promise<SuccessDto> {
    const found = await this.projects.softDelete(user.sub, slug, projectSlug, rolesFrom(MANAGE));
    requireRole(resolveScope(found, { slug, projectSlug }), MANAGE, { slug });
    return SUCCESS;
  }
}
