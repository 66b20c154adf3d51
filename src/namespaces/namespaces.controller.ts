import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { respond } from '../common/answer.js';
import { ApiConditionalGet, ApiIfMatch, IfMatch, IfNoneMatch } from '../common/conditional.js';
import type { RawJson } from '../common/raw-json.js';
import { ApiIdempotent, IdempotencyKey } from '../idempotency/idempotency-key.decorator.js';
import type { IdempotencyRequest } from '../idempotency/idempotency.service.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../auth/user.js';
import { PageQuery, SortedQuery, SuccessDto } from '../common/pagination.js';
import { ApiErrors } from '../common/api-errors.js';
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
@Controller('namespaces')
export class NamespacesController {
  constructor(private readonly namespaces: NamespacesService) {}

  @Post()
  @ApiOperation({ summary: 'Create a namespace; the caller becomes its owner' })
  @ApiCreatedResponse({ type: NamespaceDto })
  @ApiErrors(400, 409)
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
  @ApiOkResponse({ type: NamespacePageDto })
  @ApiErrors(400)
  list(@CurrentUser() user: AuthUser, @Query() query: SortedQuery): Promise<RawJson<NamespacePageDto>> {
    return this.namespaces.list(user, query);
  }

  @Get(':slug')
  @ApiOperation({ summary: "A namespace with the caller's role and its project count" })
  @ApiOkResponse({ type: NamespaceDetailDto })
  @ApiErrors(404)
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
  @ApiOkResponse({ type: NamespaceDto })
  @ApiErrors(400, 403, 404, 409)
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
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(403, 404, 409)
  remove(@CurrentUser() user: AuthUser, @Param('slug') slug: string): Promise<SuccessDto> {
    return this.namespaces.remove(user, slug);
  }

  @Get(':slug/members')
  @ApiOperation({ summary: "List a namespace's members" })
  @ApiOkResponse({ type: MemberPageDto })
  @ApiErrors(400, 404)
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
  @ApiOkResponse({ type: MemberDto })
  @ApiErrors(400, 403, 404, 409)
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
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(403, 404, 409)
  removeMember(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Param('userId') userId: string,
  ): Promise<SuccessDto> {
    return this.namespaces.removeMember(user, slug, userId);
  }
}
