import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageMeta, PageQuery } from '../../common/pagination.js';
import { Name, OneOf } from '../../common/validators.js';

export const TRASH_TYPES = ['dataset', 'collection'] as const;
export type TrashType = (typeof TRASH_TYPES)[number];

export class TrashQuery extends PageQuery {
  @OneOf(TRASH_TYPES, { optional: true, description: 'Only deleted datasets, or only deleted collections' })
  type?: TrashType;
}

export class RestoreDto {
  @Name({ optional: true, description: 'Restore under this name (when the old one is taken by a live row)' })
  name?: string;
}

export class TrashItemDto {
  @ApiProperty({ enum: TRASH_TYPES }) type: TrashType;
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'training-v2' }) name: string;
  @ApiProperty({ format: 'date-time', example: '2026-04-15T09:30:00.000Z' }) deletedAt: string;
  @ApiPropertyOptional({ type: 'integer', description: 'Collections only: members kept with it' }) memberCount?: number;
}

export class TrashPageDto extends PageMeta {
  @ApiProperty({ type: [TrashItemDto], description: 'Newest deletion first' }) items: TrashItemDto[];
}
