import { ApiProperty, ApiPropertyOptional, PartialType, OmitType } from '@nestjs/swagger';
import { PageMeta, ListQuery } from '../../common/pagination.js';
import {
  Description,
  LIMITS,
  Metadata,
  Name,
  NodeIds,
  QueryBool,
  QueryNodeId,
  QueryInt,
  Tags,
  Uuid,
} from '../../common/validators.js';

export class CreateCollectionDto {
  @Name({ description: 'Unique among the live collections of the project' })
  name: string;

  @Description({ optional: true })
  description?: string | null;

  @Tags({ optional: true })
  tags?: string[];

  @Metadata({ optional: true })
  metadata?: Record<string, unknown> | null;

  @Uuid({ nullable: true, description: 'A live dataset of the project to put the collection in' })
  datasetId?: string | null;

  @NodeIds({ optional: true, description: 'Initial members, in order; repeats are dropped' })
  members?: string[];
}

export class UpdateCollectionDto extends PartialType(OmitType(CreateCollectionDto, ['members'] as const)) {}

export class AddMembersDto {
  @NodeIds({ description: 'Node ids to append, in order; ids already present are skipped' })
  add: string[];
}

export class RemoveMembersDto {
  @NodeIds({ description: 'Node ids to remove; absent ids are ignored' })
  remove: string[];
}

export class CollectionListQuery extends ListQuery {
  @Uuid({ optional: true, description: 'Only collections in this dataset' })
  datasetId?: string;

  @QueryBool('true: only collections in no dataset; false: only collections in a dataset')
  standalone?: 'true' | 'false';
}

export class CollectionQuery {
  @QueryBool('false leaves the member list out (memberCount stays)')
  members?: 'true' | 'false';
}

export class MemberListQuery {
  @QueryInt(1, 1_000_000_000, 1, 'Page number, from 1 (page form)')
  page?: number;

  @QueryInt(1, LIMITS.pageSize, 50, 'Items per page, at most 200 (page form)')
  pageSize?: number;

  @QueryNodeId('Cursor form: the node id after which to continue (a previous nextCursor)')
  after?: string;

  @QueryInt(1, LIMITS.cursorLimit, 100, 'Cursor form: items to return, at most 1000')
  limit?: number;
}

export class CollectionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'front-camera-clips' }) name: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) metadata: Record<string, unknown> | null;
  @ApiProperty({ format: 'uuid' }) projectId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null: standalone' }) datasetId:
    string | null;
  @ApiPropertyOptional({ type: [String], description: 'Node ids in insertion order (left out with members=false)' })
  members?: string[];
  @ApiProperty({ description: 'Exact number of members' }) memberCount: number;
  @ApiProperty({ example: '2026-04-15T09:30:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-04-15T09:30:00.000Z' }) updatedAt: string;
}

export class CollectionListItemDto extends CollectionDto {
  @ApiProperty({ description: 'true when members holds only the first 100 of memberCount' }) membersTruncated: boolean;
}

export class CollectionPageDto extends PageMeta {
  @ApiProperty({ type: [CollectionListItemDto] }) collections: CollectionListItemDto[];
}

export class MemberEntryDto {
  @ApiProperty({ example: 'episode-0001' }) nodeId: string;
  @ApiProperty({ example: '2026-04-15T09:30:00.000Z' }) addedAt: string;
}

export class CollectionMemberPageDto {
  @ApiProperty({ type: [MemberEntryDto] }) members: MemberEntryDto[];
  @ApiPropertyOptional() page?: number;
  @ApiPropertyOptional() pageSize?: number;
  @ApiPropertyOptional() total?: number;
  @ApiPropertyOptional() totalPages?: number;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Cursor form: pass as after; null at the end' })
  nextCursor?: string | null;
}

export class AddMembersResultDto {
  @ApiProperty({ description: 'Ids newly added' }) added: number;
  @ApiProperty({ description: 'Members now in the collection' }) total: number;
}

export class RemoveMembersResultDto {
  @ApiProperty({ description: 'Ids removed' }) removed: number;
  @ApiProperty({ description: 'Members now in the collection' }) total: number;
}
