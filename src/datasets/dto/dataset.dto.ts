import { ApiProperty, PartialType } from '@nestjs/swagger';
import { PageMeta } from '../../common/pagination.js';
import { CollectionNames, Description, Metadata, Name, Tags } from '../../common/validators.js';
import { CollectionDto } from '../../collections/dto/collection.dto.js';

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
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'training-v2' }) name: string;
  @ApiProperty({ type: String, nullable: true, example: 'Q1 training data' }) description: string | null;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ format: 'uuid' }) projectId: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) metadata: Record<string, unknown> | null;
  @ApiProperty({ example: '2026-04-15T09:30:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-04-15T09:30:00.000Z' }) updatedAt: string;
}

export class DatasetDetailDto extends DatasetDto {
  @ApiProperty({ type: [CollectionDto], description: 'Its live collections by name, each with all its members' })
  collections: CollectionDto[];
}

export class CollectionRefDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'front-camera-clips' }) name: string;
}

export class DatasetListItemDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'training-v2' }) name: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ type: [CollectionRefDto], description: 'Its live collections by name' })
  collections: CollectionRefDto[];
  @ApiProperty({ example: '2026-04-15T09:30:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-04-15T09:30:00.000Z' }) updatedAt: string;
}

export class DatasetPageDto extends PageMeta {
  @ApiProperty({ type: [DatasetListItemDto] }) datasets: DatasetListItemDto[];
}

export class LinkResultDto {
  @ApiProperty({ description: 'Collections newly attached' }) added: number;
  @ApiProperty({ description: 'Collections now in the dataset' }) total: number;
}

export class UnlinkResultDto {
  @ApiProperty({ description: 'Collections detached (now standalone)' }) removed: number;
  @ApiProperty({ description: 'Collections now in the dataset' }) total: number;
}
