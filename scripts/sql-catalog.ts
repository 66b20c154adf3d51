import 'reflect-metadata';
import type { AuthUser } from '#src/auth/user.js';
import { CollectionsRepository } from '#src/collections/collections.repository.js';
import type { CollectionListQuery } from '#src/collections/dto/collection.dto.js';
import type { ListQuery } from '#src/common/pagination.js';
import { Database, type PoolStats, type Queryable } from '#src/database/database.js';
import { DatasetsRepository } from '#src/datasets/datasets.repository.js';
import { IdempotencyRepository } from '#src/idempotency/idempotency.repository.js';
import type { Keep } from '#src/idempotency/keep.js';
import { MeRepository } from '#src/me/me.repository.js';
import { NamespacesRepository } from '#src/namespaces/namespaces.repository.js';
import { ProjectsRepository } from '#src/projects/projects.repository.js';
import { TrashRepository } from '#src/trash/trash.repository.js';

/*
 * Every statement the repositories send, by repository and method, with representative
 * parameters: `npm run sql` renders them into sql/ (checked in, so a reviewer reads each route's
 * real statement in one place, and CI fails when they drift from the code), and the plan test
 * EXPLAINs them on a big database.
 */

export interface Statement {
  /** `Repository.method (variant)`. */
  name: string;
  sql: string;
  params: unknown[];
  /** A list, page, cursor or batch statement: the plan test holds it to a buffer budget. */
  scaled: boolean;
  /** Sent as a named prepared statement (its generic plan is reused): the plan test checks that plan. */
  prepared: boolean;
}

/** The names a catalog's statements address. */
export interface Fixture {
  user: string;
  slug: string;
  projectSlug: string;
  dataset: string;
  collection: string;
  /** A member of `collection` (a cursor). */
  member: string;
  /** A tag some collections and datasets carry. */
  tag: string;
  /** A substring of some names. */
  word: string;
  /** A dataset id of the project. */
  datasetId: string;
  /** A deleted dataset or collection id (trash). */
  trashId: string;
  /** Ids in a member add/remove batch (absent ones). */
  batch: number;
}

export const EXAMPLE: Fixture = {
  user: 'alice',
  slug: 'acme',
  projectSlug: 'robotics',
  dataset: 'training-v2',
  collection: 'front-camera-clips',
  member: 'episode-0042',
  tag: 'lidar',
  word: 'camera',
  datasetId: '5d1c8f0e-3b7a-4f2e-9c61-8a4d2b7e0f13',
  trashId: '0b6f6c55-1f3e-4c8e-9d55-2a7f1e9c3b21',
  batch: 1000,
};

/** A Database that records what it is asked to send, and answers one empty row. */
class Recorder extends Database {
  readonly kind = 'server';
  readonly streams = true;
  recorded: { sql: string; params: unknown[]; prepared: boolean }[] = [];

