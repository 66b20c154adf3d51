import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/user.js';
import { Database } from '../database/database.js';

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
  async me(user: AuthUser, defaultFor?: string): Promise<string> {
    const count = `coalesce((SELECT s.namespace_count FROM member_stats s WHERE s.user_id = $1::text), 0)`;
    const [row] = await this.db.query<{ body: string }>(
      `SELECT json_build_object(
         'sub', $1::text, 'name', $2::text, 'email', $3::text, 'username', $4::text,
         'namespaces', (
           SELECT coalesce(json_agg(json_build_object('slug', m.ns_slug, 'role', m.role)
                                    ORDER BY m.created_at DESC, m.namespace_id DESC), '[]')
           FROM (SELECT m.* FROM namespace_member m WHERE m.user_id = $1::text AND m.ns_live
                 ORDER BY m.created_at DESC, m.namespace_id DESC LIMIT ${ME_NAMESPACES}) m),
         'namespaceCount', ${count},
         'namespacesTruncated', ${count} > ${ME_NAMESPACES}
         ${
           defaultFor === undefined
             ? ''
             : `, 'namespace', coalesce(
                 (SELECT json_build_object('slug', n.slug) FROM namespace n
                  JOIN namespace_member m ON m.namespace_id = n.id AND m.user_id = $1::text
                  WHERE n.slug = $5::text AND n.deleted_at IS NULL),
                 (SELECT json_build_object('slug', m.ns_slug) FROM namespace_member m
                  WHERE m.user_id = $1::text AND m.ns_live AND m.role = 'owner'
                  ORDER BY m.ns_created_at, m.namespace_id LIMIT 1))`
         })::text AS body`,
      [user.sub, user.name, user.email, user.username, ...(defaultFor === undefined ? [] : [defaultFor])],
    );
    return row.body;
  }
}
