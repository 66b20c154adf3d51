import { ApiProperty } from '@nestjs/swagger';
import { col, keyword, sql, type Sql } from '../database/sql.js';
import { LIMITS, QueryInt, QueryOneOf, QueryTags, QueryText } from './validators.js';

/** `page` (≥ 1, default 1) and `pageSize` (1–200, default 50), as every list takes them. */
export class PageQuery {
  @QueryInt(1, 1_000_000_000, 1, 'Page number, from 1')
  page: number = 1;

  @QueryInt(1, LIMITS.pageSize, 50, 'Items per page, at most 200')
  pageSize: number = 50;
}

export const SORTS = ['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt'] as const;
export type Sort = (typeof SORTS)[number];

/** Pagination plus sort and a name substring. */
export class SortedQuery extends PageQuery {
  @QueryOneOf(SORTS, '-createdAt', 'Order; prefix - for descending')
  sort: Sort = '-createdAt';

  @QueryText(100, 'Case-insensitive substring of the name')
  q?: string;
}

/** Pagination plus the filters every tagged list accepts: sort, name substring, tags. */
export class ListQuery extends SortedQuery {
  @QueryTags('Repeatable; an item must carry every tag given')
  tag?: string[];
}

/** The page envelope; the items go under a key named by the list (`datasets`, `members`…). */
export class PageMeta {
  @ApiProperty({ type: 'integer', minimum: 1, example: 1, description: 'This page, from 1' }) page: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: LIMITS.pageSize, example: 50, description: 'Items per page' })
  pageSize: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 7, description: 'Items in the whole list (exact)' })
  total: number;
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 1,
    description: 'ceil(total / pageSize); loop while page < totalPages',
  })
  totalPages: number;
}

/** `q` as an ILIKE pattern, with LIKE's wildcards in the user's text escaped. */
export function likePattern(q: string | undefined): string | null {
  return q ? `%${q.replace(/[\\%_]/g, '\\$&')}%` : null;
}

/** The columns a list sorts by, as `alias.column` (namespace memberships carry their namespace's under other names). */
export interface SortColumns {
  name: Sql;
  createdAt: Sql;
  updatedAt: Sql;
  id: Sql;
}

const TABLE_COLUMNS = (t: string): SortColumns => ({
  name: col(t, 'name'),
  createdAt: col(t, 'created_at'),
  updatedAt: col(t, 'updated_at'),
  id: col(t, 'id'),
});

/**
 * ORDER BY for a list's sort option, in the very expressions of the migrations' sort indexes (so
 * a page is read straight from one); fixed fragments, never user text. `t` is the table alias.
 */
export function orderBy(sort: Sort, t: string | SortColumns): Sql {
  const c = typeof t === 'string' ? TABLE_COLUMNS(t) : t;
  const dir = keyword(sort.startsWith('-') ? 'DESC' : 'ASC');
  const column = {
    name: sql`lower(${c.name}) COLLATE "C" ${dir}, ${c.name} COLLATE "C"`,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  }[sort.replace('-', '') as 'name' | 'createdAt' | 'updatedAt'];
  return sql`${column} ${dir}, ${c.id} ${dir}`;
}

export class SuccessDto {
  @ApiProperty({ type: Boolean, example: true, description: 'Always true' }) success: true;
}

export const SUCCESS: SuccessDto = { success: true };
