import { BadRequestException, Injectable } from '@nestjs/common';
import { requireRole, resolveScope } from '../auth/access.js';
import { isValidSubject } from '../auth/jwt.strategy.js';
import { mayChangeMember, REQUIRED_ROLE, rolesFrom, type Role } from '../auth/roles.js';
import type { AuthUser } from '../auth/user.js';
import { segment, type Answer } from '../common/answer.js';
import { ConflictError, ForbiddenError, NotFoundError, staleTag } from '../common/errors.js';
import { RawJson } from '../common/raw-json.js';
import { IdempotencyService, type IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { rejectNulls } from '../common/validators.js';
import { SUCCESS, type PageQuery, type SortedQuery, type SuccessDto } from '../common/pagination.js';
import type {
  CreateNamespaceDto,
  MemberDto,
  MemberPageDto,
  NamespaceDetailDto,
  NamespaceDto,
  NamespacePageDto,
  UpdateNamespaceDto,
} from './dto/namespace.dto.js';
import { NamespacesRepository } from './namespaces.repository.js';

/** User ids are JWT `sub` claims; the guard refuses longer ones. */
const MAX_USER_ID = 255;

const MEMBER_RULES = { manage: rolesFrom(REQUIRED_ROLE.manageMembers), owners: rolesFrom(REQUIRED_ROLE.manageOwners) };

/** Namespace rules: who may see, change and delete a namespace and its memberships. */
@Injectable()
export class NamespacesService {
  constructor(
    private readonly namespaces: NamespacesRepository,
    private readonly idempotency: IdempotencyService,
  ) {}

  create(user: AuthUser, dto: CreateNamespaceDto, key: IdempotencyRequest | null): Promise<Answer<NamespaceDto>> {
    const location = `/namespaces/${segment(dto.slug)}`;
    return this.idempotency.run(key, { status: 201, location }, async (keep) => {
      return new RawJson<NamespaceDto>((await this.namespaces.create(user.sub, dto, keep)).body);
    });
  }

  async list(user: AuthUser, query: SortedQuery): Promise<RawJson<NamespacePageDto>> {
    return new RawJson((await this.namespaces.list(user.sub, query)).body);
  }

  async get(user: AuthUser, slug: string, ifNoneMatch: string[] | null): Promise<Answer<NamespaceDetailDto>> {
    const found = await this.namespaces.findWithProjectCount(user.sub, slug, ifNoneMatch);
    resolveScope(found, { slug });
    if (found.not_modified) return { etag: found.etag, notModified: true };
    return { etag: found.etag, body: new RawJson(found.body!) };
  }

  async update(
    user: AuthUser,
    slug: string,
    patch: UpdateNamespaceDto,
    ifMatch: string[] | null,
  ): Promise<Answer<NamespaceDto>> {
    rejectNulls(patch, ['slug', 'name']);
    const found = await this.namespaces.update(
      user.sub,
      slug,
      patch,
      rolesFrom(REQUIRED_ROLE.updateNamespace),
      ifMatch,
    );
    requireRole(resolveScope(found, { slug }), REQUIRED_ROLE.updateNamespace, { slug });
    if (found.body === null) {
      throw ifMatch === null ? new NotFoundError(`Namespace '${slug}' not found`) : staleTag(`Namespace '${slug}'`);
    }
    return { etag: found.etag, body: new RawJson(found.body) };
  }

  async remove(user: AuthUser, slug: string, ifMatch: string[] | null): Promise<SuccessDto> {
    const found = await this.namespaces.softDelete(user.sub, slug, rolesFrom(REQUIRED_ROLE.deleteNamespace), ifMatch);
    requireRole(resolveScope(found, { slug }), REQUIRED_ROLE.deleteNamespace, { slug });
    if (found.deleted) return SUCCESS;
    // The statement checked these on the locked row: what it saw is why it did not delete.
    if (!found.tag_holds) throw staleTag(`Namespace '${slug}'`);
    if (found.has_projects) throw new ConflictError(`Namespace '${slug}' still has projects; delete them first`);
    throw new Error(`namespace '${slug}' was live, unchanged and empty under lock, yet not deleted`);
  }

  async listMembers(user: AuthUser, slug: string, query: PageQuery): Promise<RawJson<MemberPageDto>> {
    const found = await this.namespaces.listMembers(user.sub, slug, query);
    resolveScope(found, { slug });
    return new RawJson(found.body!);
  }

  async putMember(user: AuthUser, slug: string, memberId: string, role: Role): Promise<MemberDto> {
    if (!isValidSubject(memberId)) {
      throw new BadRequestException([
        `userId must be 1-${MAX_USER_ID} characters of well-formed Unicode without control, zero-width or bidi-override characters`,
      ]);
    }
    const found = await this.namespaces.putMember(user.sub, slug, memberId, role, MEMBER_RULES);
    const actor = resolveScope(found, { slug });
    if (found.member) return found.member;
    // Permitted on the rows the statement saw, yet refused: by a membership added meanwhile, at the
    // upsert's conflict, whose only refusal is the owner rule (see NamespacesRepository.putMember).
    throw this.refusal(actor, slug, found.permitted ? 'owner' : found.current, role);
  }

  async removeMember(user: AuthUser, slug: string, memberId: string): Promise<SuccessDto> {
    const found = await this.namespaces.deleteMember(user.sub, slug, memberId, MEMBER_RULES);
    const actor = resolveScope(found, { slug });
    // `current` is read under lock: a member removed by a parallel request is not there any more.
    if (found.current === null) throw new NotFoundError(`Member '${memberId}' not found in namespace '${slug}'`);
    if (!found.deleted) throw this.refusal(actor, slug, found.current, null);
    return SUCCESS;
  }

  /**
   * Why a membership change the statement refused did not happen: the caller's role (403 below
   * admin) or the owner rule (403), decided with the same roles the statement used.
   */
  private refusal(actor: Role, slug: string, current: Role | null, next: Role | null): Error {
    requireRole(actor, REQUIRED_ROLE.manageMembers, { slug });
    if (mayChangeMember(actor, current, next)) {
      // The statement applies exactly mayChangeMember to the rows it locked: not reachable.
      return new Error(`membership change in '${slug}' refused although ${actor} may change ${current} to ${next}`);
    }
    return new ForbiddenError(`Only an owner of namespace '${slug}' may grant, change or revoke the owner role`);
  }
}
