import { ApiProperty, ApiPropertyOptional, PartialType, OmitType } from '@nestjs/swagger';
import { ApiCount, ApiExample, ApiId, ApiTimestamp } from '../../common/api-properties.js';
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

@ApiExample({
  name: 'front-camera-clips',
  description: 'Front camera clips of the March runs',
  tags: ['camera'],
  metadata: { camera: 'front' },
  members: ['episode-0001', 'episode-0002', 'clip:42'],
})
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

@ApiExample({ description: 'Front camera clips of the March and April runs', tags: ['camera', 'april'] })
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

/**
 * Two forms, never mixed: page/pageSize, or after/limit. No parameter declares a default in the
 * document (each says it in words), so a client that fills in defaults sends one form only.
 */
export class MemberListQuery {
  @QueryInt(1, 1_000_000_000, undefined, 'Page form: page number, from 1 (1 when left out)')
  page?: number;

  @QueryInt(1, LIMITS.pageSize, undefined, 'Page form: members per page, at most 200 (50 when left out)')
  pageSize?: number;

  @QueryNodeId(
    "Cursor form: continue after this node id (a previous answer's nextCursor); empty starts at the beginning",
  )
  after?: string;

  @QueryInt(1, LIMITS.cursorLimit, undefined, 'Cursor form: members to return, at most 1000 (100 when left out)')
  limit?: number;
}

export class CollectionDto {
  @ApiId() id: string;
  @ApiProperty({ example: 'front-camera-clips' }) name: string;
  @ApiProperty({ type: String, nullable: true, example: 'Front camera clips of the March runs' }) description:
    string | null;
  @ApiProperty({ type: [String], example: ['camera'] }) tags: string[];
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) metadata: Record<string, unknown> | null;
  @ApiId('The project it belongs to') projectId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Its dataset; null: standalone' })
  datasetId: string | null;
  @ApiPropertyOptional({
    type: [String],
    example: ['episode-0001', 'episode-0002', 'clip:42'],
    description: 'Node ids in insertion order (left out with members=false)',
  })
  members?: string[];
  @ApiCount('Exact number of members', 3) memberCount: number;
  @ApiTimestamp() createdAt: string;
  @ApiTimestamp() updatedAt: string;
}

export class CollectionListItemDto extends CollectionDto {
  @ApiProperty({ description: 'true when members holds only the first 100 of memberCount', example: false })
  membersTruncated: boolean;
}

export class CollectionPageDto extends PageMeta {
  @ApiProperty({ type: [CollectionListItemDto] }) collections: CollectionListItemDto[];
}

export class MemberEntryDto {
  @ApiProperty({ example: 'episode-0001' }) nodeId: string;
  @ApiTimestamp('When it was added') addedAt: string;
}

/** The page form of the member listing (page/pageSize). */
export class CollectionMemberPageFormDto extends PageMeta {
  @ApiProperty({ type: [MemberEntryDto], description: 'Members in insertion order' }) members: MemberEntryDto[];
}

/** The cursor form of the member listing (after/limit). */
export class CollectionMemberCursorFormDto {
  @ApiProperty({ type: [MemberEntryDto], description: 'Members in insertion order' }) members: MemberEntryDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'episode-0002',
    description: 'The last node id returned: pass it as `after` for the next page; null at the end',
  })
  nextCursor: string | null;
}

/** The member listing's two forms, with an example of each (for the OpenAPI document). */
export const MEMBER_LISTING_FORMS = [
  {
    summary: 'page form (page, pageSize)',
    type: CollectionMemberPageFormDto,
    example: {
      members: [
        { nodeId: 'episode-0001', addedAt: '2026-04-15T09:30:00.000Z' },
        { nodeId: 'episode-0002', addedAt: '2026-04-15T09:30:00.000Z' },
      ],
      page: 1,
      pageSize: 2,
      total: 3,
      totalPages: 2,
    },
  },
  {
    summary: 'cursor form (after, limit)',
    type: CollectionMemberCursorFormDto,
    example: {
      members: [
        { nodeId: 'episode-0001', addedAt: '2026-04-15T09:30:00.000Z' },
        { nodeId: 'episode-0002', addedAt: '2026-04-15T09:30:00.000Z' },
      ],
      nextCursor: 'episode-0002',
    },
  },
];

/** The member listing's answer, in the form the query asked for. */
export type CollectionMemberPageDto = CollectionMemberPageFormDto | CollectionMemberCursorFormDto;

export class AddMembersResultDto {
  @ApiCount('Ids newly added', 2) added: number;
  @ApiCount('Members now in the collection', 5) total: number;
}

export class RemoveMembersResultDto {
  @ApiCount('Ids removed', 1) removed: number;
  @ApiCount('Members now in the collection', 4) total: number;
}
