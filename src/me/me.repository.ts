import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.js';
import { jsonArray } from '../database/sql.js';
import type { MyNamespaceDto } from './me.dto.js';

@Injectable()
export class MeRepository {
  constructor(private readonly db: Database) {}

  /** The caller's live namespaces and roles, by slug. */
  async namespacesOf(userId: string): Promise<MyNamespaceDto[]> {
    const row = await this.db.row<{ namespaces: MyNamespaceDto[] }>(
      `SELECT ${jsonArray(`json_build_object('slug', n.slug, 'role', m.role)`, 'n.slug')} AS namespaces
       FROM namespace_member m
       JOIN namespace n ON n.id = m.namespace_id AND n.deleted_at IS NULL
       WHERE m.user_id = $1::text`,
      [userId],
    );
    return row.namespaces;
  }
}
