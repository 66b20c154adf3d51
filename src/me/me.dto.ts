import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Role } from '../auth/roles.js';

export class MyNamespaceDto {
  @ApiProperty({ example: 'acme' }) slug: string;
  @ApiProperty({ enum: ROLES }) role: Role;
}

export class MeDto {
  @ApiProperty({ example: 'alice', description: "The token's sub claim" }) sub: string;
  @ApiProperty({ type: String, nullable: true }) name: string | null;
  @ApiProperty({ type: String, nullable: true }) email: string | null;
  @ApiProperty({ type: String, nullable: true }) username: string | null;
  @ApiProperty({
    type: [MyNamespaceDto],
    description: "The caller's newest memberships of live namespaces, at most 100 (GET /namespaces pages them all)",
  })
  namespaces: MyNamespaceDto[];
  @ApiProperty({ type: 'integer', example: 3, description: 'Live namespaces the caller belongs to' })
  namespaceCount: number;
  @ApiProperty({ description: 'true when namespaces holds only the newest 100 of namespaceCount' })
  namespacesTruncated: boolean;
}

export class DefaultNamespaceDto {
  @ApiProperty({ example: 'alice' }) slug: string;
}

export class AuthMeDto extends MeDto {
  @ApiProperty({ type: DefaultNamespaceDto, nullable: true, description: "The DreamLake CLI's default namespace" })
  namespace: DefaultNamespaceDto | null;
}
