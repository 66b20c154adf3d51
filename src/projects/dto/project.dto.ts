import { ApiProperty, PartialType } from '@nestjs/swagger';
import { ApiCount, ApiExample, ApiId, ApiTimestamp } from '../../common/api-properties.js';
import { PageMeta } from '../../common/pagination.js';
import { Description, DisplayName, Metadata, Slug, Tags } from '../../common/validators.js';

@ApiExample({
  name: 'Robotics',
  description: 'Manipulation and navigation data',
  tags: ['lidar'],
  metadata: { site: 'lab-2' },
})
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

@ApiExample({ description: 'Manipulation, navigation and grasping data', tags: ['lidar', 'grasping'] })
export class UpdateProjectDto extends PartialType(CreateProjectDto) {}

export class ProjectDto {
  @ApiId() id: string;
  @ApiId('The namespace it belongs to') namespaceId: string;
  @ApiProperty({ example: 'Robotics' }) name: string;
  @ApiProperty({ example: 'robotics' }) slug: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: [String], example: ['lidar'] }) tags: string[];
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) metadata: Record<string, unknown> | null;
  @ApiTimestamp() createdAt: string;
  @ApiTimestamp() updatedAt: string;
}

export class ProjectDetailDto extends ProjectDto {
  @ApiCount('Live datasets in the project', 2) datasets: number;
  @ApiCount('Live collections in the project', 5) collections: number;
}

export class ProjectPageDto extends PageMeta {
  @ApiProperty({ type: [ProjectDto] }) projects: ProjectDto[];
}
