/**
 * A JSON answer PostgreSQL already serialized: routes send the text the database built instead of
 * parsing it into objects and serializing them again (no work on the service's side, and a big
 * answer never becomes a million JavaScript strings).
 */
export class RawJson<T = unknown> {
  /** `T` documents the shape of the text; it is never materialized. */
  declare readonly shape?: T;
  constructor(readonly text: string) {}
}

/** Fastify's reply serializer: RawJson goes out as it is, anything else through JSON.stringify. */
export function serializeReply(payload: unknown): string {
  return payload instanceof RawJson ? payload.text : JSON.stringify(payload);
}
