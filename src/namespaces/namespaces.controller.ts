import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { respond } from '../common/answer.js';
import { ApiConditionalGet, ApiIfMatch, IfMatch, IfNoneMatch } from '../common/conditional.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import type { RawJson } from '../common/raw-json.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../auth/user.js';
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
  async create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateNamespaceDto,
    @IdempotencyKey() key: IdempotencyRequest | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.namespaces.create(user, dto, key));
  }

  @Get()
  @ApiOperation({ summary: "List the caller's namespaces" })
  @ApiOkResponse({ type: NamespacePageDto, description: "A page of the caller's namespaces, each with their role" })
  @ApiErrors({ 400: [INVALID.pageSize] })
  list(@CurrentUser() user: AuthUser, @Query() query: SortedQuery): Promise<RawJson<NamespacePageDto>> {
    return this.namespaces.list(user, query);
  }

  @Get(':slug')
  @ApiOperation({ summary: "A namespace with the caller's role and its project count" })
  @ApiOkResponse({ type: NamespaceDetailDto, description: "The namespace, the caller's role and its project count" })
  @ApiErrors({ 404: notFound('namespace') })
  @ApiConditionalGet()
  async get(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @IfNoneMatch() ifNoneMatch: string[] | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.namespaces.get(user, slug, ifNoneMatch));
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
  async update(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Body() dto: UpdateNamespaceDto,
    @IfMatch() ifMatch: string[] | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return respond(reply, await this.namespaces.update(user, slug, dto, ifMatch));
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
  remove(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @IfMatch() ifMatch: string[] | null,
  ): Promise<SuccessDto> {
    return this.namespaces.remove(user, slug, ifMatch);
  }

  @Get(':slug/members')
  @ApiOperation({ summary: "List a namespace's members" })
  @ApiOkResponse({ type: MemberPageDto, description: 'A page of members, newest first' })
  @ApiErrors({ 400: [INVALID.page], 404: notFound('namespace') })
  listMembers(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Query() query: PageQuery,
  ): Promise<RawJson<MemberPageDto>> {
    return this.namespaces.listMembers(user, slug, query);
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
  })
  putMember(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Param('userId') userId: string,
    @Body() dto: PutMemberDto,
  ): Promise<MemberDto> {
    return this.namespaces.putMember(user, slug, userId, dto.role);
  }

  @Delete(':slug/members/:userId')
  @ApiOperation({ summary: 'Remove a member (admin; owner to remove an owner)' })
  @ApiOkResponse({ type: SuccessDto, description: 'Removed' })
  @ApiErrors({
    403: { ...forbidden('admin'), 'owner role': OWNER_ROLE_ONLY },
    404: notFound('namespace', 'member'),
    409: CONFLICT.lastOwner,
  })
  removeMember(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Param('userId') userId: string,
  ): Promise<SuccessDto> {
    return this.namespaces.removeMember(user, slug, userId);
  }
}
