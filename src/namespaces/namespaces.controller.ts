import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../auth/user.js';
import { PageQuery, SortedQuery, SuccessDto } from '../common/pagination.js';
import { ApiErrors, CONFLICT, forbidden, INVALID, notFound, OWNER_ROLE_ONLY } from '../common/api-errors.js';
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
  @ApiErrors({ 400: [INVALID.slug], 409: CONFLICT.namespaceSlug, body: 'json' })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateNamespaceDto): Promise<NamespaceDto> {
    return this.namespaces.create(user, dto);
  }

  @Get()
  @ApiOperation({ summary: "List the caller's namespaces" })
  @ApiOkResponse({ type: NamespacePageDto, description: "A page of the caller's namespaces, each with their role" })
  @ApiErrors({ 400: [INVALID.pageSize] })
  list(@CurrentUser() user: AuthUser, @Query() query: SortedQuery): Promise<NamespacePageDto> {
    return this.namespaces.list(user, query);
  }

  @Get(':slug')
  @ApiOperation({ summary: "A namespace with the caller's role and its project count" })
  @ApiOkResponse({ type: NamespaceDetailDto, description: "The namespace, the caller's role and its project count" })
  @ApiErrors({ 404: notFound('namespace') })
  get(@CurrentUser() user: AuthUser, @Param('slug') slug: string): Promise<NamespaceDetailDto> {
    return this.namespaces.get(user, slug);
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
  })
  update(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Body() dto: UpdateNamespaceDto,
  ): Promise<NamespaceDto> {
    return this.namespaces.update(user, slug, dto);
  }

  @Delete(':slug')
  @ApiOperation({ summary: 'Soft-delete a namespace (owner); refused while it has live projects' })
  @ApiOkResponse({ type: SuccessDto, description: 'Deleted' })
  @ApiErrors({ 403: forbidden('owner'), 404: notFound('namespace'), 409: CONFLICT.namespaceHasProjects })
  remove(@CurrentUser() user: AuthUser, @Param('slug') slug: string): Promise<SuccessDto> {
    return this.namespaces.remove(user, slug);
  }

  @Get(':slug/members')
  @ApiOperation({ summary: "List a namespace's members" })
  @ApiOkResponse({ type: MemberPageDto, description: 'A page of members, newest first' })
  @ApiErrors({ 400: [INVALID.page], 404: notFound('namespace') })
  listMembers(
    @CurrentUser() user: AuthUser,
    @Param('slug') slug: string,
    @Query() query: PageQuery,
  ): Promise<MemberPageDto> {
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
