import { BadRequestException, Injectable } from '@nestjs/common';
import { REQUIRED_ROLE } from '../auth/roles.js';
import { Answer, segment } from '../common/answer.js';
import { decide, decode, NotModified, settle } from '../common/outcome.js';
import type { NamespaceAt, ProjectAt } from '../common/target.js';
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

  create(at: NamespaceAt, dto: CreateProjectDto, key: IdempotencyRequest | null): Promise<Answer<ProjectDto>> {
    const projectSlug = dto.slug ?? deriveSlug(dto.name);
    if (projectSlug === null) {
      throw new BadRequestException([`slug cannot be derived from name '${dto.name}'; give a slug`]);
    }
    const project = {
      name: dto.name,
      slug: projectSlug,
      description: dto.description ?? null,
      tags: dto.tags ?? [],
      metadata: dto.metadata ?? null,
    };
    const location = `/namespaces/${segment(at.slug)}/projects/${segment(projectSlug)}`;
    return this.idempotency.run(key, { status: 201, location }, async (keep) => {
      return new RawJson<ProjectDto>(
        settle(await this.projects.create(at, project, MANAGE, keep), at, { needs: MANAGE }),
      );
    });
  }

  async list(at: NamespaceAt, query: ListQuery): Promise<RawJson<ProjectPageDto>> {
    return new RawJson(settle(await this.projects.list(at, query), at));
  }

  async get(at: ProjectAt, ifNoneMatch: string[] | null): Promise<Answer<ProjectDetailDto>> {
    const row = await this.projects.findWithCounts(at, ifNoneMatch);
    const decided = decide(decode(row), at);
    if (decided instanceof NotModified) return Answer.notModified(decided);
    return new Answer(new RawJson(decided), { etag: row.etag });
  }

  async update(at: ProjectAt, patch: UpdateProjectDto, ifMatch: string[] | null): Promise<Answer<ProjectDto>> {
    rejectNulls(patch, ['name', 'slug', 'tags']);
    const row = await this.projects.update(at, patch, MANAGE, ifMatch);
    return new Answer(new RawJson(settle(row, at, { needs: MANAGE, ifMatch })), { etag: row.etag });
  }

  async remove(at: ProjectAt, ifMatch: string[] | null): Promise<SuccessDto> {
    settle(await this.projects.softDelete(at, MANAGE, ifMatch), at, { needs: MANAGE, ifMatch });
    return SUCCESS;
  }
}
