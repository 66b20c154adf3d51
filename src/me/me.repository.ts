import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { jsonArray, queryRow } from '../database/sql.js';
import type { MyNamespaceDto } from './me.dto.js';

@Injectable()
export class MeRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The caller's live namespaces and roles, by slug. */
  async namespacesOf(userId: string): Promise<MyNamespaceDto[]> {
    const row = await queryRow<{ namespaces: MyNamespaceDto[] }>(
      this.db,
      `SELECT ${jsonArray(`json_build_object('slug', n.slug, 'role', m.role)`, 'n.slug')} AS namespaces
       FROM namespace_member m
       JOIN namespace n ON n.id = m.namespace_id AND n.deleted_at IS NULL
       WHERE m.user_id = $1::text`,
      [userId],
    );
    return row.namespaces;
  }
}
