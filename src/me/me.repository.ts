import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/user.js';
import { Database } from '../database/database.js';
import { jsonOf } from '../database/fragments.js';
import { GenerateSql } from '../database/generate-sql.js';
import { col, int, sql } from '../database/sql.js';
import type { AuthMeDto, DefaultNamespaceDto, MeDto } from './me.dto.js';

/** GET /me lists at most this many of the caller's memberships, newest first. */
export const ME_NAMESPACES = 100;

@Injectable()
export class MeRepository {
  constructor(private readonly db: Database) {}

  /**
   * The caller's identity (from the token) with their newest memberships (from the membership
   * index) and their live namespace count (a counter), as JSON text; with `defaultFor`, also the
   * CLI's default namespace: the one whose slug is that name when the caller is a member of it,
   * else the oldest the caller owns, else null.
   */
  @GenerateSql({ params: (f) => [user(f)] }, { name: 'with the default namespace', params: (f) => [user(f), f.slug] })
  async me(user: AuthUser, defaultFor?: string): Promise<string> {
    const count = sql`coalesce((SELECT s.namespace_count FROM member_stats s WHERE s.user_id = ${user.sub}::text), 0)`;
    const fields = {
      sub: sql`${user.sub}::text`,
      name: sql`${user.name}::text`,
      email: sql`${user.email}::text`,
      username: sql`${user.username}::text`,
      namespaces: sql`(
           SELECT coalesce(json_agg(json_build_object('slug', m.ns_slug, 'role', m.role)
                                    ORDER BY m.created_at DESC, m.namespace_id DESC), '[]')
           FROM (SELECT m.* FROM namespace_member m WHERE m.user_id = ${user.sub}::text AND m.ns_live
                 ORDER BY m.created_at DESC, m.namespace_id DESC LIMIT ${int(ME_NAMESPACES)}) m)`,
      namespaceCount: count,
      namespacesTruncated: sql`${count} > ${int(ME_NAMESPACES)}`,
    };
    const namespace = (alias: string, id: string, slug: string, name: string) =>
      jsonOf<DefaultNamespaceDto>({ id: col(alias, id), slug: col(alias, slug), name: col(alias, name) });
    const body =
      defaultFor === undefined
        ? jsonOf<MeDto>(fields)
        : jsonOf<AuthMeDto>({
            ...fields,
            namespace: sql`coalesce(
                 (SELECT ${namespace('n', 'id', 'slug', 'name')} FROM namespace n
                  JOIN namespace_member m ON m.namespace_id = n.id AND m.user_id = ${user.sub}::text
                  WHERE n.slug = ${defaultFor}::text AND n.deleted_at IS NULL),
                 (SELECT ${namespace('m', 'namespace_id', 'ns_slug', 'ns_name')} FROM namespace_member m
                  WHERE m.user_id = ${user.sub}::text AND m.ns_live AND m.role = 'owner'
                  ORDER BY m.ns_created_at, m.namespace_id LIMIT 1))`,
          });
    return (await this.db.one<{ body: string }>(sql`SELECT ${body}::text AS body`)).body;
  }
}

/** An example caller for GenerateSql. */
const user = (f: { user: string }): AuthUser => ({
  sub: f.user,
  name: 'Alice',
  email: 'alice@example.com',
  username: f.user,
  expiresAt: 0,
});
