import { BadRequestException, Injectable } from '@nestjs/common';
import { isValidSubject } from '../auth/jwt.strategy.js';
import { atLeast, mayChangeMember, REQUIRED_ROLE, rolesFrom, type Role } from '../auth/roles.js';
import { Answer, segment } from '../common/answer.js';
import { ConflictError, ForbiddenError, NotFoundError, staleTag } from '../common/errors.js';
import { decide, decode, forbidden, NotModified, settle, type Found } from '../common/outcome.js';
import type { Caller, NamespaceAt } from '../common/target.js';
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

  create(caller: Caller, dto: CreateNamespaceDto, key: IdempotencyRequest | null): Promise<Answer<NamespaceDto>> {
    const location = `/namespaces/${segment(dto.slug)}`;
    return this.idempotency.run(key, { status: 201, location }, async (keep) => {
      return new RawJson<NamespaceDto>(settle(await this.namespaces.create(caller, dto, keep), { slug: dto.slug }));
    });
  }

  async list(caller: Caller, query: SortedQuery): Promise<RawJson<NamespacePageDto>> {
    return new RawJson((await this.namespaces.list(caller, query)).body);
  }

  async get(at: NamespaceAt, ifNoneMatch: string[] | null): Promise<Answer<NamespaceDetailDto>> {
    const row = await this.namespaces.findWithProjectCount(at, ifNoneMatch);
    const decided = decide(decode(row), at);
    if (decided instanceof NotModified) return Answer.notModified(decided);
    return new Answer(new RawJson(decided), { etag: row.etag });
  }

  async update(at: NamespaceAt, patch: UpdateNamespaceDto, ifMatch: string[] | null): Promise<Answer<NamespaceDto>> {
    rejectNulls(patch, ['slug', 'name']);
    const row = await this.namespaces.update(at, patch, REQUIRED_ROLE.updateNamespace, ifMatch);
    return new Answer(new RawJson(settle(row, at, { needs: REQUIRED_ROLE.updateNamespace, ifMatch })), {
      etag: row.etag,
    });
  }

  async remove(at: NamespaceAt, ifMatch: string[] | null): Promise<SuccessDto> {
    const row = await this.namespaces.softDelete(at, REQUIRED_ROLE.deleteNamespace, ifMatch);
    // The statement checked these on the locked row: what it saw is why it did not delete.
    settle({ ...row, stale: row.tag_holds === false, body: row.deleted ? 'deleted' : null }, at, {
      needs: REQUIRED_ROLE.deleteNamespace,
      refuse: (r) =>
        r.has_projects ? new ConflictError(`Namespace '${at.slug}' still has projects; delete them first`) : null,
    });
    return SUCCESS;
  }

  async listMembers(at: NamespaceAt, query: PageQuery): Promise<RawJson<MemberPageDto>> {
    return new RawJson(settle(await this.namespaces.listMembers(at, query), at));
  }

  async putMember(at: NamespaceAt, memberId: string, role: Role, ifMatch: string[] | null): Promise<MemberDto> {
    if (!isValidSubject(memberId)) {
      throw new BadRequestException([
        `userId must be 1-${MAX_USER_ID} characters of well-formed Unicode without control, zero-width or bidi-override characters`,
      ]);
    }
    const found = await this.namespaces.putMember(at, memberId, role, MEMBER_RULES, ifMatch);
    const actor = settle<Found>({ role: found.role, body: found.role }, at) as Role;
    if (found.member) return found.member;
    // Permitted on the rows the statement saw, with a holding tag, yet refused: by a membership
    // added meanwhile, at the upsert's conflict, whose only refusal is the owner rule (see
    // NamespacesRepository.putMember).
    const current = found.permitted && found.tag_holds ? 'owner' : found.current;
    throw this.refusal(actor, at, memberId, current, role, found.tag_holds);
  }

  async removeMember(at: NamespaceAt, memberId: string, ifMatch: string[] | null): Promise<SuccessDto> {
    const found = await this.namespaces.deleteMember(at, memberId, MEMBER_RULES, ifMatch);
    const actor = settle<Found>({ role: found.role, body: found.role }, at) as Role;
    // `current` is read under lock: a member removed by a parallel request is not there any more.
    if (found.current === null) throw new NotFoundError(`Member '${memberId}' not found in namespace '${at.slug}'`);
    if (!found.deleted) throw this.refusal(actor, at, memberId, found.current, null, found.tag_holds);
    return SUCCESS;
  }

  /**
   * Why a membership change the statement refused did not happen, in the contract's order: the
   * caller's role (403 below admin), the owner rule (403), then If-Match (412; a membership has no
   * ETag, so only `*` on an existing one holds), decided with the same roles the statement used.
   */
  private refusal(
    actor: Role,
    at: NamespaceAt,
    memberId: string,
    current: Role | null,
    next: Role | null,
    tagHolds: boolean,
  ): Error {
    const { slug } = at;
    if (!atLeast(actor, REQUIRED_ROLE.manageMembers)) throw forbidden({ slug }, actor, REQUIRED_ROLE.manageMembers);
    if (!mayChangeMember(actor, current, next)) {
      return new ForbiddenError(`Only an owner of namespace '${slug}' may grant, change or revoke the owner role`);
    }
    if (!tagHolds) return staleTag(`Member '${memberId}' in namespace '${slug}'`);
    // The statement applies exactly mayChangeMember to the rows it locked: not reachable.
    return new Error(`membership change in '${slug}' refused although ${actor} may change ${current} to ${next}`);
  }
}
