import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ApiCount, ApiExample, ApiId, ApiTimestamp } from '../../common/api-properties.js';
import { PageMeta, PageQuery } from '../../common/pagination.js';
import { LIMITS, QueryBool, QueryInt, QueryNodeId, VersionMessage, VersionTags } from '../../common/validators.js';

@ApiExample({ message: 'The data the Monday grasp model trained on', tags: ['production'] })
export class CreateVersionDto {
  @VersionMessage({ optional: true, description: 'What this version is (at most 1,000 characters)' })
  message?: string | null;

  @VersionTags({
    optional: true,
    description: 'Tags to give it now (at most 20); each must not be held by another version',
  })
  tags?: string[];
}

export class VersionCollectionSummaryDto {
  @ApiProperty({ example: 'front-camera-clips' }) name: string;
  @ApiCount('Members it held when frozen', 3) memberCount: number;
}

/** The version object of the contract. */
export class VersionDto {
  @ApiProperty({ type: 'integer', minimum: 1, example: 1, description: '1, 2, … per dataset, never reused' })
  version: number;
  @ApiId('The dataset it froze') datasetId: string;
  @ApiProperty({ example: 'training-v2', description: "The dataset's name when it was frozen" }) datasetName: string;
  @ApiProperty({ type: String, nullable: true, example: 'The data the Monday grasp model trained on' })
  message: string | null;
  @ApiProperty({ type: [String], example: ['production'], description: 'Tags it holds now' }) tags: string[];
  @ApiTimestamp('When it was frozen') createdAt: string;
  @ApiProperty({ example: 'alice', description: 'Who froze it (a token `sub`)' }) createdBy: string;
  @ApiCount('Members across its collections', 3) memberCount: number;
  @ApiCount('Collections it froze', 1) collectionCount: number;
  @ApiProperty({ type: [VersionCollectionSummaryDto], description: 'Its collections by name (bytewise)' })
  collections: VersionCollectionSummaryDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    description: 'sha256 of the manifest bytes; null until computed (shortly after the freeze)',
  })
  digest: string | null;
}

export class VersionPageDto extends PageMeta {
  @ApiProperty({ type: [VersionDto], description: 'Newest first' }) versions: VersionDto[];
}

/** A collection as a version froze it. */
export class FrozenCollectionDto {
  @ApiId('The collection (it may since have been renamed, moved or deleted)') id: string;
  @ApiProperty({ example: 'front-camera-clips' }) name: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: [String], example: ['camera'] }) tags: string[];
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) metadata: Record<string, unknown> | null;
  @ApiPropertyOptional({
    type: [String],
    example: ['episode-0001', 'episode-0002'],
    description: 'Node ids in order (left out with members=false)',
  })
  members?: string[];
  @ApiCount('Members it held when frozen', 2) memberCount: number;
}

/** A version with its frozen collections and their members. */
export class VersionDetailDto extends VersionDto {
  @ApiProperty({
    type: [FrozenCollectionDto],
    description: 'Its collections by name (bytewise), each with its members',
  })
  declare collections: FrozenCollectionDto[];
}

export class VersionQuery {
  @QueryBool('false leaves the member lists out (memberCount stays)')
  members?: 'true' | 'false';
}

export class VersionPageQuery extends PageQuery {}

export const DIFF_CHANGES = ['added', 'removed', 'changed'] as const;

export class DiffCollectionDto {
  @ApiProperty({ example: 'front-camera-clips' }) name: string;
  @ApiProperty({
    enum: DIFF_CHANGES,
    description: 'added: only in `to`; removed: only in `from`; changed: in both, with other members or fields',
  })
  change: (typeof DIFF_CHANGES)[number];
  @ApiCount('Members in `to` that are not in `from`', 1000) added: number;
  @ApiCount('Members in `from` that are not in `to`', 12) removed: number;
}

export class DiffDto {
  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string', enum: ['working'] }], example: 1 }) from:
    number | 'working';
  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string', enum: ['working'] }], example: 2 }) to:
    number | 'working';
  @ApiProperty({ type: [DiffCollectionDto], description: 'Only the collections that differ, by name (bytewise)' })
  collections: DiffCollectionDto[];
}

export class DiffMembersQuery {
  @QueryNodeId('A previous answer’s nextCursor (opaque); left out: from the start')
  after?: string;

  @QueryInt(1, LIMITS.cursorLimit, 100, 'Changes to return, at most 1000')
  limit?: number;
}

export class DiffMembersDto {
  @ApiProperty({ type: [String], example: ['episode-0003'], description: 'Node ids in `to` and not in `from`' })
  added: string[];
  @ApiProperty({ type: [String], example: ['episode-0001'], description: 'Node ids in `from` and not in `to`' })
  removed: string[];
  @ApiProperty({
    type: String,
    nullable: true,
    example: '4812',
    description: 'Pass as `after` for more; null at the end',
  })
  nextCursor: string | null;
}

/** What a restore answers: the live dataset, with the collections it now holds. */
export class RestoredDatasetDto {
  @ApiId() id: string;
  @ApiProperty({ example: 'training-v2' }) name: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: [String], example: ['lidar'] }) tags: string[];
  @ApiId('The project it belongs to') projectId: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) metadata: Record<string, unknown> | null;
  @ApiTimestamp() createdAt: string;
  @ApiTimestamp() updatedAt: string;
  @ApiProperty({
    type: [VersionCollectionSummaryDto],
    description: 'Its live collections by name, with their member counts',
  })
  collections: VersionCollectionSummaryDto[];
}
