import { ApiProperty, PartialType } from '@nestjs/swagger';
import { PageMeta } from '../../common/pagination.js';
import { Description, DisplayName, Metadata, Slug, Tags } from '../../common/validators.js';

export class CreateProjectDto {
  @DisplayName()
  name: string;

  @Slug({ optional: true, description: 'Derived from the name when omitted' })
  slug?: string;

  @Description({ optional: true })
  description?: string | null;

  @Tags({ optional: true })
  tags?: string[];

  @Metadata({ optional: true })
  metadata?: Record<string, unknown> | null;
}

export class UpdateProjectDto extends PartialType(CreateProjectDto) {}

export class ProjectDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) namespaceId: string;
  @ApiProperty({ example: 'Robotics' }) name: string;
  @ApiProperty({ example: 'robotics' }) slug: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) metadata: Record<string, unknown> | null;
  @ApiProperty({ example: '2026-04-15T09:30:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-04-15T09:30:00.000Z' }) updatedAt: string;
}

export class ProjectDetailDto extends ProjectDto {
  @ApiProperty({ description: 'Live datasets in the project' }) datasets: number;
  @ApiProperty({ description: 'Live collections in the project' }) collections: number;
}

export class ProjectPageDto extends PageMeta {
  @ApiProperty({ type: [ProjectDto] }) projects: ProjectDto[];
}
