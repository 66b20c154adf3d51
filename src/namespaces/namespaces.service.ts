import { BadRequestException, Injectable } from '@nestjs/common';
import { requireRole, resolveScope } from '../auth/access.js';
import { isValidSubject } from '../auth/jwt.strategy.js';
import { mayChangeMember, REQUIRED_ROLE, rolesFrom, type Role } from '../auth/roles.js';
import type { AuthUser } from '../auth/user.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../common/errors.js';
import { rejectNulls } from '../common/validators.js';
import { pageMeta, SUCCESS, type PageQuery, type SortedQuery, type SuccessDto } from '../common/pagination.js';
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
  constructor(private readonly namespaces: NamespacesRepository) {}

  async create(user: AuthUser, dto: CreateNamespaceDto): Promise<NamespaceDto> {
    return (await this.namespaces.create(user.sub, dto)).namespace;
  }

  async list(user: AuthUser, query: SortedQuery): Promise<NamespacePageDto> {
    const { total, items } = await this.namespaces.list(user.sub, query);
    return { namespaces: items, ...pageMeta(query, total) };
  }

  async get(user: AuthUser, slug: string): Promise<NamespaceDetailDto> {
    const found = await this.namespaces.findWithProjectCount(user.sub, slug);
    resolveScope(found, { slug });
    return found.namespace as NamespaceDetailDto;
  }

  async update(user: AuthUser, slug: string, patch: UpdateNamespaceDto): Promise<NamespaceDto> {
    rejectNulls(patch, ['slug', 'name']);
    const found = await this.namespaces.update(user.sub, slug, patch, rolesFrom(REQUIRED_ROLE.updateNamespace));
    requireRole(resolveScope(found, { slug }), REQUIRED_ROLE.updateNamespace, { slug });
    return found.namespace as NamespaceDto;
  }

  async remove(user: AuthUser, slug: string): Promise<SuccessDto> {
    const found = await this.namespaces.softDelete(user.sub, slug, rolesFrom(REQUIRED_ROLE.deleteNamespace));
    requireRole(resolveScope(found, { slug }), REQUIRED_ROLE.deleteNamespace, { slug });
    if (!found.deleted) {
      throw new ConflictError(`Namespace '${slug}' still has projects; delete them first`);
    }
    return SUCCESS;
  }

  async listMembers(user: AuthUser, slug: string, query: PageQuery): Promise<MemberPageDto> {
    const found = await this.namespaces.listMembers(user.sub, slug, query);
    resolveScope(found, { slug });
    return { members: found.items, ...pageMeta(query, found.total) };
  }

  async putMember(user: AuthUser, slug: string, memberId: string, role: Role): Promise<MemberDto> {
    if (!isValidSubject(memberId)) {
      throw new BadRequestException([
        `userId must be 1-${MAX_USER_ID} characters of well-formed Unicode without control, zero-width or bidi-override characters`,
      ]);
    }
    const found = await this.namespaces.putMember(user.sub, slug, memberId, role, MEMBER_RULES);
    const actor = resolveScope(found, { slug });
    if (!found.member) this.refuse(actor, slug, found.current, role);
    return found.member;
  }

  async removeMember(user: AuthUser, slug: string, memberId: string): Promise<SuccessDto> {
    const found = await this.namespaces.deleteMember(user.sub, slug, memberId, MEMBER_RULES);
    const actor = resolveScope(found, { slug });
    if (found.current === null) throw new NotFoundError(`Member '${memberId}' not found in namespace '${slug}'`);
    if (!found.deleted) this.refuse(actor, slug, found.current, null);
    return SUCCESS;
  }

  /** Why a membership change did not happen: always the caller's role. */
  private refuse(actor: Role, slug: string, current: Role | null, next: Role | null): never {
    requireRole(actor, REQUIRED_ROLE.manageMembers, { slug });
    if (!mayChangeMember(actor, current, next)) {
      throw new ForbiddenError(`Only an owner of namespace '${slug}' may grant, change or revoke the owner role`);
    }
    throw new Error(`membership change in '${slug}' refused for no known reason`);
  }
}
