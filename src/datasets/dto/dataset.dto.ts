import { ApiProperty, PartialType } from '@nestjs/swagger';
import { ApiCount, ApiExample, ApiId, ApiTimestamp } from '../../common/api-properties.js';
import { PageMeta } from '../../common/pagination.js';
import { CollectionNames, Description, Metadata, Name, Tags } from '../../common/validators.js';
import { CollectionDto } from '../../collections/dto/collection.dto.js';

@ApiExample({ name: 'training-v2', description: 'Q1 training data', tags: ['lidar'], metadata: { split: 'train' } })
export class CreateDatasetDto {
  @Name({ description: 'Unique among the live datasets of the project' })
  name: string;

  @Description({ optional: true })
  description?: string | null;

  @Tags({ optional: true })
  tags?: string[];

  @Metadata({ optional: true })
  metadata?: Record<string, unknown> | null;
}

@ApiExample({ description: 'Q1 training data, relabelled', tags: ['lidar', 'relabelled'] })
export class UpdateDatasetDto extends PartialType(CreateDatasetDto) {}

export class LinkCollectionsDto {
  @CollectionNames({ description: 'Collections to attach, by name; all or nothing' })
  add: string[];
}

export class UnlinkCollectionsDto {
  @CollectionNames({ description: 'Collections to detach, by name; names not in the dataset are ignored' })
  remove: string[];
}

export class DatasetDto {
  @ApiId() id: string;
  @ApiProperty({ example: 'training-v2' }) name: string;
  @ApiProperty({ type: String, nullable: true, example: 'Q1 training data' }) description: string | null;
  @ApiProperty({ type: [String], example: ['lidar'] }) tags: string[];
  @ApiId('The project it belongs to') projectId: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) metadata: Record<string, unknown> | null;
  @ApiTimestamp() createdAt: string;
  @ApiTimestamp() updatedAt: string;
}

export class DatasetDetailDto extends DatasetDto {
  @ApiProperty({ type: [CollectionDto], description: 'Its live collections by name, each with all its members' })
  collections: CollectionDto[];
}

export class CollectionRefDto {
  @ApiId() id: string;
  @ApiProperty({ example: 'front-camera-clips' }) name: string;
}

export class DatasetListItemDto {
  @ApiId() id: string;
  @ApiProperty({ example: 'training-v2' }) name: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: [String], example: ['lidar'] }) tags: string[];
  @ApiProperty({ type: [CollectionRefDto], description: 'Its live collections by name' })
  collections: CollectionRefDto[];
  @ApiTimestamp() createdAt: string;
  @ApiTimestamp() updatedAt: string;
}

export class DatasetPageDto extends PageMeta {
  @ApiProperty({ type: [DatasetListItemDto] }) datasets: DatasetListItemDto[];
}

export class LinkResultDto {
  @ApiCount('Collections newly attached', 1) added: number;
  @ApiCount('Collections now in the dataset', 3) total: number;
}

export class UnlinkResultDto {
  @ApiCount('Collections detached (now standalone)', 1) removed: number;
  @ApiCount('Collections now in the dataset', 2) total: number;
}
