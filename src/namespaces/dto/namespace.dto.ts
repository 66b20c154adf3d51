import { ApiProperty, PartialType } from '@nestjs/swagger';
import { ROLES, type Role } from '../../auth/roles.js';
import { PageMeta } from '../../common/pagination.js';
import { Description, DisplayName, Metadata, OneOf, Slug } from '../../common/validators.js';

export class CreateNamespaceDto {
  @Slug()
  slug: string;

  @DisplayName({ optional: true, description: 'Defaults to the slug' })
  name?: string;

  @Description({ optional: true })
  description?: string | null;

  @Metadata({ optional: true })
  metadata?: Record<string, unknown> | null;
}

export class UpdateNamespaceDto extends PartialType(CreateNamespaceDto) {}

export class PutMemberDto {
  @OneOf(ROLES)
  role: Role;
}

export class NamespaceDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'acme' }) slug: string;
  @ApiProperty({ example: 'Acme Robotics' }) name: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) metadata: Record<string, unknown> | null;
  @ApiProperty({ example: '2026-04-15T09:30:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-04-15T09:30:00.000Z' }) updatedAt: string;
}

export class NamespaceListItemDto extends NamespaceDto {
  @ApiProperty({ enum: ROLES, description: "The caller's role" }) role: Role;
}

export class NamespaceDetailDto extends NamespaceListItemDto {
  @ApiProperty({ description: 'Live projects in the namespace' }) projects: number;
}

export class NamespacePageDto extends PageMeta {
  @ApiProperty({ type: [NamespaceListItemDto] }) namespaces: NamespaceListItemDto[];
}

export class MemberDto {
  @ApiProperty({ example: 'alice' }) userId: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ example: '2026-04-15T09:30:00.000Z' }) createdAt: string;
}

export class MemberPageDto extends PageMeta {
  @ApiProperty({ type: [MemberDto] }) members: MemberDto[];
}
