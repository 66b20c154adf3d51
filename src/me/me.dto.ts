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
  @ApiProperty({ type: String, format: 'uuid', example: '4b0c5e8e-2f0a-4c2e-9a57-0d6f1c7b9e21' }) id: string;
  @ApiProperty({ example: 'alice' }) slug: string;
  @ApiProperty({ example: 'Alice' }) name: string;
}

export class AuthMeDto extends MeDto {
  @ApiProperty({ type: DefaultNamespaceDto, nullable: true, description: "The DreamLake CLI's default namespace" })
  namespace: DefaultNamespaceDto | null;
}
