/** The OpenAPI document's tags, in the order Swagger UI shows them, with what each groups. */
export const API_TAGS: Record<string, string> = {
  namespaces:
    'Tenants (a user or a team), addressed by slug, and their members with roles (reader < writer < admin < owner)',
  projects: "A namespace's projects, addressed by slug; they hold datasets and collections",
  datasets: 'Named groups of collections within a project; attach and detach collections by name',
  collections:
    'Named, ordered sets of node ids (clips, episodes, files stored in the lake), standalone or in a dataset',
  versions:
    'Frozen versions of a dataset: freeze, read (immutable), diff, tag, restore; what exactly a model trained on',
  changes: 'The change feed of a namespace: every change once, in commit order, for services that react to the catalog',
  webhooks: "A namespace's webhooks (admin): changes of the feed delivered as signed POSTs (Standard Webhooks)",
  identity: 'Who the bearer token says the caller is, and their namespaces',
  health: 'Probes for orchestrators; no token needed',
  service: 'Operations: Prometheus metrics; no token needed',
};
