import { BadRequestException, Injectable } from '@nestjs/common';
import { requireRole, resolveScope } from '../auth/access.js';
import { REQUIRED_ROLE, rolesFrom } from '../auth/roles.js';
import type { AuthUser } from '../auth/user.js';
import { segment, type Answer } from '../common/answer.js';
import { NotFoundError, staleTag } from '../common/errors.js';
import { SUCCESS, type ListQuery, type SuccessDto } from '../common/pagination.js';
import { RawJson } from '../common/raw-json.js';
import { deriveSlug } from '../common/slug.js';
import { rejectNulls } from '../common/validators.js';
import { IdempotencyService, type IdempotencyRequest } from '../idempotency/idempotency.service.js';
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
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly idempotency: IdempotencyService,
  ) {}

  create(
    user: AuthUser,
    slug: string,
    dto: CreateProjectDto,
    key: IdempotencyRequest | null,
  ): Promise<Answer<ProjectDto>> {
    const projectSlug = dto.slug ?? deriveSlug(dto.name);
    if (projectSlug === null) {
      throw new BadRequestException([`slug cannot be derived from name '${dto.name}'; give a slug`]);
    }
    const location = `/namespaces/${segment(slug)}/projects/${segment(projectSlug)}`;
    return this.idempotency.run(key, { status: 201, location }, async (keep) => {
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
        keep,
      );
      requireRole(resolveScope(found, { slug }), MANAGE, { slug });
      return new RawJson<ProjectDto>(found.body!);
    });
  }

  async list(user: AuthUser, slug: string, query: ListQuery): Promise<RawJson<ProjectPageDto>> {
    const found = await this.projects.list(user.sub, slug, query);
    resolveScope(found, { slug });
    return new RawJson(found.body!);
  }

  async get(
    user: AuthUser,
    slug: string,
    projectSlug: string,
    ifNoneMatch: string[] | null,
  ): Promise<Answer<ProjectDetailDto>> {
    const found = await this.projects.findWithCounts(user.sub, slug, projectSlug, ifNoneMatch);
    resolveScope(found, { slug, projectSlug });
    if (found.not_modified) return { etag: found.etag, notModified: true };
    return { etag: found.etag, body: new RawJson(found.body!) };
  }

  async update(
    user: AuthUser,
    slug: string,
    projectSlug: string,
    patch: UpdateProjectDto,
    ifMatch: string[] | null,
  ): Promise<Answer<ProjectDto>> {
    rejectNulls(patch, ['name', 'slug', 'tags']);
    const found = await this.projects.update(user.sub, slug, projectSlug, patch, rolesFrom(MANAGE), ifMatch);
    requireRole(resolveScope(found, { slug, projectSlug }), MANAGE, { slug });
    if (found.body === null) throw this.notChanged(slug, projectSlug, ifMatch);
    return { etag: found.etag, body: new RawJson(found.body) };
  }

  async remove(user: AuthUser, slug: string, projectSlug: string, ifMatch: string[] | null): Promise<SuccessDto> {
    const found = await this.projects.softDelete(user.sub, slug, projectSlug, rolesFrom(MANAGE), ifMatch);
    requireRole(resolveScope(found, { slug, projectSlug }), MANAGE, { slug });
    if (!found.deleted) throw this.notChanged(slug, projectSlug, ifMatch);
    return SUCCESS;
  }

  /** A change that did not happen although the project was there: its tag moved on (412), or it went (404). */
  private notChanged(slug: string, projectSlug: string, ifMatch: string[] | null): Error {
    return ifMatch === null
      ? new NotFoundError(`Project '${projectSlug}' not found in namespace '${slug}'`)
      : staleTag(`Project '${slug}/${projectSlug}'`);
  }
}
