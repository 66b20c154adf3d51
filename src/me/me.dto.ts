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
  @ApiProperty({ type: [MyNamespaceDto], description: 'Live namespaces the caller belongs to, by slug' })
  namespaces: MyNamespaceDto[];
}