  protected send<T>(sql: string, params: unknown[], prepared = false): Promise<T[]> {
    this.recorded.push({ sql, params, prepared });
    return Promise.resolve([{} as T]);
  }
  override query<T>(sql: string, params: unknown[] = [], prepared = false): Promise<T[]> {
    return this.send<T>(sql, params, prepared);
  }
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return work(this);
  }
  async *cursor<T>(sql: string, params: unknown[]): AsyncGenerator<T[]> {
    await this.send(sql, params);
    yield* [];
  }
  poolStats(): PoolStats {
    return { size: 0, idle: 0, waiting: 0 };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const page = (extra: Partial<ListQuery> = {}): ListQuery => ({ page: 1, pageSize: 50, sort: '-createdAt', ...extra });

/** Every statement, rendered with the fixture's names. */
export async function catalog(f: Fixture): Promise<Record<string, Statement[]>> {
  const db = new Recorder();
  const namespaces = new NamespacesRepository(db);
  const projects = new ProjectsRepository(db);
  const datasets = new DatasetsRepository(db);
  const collections = new CollectionsRepository(db);
  const trash = new TrashRepository(db);
  const me = new MeRepository(db);
  const idempotency = new IdempotencyRepository(db);
  const user: AuthUser = { sub: f.user, name: null, email: null, username: f.user, expiresAt: 0 };
  const keep: Keep = {
    tx: db,
    userId: f.user,
    key: 'retry-7',
    fingerprint: '0'.repeat(64),
    status: 201,
    location: null,
  };
  const writers = ['writer', 'admin', 'owner'] as const;
  const all = [...writers];
  const tag = [f.tag];
  const out: Record<string, Statement[]> = {};

  async function add(
    file: string,
    name: string,
    scaled: boolean,
    run: () => Promise<unknown> | AsyncGenerator<unknown>,
  ): Promise<void> {
    db.recorded = [];
    const result = run();
    if (Symbol.asyncIterator in result) {
      while (!(await result.next()).done);
    } else {
      await result;
    }
    for (const [i, { sql, params, prepared }] of db.recorded.entries()) {
      const shown = db.recorded.length > 1 ? `${name} #${i + 1}` : name;
      (out[file] ??= []).push({ name: shown, sql, params, scaled, prepared });
    }
  }

  const n = 'namespaces';
  await add(n, 'NamespacesRepository.create', false, () => namespaces.create(f.user, { slug: f.slug }));
  await add(n, 'NamespacesRepository.create (with an Idempotency-Key)', false, () =>
    namespaces.create(f.user, { slug: f.slug }, keep),
  );
  await add(n, 'NamespacesRepository.list', true, () => namespaces.list(f.user, page()));
  await add(n, 'NamespacesRepository.list (sort=name)', true, () => namespaces.list(f.user, page({ sort: 'name' })));
  await add(n, 'NamespacesRepository.list (q)', true, () => namespaces.list(f.user, page({ q: f.word })));
  await add(n, 'NamespacesRepository.findWithProjectCount', false, () =>
    namespaces.findWithProjectCount(f.user, f.slug, null),
  );
  await add(n, 'NamespacesRepository.update', false, () =>
    namespaces.update(f.user, f.slug, { name: 'Acme' }, all, null),
  );
  await add(n, 'NamespacesRepository.listMembers', true, () =>
    namespaces.listMembers(f.user, f.slug, { page: 1, pageSize: 50 }),
  );
  await add(n, 'NamespacesRepository.softDelete (with If-Match)', false, () =>
    namespaces.softDelete(f.user, f.slug, ['owner'], ['"etag"']),
  );
  await add(n, 'NamespacesRepository.putMember', false, () =>
    namespaces.putMember(f.user, f.slug, 'bob', 'writer', { manage: ['admin', 'owner'], owners: ['owner'] }),
  );
  await add(n, 'NamespacesRepository.deleteMember', false, () =>
    namespaces.deleteMember(f.user, f.slug, 'bob', { manage: ['admin', 'owner'], owners: ['owner'] }),
  );
  await add(n, 'MeRepository.me', true, () => me.me(user));
  await add(n, 'MeRepository.me (GET /auth/me)', true, () => me.me(user, f.user));

  const p = 'projects';
  const project = { name: 'Robotics', slug: f.projectSlug, description: null, tags: [], metadata: null };
  await add(p, 'ProjectsRepository.create', false, () => projects.create(f.user, f.slug, project, all));
  await add(p, 'ProjectsRepository.list', true, () => projects.list(f.user, f.slug, page()));
  await add(p, 'ProjectsRepository.list (q, tag)', true, () => projects.list(f.user, f.slug, page({ q: f.word, tag })));
  await add(p, 'ProjectsRepository.findWithCounts', false, () =>
    projects.findWithCounts(f.user, f.slug, f.projectSlug, null),
  );
  await add(p, 'ProjectsRepository.update', false, () =>
    projects.update(f.user, f.slug, f.projectSlug, { description: 'x' }, all, ['"etag"']),
  );
  await add(p, 'ProjectsRepository.softDelete', false, () =>
    projects.softDelete(f.user, f.slug, f.projectSlug, all, null),
  );

  const d = 'datasets';
  const dataset = { name: f.dataset, description: null, tags: [], metadata: null };
  await add(d, 'DatasetsRepository.create', false, () => datasets.create(f.user, f.slug, f.projectSlug, dataset, all));
  await add(d, 'DatasetsRepository.list', true, () => datasets.list(f.user, f.slug, f.projectSlug, page()));
  await add(d, 'DatasetsRepository.list (sort=name, page 3)', true, () =>
    datasets.list(f.user, f.slug, f.projectSlug, page({ sort: 'name', page: 3 })),
  );
  await add(d, 'DatasetsRepository.list (q)', true, () =>
    datasets.list(f.user, f.slug, f.projectSlug, page({ q: f.word })),
  );
  await add(d, 'DatasetsRepository.list (tag)', true, () =>
    datasets.list(f.user, f.slug, f.projectSlug, page({ tag })),
  );
  await add(d, 'DatasetsRepository.findWithCollections', false, () =>
    datasets.findWithCollections(f.user, f.slug, f.projectSlug, f.dataset, null),
  );
  await add(d, 'DatasetsRepository.streamCollections', false, () =>
    datasets.streamCollections(f.user, f.slug, f.projectSlug, f.dataset),
  );
  await add(d, 'DatasetsRepository.update', false, () =>
    datasets.update(f.user, f.slug, f.projectSlug, f.dataset, { description: 'x' }, all, null),
  );
  await add(d, 'DatasetsRepository.softDelete', false, () =>
    datasets.softDelete(f.user, f.slug, f.projectSlug, f.dataset, all, null),
  );
  await add(d, 'DatasetsRepository.link', true, () =>
    datasets.link(f.user, f.slug, f.projectSlug, f.dataset, [f.collection], all, null),
  );
  await add(d, 'DatasetsRepository.unlink', true, () =>
    datasets.unlink(f.user, f.slug, f.projectSlug, f.dataset, [f.collection], all, null),
  );

  const c = 'collections';
  const collection = {
    name: f.collection,
    description: null,
    tags: [],
    metadata: null,
    datasetId: null,
    members: [f.member],
  };
  const list = (extra: Partial<CollectionListQuery>): CollectionListQuery => page(extra);
  await add(c, 'CollectionsRepository.create', false, () =>
    collections.create(f.user, f.slug, f.projectSlug, collection, all),
  );
  await add(c, 'CollectionsRepository.list', true, () => collections.list(f.user, f.slug, f.projectSlug, list({})));
  await add(c, 'CollectionsRepository.list (sort=name)', true, () =>
    collections.list(f.user, f.slug, f.projectSlug, list({ sort: 'name' })),
  );
  await add(c, 'CollectionsRepository.list (sort=-updatedAt, page 20)', true, () =>
    collections.list(f.user, f.slug, f.projectSlug, list({ sort: '-updatedAt', page: 20 })),
  );
  await add(c, 'CollectionsRepository.list (q)', true, () =>
    collections.list(f.user, f.slug, f.projectSlug, list({ q: f.word })),
  );
  await add(c, 'CollectionsRepository.list (tag)', true, () =>
    collections.list(f.user, f.slug, f.projectSlug, list({ tag })),
  );
  await add(c, 'CollectionsRepository.list (datasetId)', true, () =>
    collections.list(f.user, f.slug, f.projectSlug, list({ datasetId: f.datasetId })),
  );
  await add(c, 'CollectionsRepository.list (standalone=true)', true, () =>
    collections.list(f.user, f.slug, f.projectSlug, list({ standalone: 'true' })),
  );
  await add(c, 'CollectionsRepository.find', false, () =>
    collections.find(f.user, f.slug, f.projectSlug, f.collection, true, null),
  );
  await add(c, 'CollectionsRepository.find (members=false)', false, () =>
    collections.find(f.user, f.slug, f.projectSlug, f.collection, false, ['"etag"']),
  );
  await add(c, 'CollectionsRepository.streamMembers', false, () =>
    collections.streamMembers(f.user, f.slug, f.projectSlug, f.collection),
  );
  await add(c, 'CollectionsRepository.update', false, () =>
    collections.update(f.user, f.slug, f.projectSlug, f.collection, { description: 'x' }, all, null),
  );
  await add(c, 'CollectionsRepository.softDelete', false, () =>
    collections.softDelete(f.user, f.slug, f.projectSlug, f.collection, all, null),
  );
  const batch = Array.from({ length: f.batch }, (_, i) => `absent-${i}`);
  await add(c, 'CollectionsRepository.addMembers', true, () =>
    collections.addMembers(f.user, f.slug, f.projectSlug, f.collection, batch, all, null),
  );
  await add(c, 'CollectionsRepository.removeMembers', true, () =>
    collections.removeMembers(f.user, f.slug, f.projectSlug, f.collection, batch, all, null),
  );
  await add(c, 'CollectionsRepository.listMembersPage', true, () =>
    collections.listMembersPage(f.user, f.slug, f.projectSlug, f.collection, { page: 1, pageSize: 50 }),
  );
  await add(c, 'CollectionsRepository.listMembersAfter', true, () =>
    collections.listMembersAfter(f.user, f.slug, f.projectSlug, f.collection, f.member, 100),
  );

  const t = 'trash';
  await add(t, 'TrashRepository.list', true, () => trash.list(f.user, f.slug, f.projectSlug, null, 1, 50));
  await add(t, 'TrashRepository.restore', false, () =>
    trash.restore(f.user, f.slug, f.projectSlug, f.trashId, null, all),
  );
  await add(t, 'TrashRepository.purge', false, () => trash.purge(f.user, f.slug, f.projectSlug, f.trashId, all));
  await add(t, 'TrashRepository.purgeExpired', false, () => trash.purgeExpired(30, 100));
  await add(t, 'IdempotencyRepository.claim', false, () => idempotency.claim(db, f.user, 'retry-7'));
  await add(t, 'IdempotencyRepository.purgeExpired', false, () => idempotency.purgeExpired(1000));
  void writers;
  return out;
}
