import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  UseInterceptors,
} from '@nestjs/common';
import { AnswerInterceptor } from '../common/answer.js';
import { At, type Caller, type NamespaceAt } from '../common/target.js';
import { ApiConditionalGet, ApiIfMatch, IF_MATCH_UNTAGGED, IfMatch, IfNoneMatch } from '../common/conditional.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import type { RawJson } from '../common/raw-json.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PageQuery, SortedQuery, SuccessDto } from '../common/pagination.js';
import {
  ApiErrors,
  CONFLICT,
  forbidden,
  IDEMPOTENCY,
  INVALID,
  notFound,
  OWNER_ROLE_ONLY,
  STALE,
} from '../common/api-errors.js';
import { ApiPathParams } from '../common/api-params.js';
import {
  CreateNamespaceDto,
  MemberDto,
  MemberPageDto,
  NamespaceDetailDto,
  NamespaceDto,
  NamespacePageDto,
  PutMemberDto,
  UpdateNamespaceDto,
} from './dto/namespace.dto.js';
import { NamespacesService } from './namespaces.service.js';

@ApiTags('namespaces')
@ApiBearerAuth()
@ApiPathParams()
@Controller('namespaces')
@UseInterceptors(AnswerInterceptor)
export class NamespacesController {
  constructor(private readonly namespaces: NamespacesService) {}

  @Post()
  @ApiOperation({ summary: 'Create a namespace; the caller becomes its owner' })
  @ApiCreatedResponse({ type: NamespaceDto, description: 'The new namespace; the caller is its owner' })
  @ApiErrors({
    400: [INVALID.slug],
    409: { taken: CONFLICT.namespaceSlug, 'key in progress': IDEMPOTENCY.inProgress },
    body: 'json',
    422: IDEMPOTENCY.reused,
  })
  @ApiIdempotent()
  create(@At() caller: Caller, @Body() dto: CreateNamespaceDto, @IdempotencyKey() key: IdempotencyRequest | null) {
    return this.namespaces.create(caller, dto, key);
  }

  @Get()
  @ApiOperation({ summary: "List the caller's namespaces" })
  @ApiOkResponse({ type: NamespacePageDto, description: "A page of the caller's namespaces, each with their role" })
  @ApiErrors({ 400: [INVALID.pageSize] })
  list(@At() caller: Caller, @Query() query: SortedQuery): Promise<RawJson<NamespacePageDto>> {
    return this.namespaces.list(caller, query);
  }

  @Get(':slug')
  @ApiOperation({ summary: "A namespace with the caller's role and its project count" })
  @ApiOkResponse({ type: NamespaceDetailDto, description: "The namespace, the caller's role and its project count" })
  @ApiErrors({ 404: notFound('namespace') })
  @ApiConditionalGet()
  get(@At() at: NamespaceAt, @IfNoneMatch() ifNoneMatch: string[] | null) {
    return this.namespaces.get(at, ifNoneMatch);
  }

  @Patch(':slug')
  @ApiOperation({ summary: 'Update a namespace (admin); only the given fields change' })
  @ApiOkResponse({ type: NamespaceDto, description: 'The namespace as it is now' })
  @ApiErrors({
    400: [INVALID.nameNull],
    403: forbidden('admin'),
    404: notFound('namespace'),
    409: CONFLICT.namespaceSlug,
    body: 'json',
    412: STALE.namespace,
  })
  @ApiIfMatch()
  update(@At() at: NamespaceAt, @Body() dto: UpdateNamespaceDto, @IfMatch() ifMatch: string[] | null) {
    return this.namespaces.update(at, dto, ifMatch);
  }

  @Delete(':slug')
  @ApiOperation({ summary: 'Soft-delete a namespace (owner); refused while it has live projects' })
  @ApiOkResponse({ type: SuccessDto, description: 'Deleted' })
  @ApiErrors({
    403: forbidden('owner'),
    404: notFound('namespace'),
    409: CONFLICT.namespaceHasProjects,
    412: STALE.namespace,
  })
  @ApiIfMatch()
  remove(@At() at: NamespaceAt, @IfMatch() ifMatch: string[] | null): Promise<SuccessDto> {
    return this.namespaces.remove(at, ifMatch);
  }

  @Get(':slug/members')
  @ApiOperation({ summary: "List a namespace's members" })
  @ApiOkResponse({ type: MemberPageDto, description: 'A page of members, newest first' })
  @ApiErrors({ 400: [INVALID.page], 404: notFound('namespace') })
  listMembers(@At() at: NamespaceAt, @Query() query: PageQuery): Promise<RawJson<MemberPageDto>> {
    return this.namespaces.listMembers(at, query);
  }

  @Put(':slug/members/:userId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add a member or change their role (admin; owner for the owner role)' })
  @ApiOkResponse({ type: MemberDto, description: 'The member with their role (added or changed)' })
  @ApiErrors({
    400: { role: [INVALID.role], userId: [INVALID.userId] },
    403: { ...forbidden('admin'), 'owner role': OWNER_ROLE_ONLY },
    404: notFound('namespace'),
    409: CONFLICT.lastOwner,
    body: 'json',
    412: STALE.member,
  })
  @ApiIfMatch(IF_MATCH_UNTAGGED.member)
  putMember(
    @At() at: NamespaceAt,
    @Param('userId') userId: string,
    @Body() dto: PutMemberDto,
    @IfMatch() ifMatch: string[] | null,
  ): Promise<MemberDto> {
    return this.namespaces.putMember(at, userId, dto.role, ifMatch);
  }

  @Delete(':slug/members/:userId')
  @ApiOperation({ summary: 'Remove a member (admin; owner to remove an owner)' })
  @ApiOkResponse({ type: SuccessDto, description: 'Removed' })
  @ApiErrors({
    403: { ...forbidden('admin'), 'owner role': OWNER_ROLE_ONLY },
    404: notFound('namespace', 'member'),
    409: CONFLICT.lastOwner,
    412: STALE.member,
  })
  @ApiIfMatch(IF_MATCH_UNTAGGED.member)
  removeMember(
    @At() at: NamespaceAt,
    @Param('userId') userId: string,
    @IfMatch() ifMatch: string[] | null,
  ): Promise<SuccessDto> {
    return this.namespaces.removeMember(at, userId, ifMatch);
  }
}
