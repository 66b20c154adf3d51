import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Matches, ValidationArguments } from 'class-validator';
import { ApiTimestamp } from '../../common/api-properties.js';
import { SLUG_PATTERN } from '../../common/slug.js';
import { QueryInt } from '../../common/validators.js';
import { CHANGE_TYPES, type ChangeType } from '../record.js';

/** GET /namespaces/:slug/changes. */
export class ChangesQuery {
  @ApiPropertyOptional({
    type: String,
    pattern: '^[0-9]{1,18}$',
    example: '41',
    description: "A previous answer's nextCursor; left out: from the oldest change kept",
  })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{1,18}$/, { message: 'after must be a cursor this feed gave (digits)' })
  after?: string;

  @QueryInt(1, 1000, 100, 'Changes to return, at most 1000')
  limit?: number;

  @ApiPropertyOptional({
    type: String,
    example: 'collection.members.changed,dataset.tag.moved',
    description: `Only these types (comma-separated): ${CHANGE_TYPES.join(', ')}`,
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((type) => type.trim())
          .filter(Boolean)
      : value,
  )
  @IsIn(CHANGE_TYPES, {
    each: true,
    message: ({ property }: ValidationArguments) =>
      `${property} must hold only these types: ${CHANGE_TYPES.join(', ')}`,
  })
  types?: ChangeType[];

  @ApiPropertyOptional({
    type: String,
    pattern: SLUG_PATTERN.source,
    example: 'robotics',
    description: 'Only changes in this project',
  })
  @IsOptional()
  @IsString()
  @Matches(SLUG_PATTERN, { message: 'project must be a project slug' })
  project?: string;

  @QueryInt(0, 30, 0, 'Seconds to wait for a change when there is none yet (long poll), at most 30')
  wait?: number;
}

export class ChangeTargetDto {
  @ApiProperty({ enum: ['namespace', 'member', 'project', 'dataset', 'collection', 'version'] }) kind: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) id: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'front-camera-clips' }) name: string | null;
}

export class ChangeDto {
  @ApiProperty({ example: '42', description: 'Its place in the feed: pass it as `after` to read what came after it' })
  cursor: string;
  @ApiTimestamp('When it was committed') at: string;
  @ApiProperty({ enum: CHANGE_TYPES }) type: ChangeType;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'alice',
    description: 'Who made it (a token `sub`); null for the service',
  })
  actor: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The X-Request-Id of the request that made it' })
  requestId: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'robotics',
    description: "The project's slug when it happened",
  })
  project: string | null;
  @ApiProperty({ type: ChangeTargetDto }) target: ChangeTargetDto;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { added: 1000, removed: 0, total: 5000 },
    description: 'What changed, by type (see the contract)',
  })
  data: Record<string, unknown> | null;
}

export class ChangePageDto {
  @ApiProperty({ type: [ChangeDto], description: 'In commit order' }) changes: ChangeDto[];
  @ApiProperty({ example: '42', description: 'Pass as `after` for the next page (the same `after` when nothing came)' })
  nextCursor: string;
}
