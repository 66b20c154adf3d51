import { NamespaceEntity, NamespaceMemberEntity } from '#src/namespaces/namespace.entity.js';
import { ProjectEntity } from '#src/projects/project.entity.js';

/** Every entity: they describe the schema for `migration:generate`; queries are hand-written SQL. */
export const ENTITIES = [NamespaceEntity, NamespaceMemberEntity, ProjectEntity];
