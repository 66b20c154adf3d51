import { ApiProperty, PartialType } from '@nestjs/swagger';
import { ROLES, type Role } from '../../auth/roles.js';
import { ApiCount, ApiExample, ApiId, ApiTimestamp } from '../../common/api-properties.js';
import { PageMeta } from '../../common/pagination.js';
import { Description, DisplayName, Metadata, OneOf, Slug } from '../../common/validators.js';

@ApiExample({
  slug: 'acme',
  name: 'Acme Robotics',
  description: 'Robot learning team',
  metadata: { costCenter: 'r-42' },
})
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

@ApiExample({ name: 'Acme Robotics Lab', description: 'Robot learning and simulation team' })
export class UpdateNamespaceDto extends PartialType(CreateNamespaceDto) {}

@ApiExample({ role: 'writer' })
export class PutMemberDto {
  @OneOf(ROLES)
  role: Role;
}

export class NamespaceDto {
  @ApiId() id: string;
  @ApiProperty({ example: 'acme' }) slug: string;
  @ApiProperty({ example: 'Acme Robotics' }) name: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) metadata: Record<string, unknown> | null;
  @ApiTimestamp() createdAt: string;
  @ApiTimestamp() updatedAt: string;
}

export class NamespaceListItemDto extends NamespaceDto {
  @ApiProperty({ enum: ROLES, description: "The caller's role" }) role: Role;
}

export class NamespaceDetailDto extends NamespaceListItemDto {
  @ApiCount('Live projects in the namespace', 3) projects: number;
}

export class NamespacePageDto extends PageMeta {
  @ApiProperty({ type: [NamespaceListItemDto] }) namespaces: NamespaceListItemDto[];
}

export class MemberDto {
  @ApiProperty({ example: 'bob', description: 'Their token `sub`' }) userId: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiTimestamp('When they became a member') createdAt: string;
}

export class MemberPageDto extends PageMeta {
  @ApiProperty({ type: [MemberDto] }) members: MemberDto[];
}
