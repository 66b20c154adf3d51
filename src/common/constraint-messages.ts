import { deriveSlug } from './slug.js';

/**
 * What a violated constraint means to a client, by constraint name (every constraint is named in
 * migrations/). `body` and `params` are the request's, so the sentence can name what is taken.
 */
type Request = { body: Record<string, unknown>; params: Record<string, string> };

const quote = (value: unknown): string => `'${String(value)}'`;
const projectPath = ({ params }: Request): string => `${params.slug}/${params.projectSlug}`;

export const CONSTRAINT_MESSAGES: Record<string, { status: 404 | 409; message: (req: Request) => string }> = {
  uq_namespace_slug: {
    status: 409,
    message: ({ body }) => `Namespace slug ${quote(body.slug)} is already taken`,
  },
  uq_project_slug: {
    status: 409,
    message: (req) =>
      `Project slug ${quote(req.body.slug ?? deriveSlug(String(req.body.name)))} is already taken in namespace ${quote(req.params.slug)}`,
  },
  ck_namespace_keeps_an_owner: {
    status: 409,
    message: (req) => `Namespace ${quote(req.params.slug)} must keep at least one owner`,
  },
  uq_dataset_name: {
    status: 409,
    message: (req) =>
      `Dataset ${quote(req.body.name ?? req.params.name)} already exists in project ${quote(projectPath(req))}`,
  },
  uq_webhook_url: {
    status: 409,
    message: (req) => `A webhook for ${quote(req.body.url)} already exists in namespace ${quote(req.params.slug)}`,
  },
  pk_version_tag: {
    status: 409,
    message: () => 'A tag given is held by another version of this dataset (set meanwhile); nothing was frozen',
  },
  fk_version_tag_version: {
    status: 409,
    message: (req) =>
      `Version ${quote(req.params.n)} holds a tag, or was deleted while one was set; nothing was changed`,
  },
  uq_collection_name: {
    status: 409,
    message: (req) =>
      `Collection ${quote(req.body.name ?? req.params.name)} already exists in project ${quote(projectPath(req))}`,
  },
};
