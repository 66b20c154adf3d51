import { BadRequestException, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { isMetadataObject, METADATA_RULE, metadataMessage } from './validators.js';

type Dto = new () => object;

/** Which DTO classes declare a `metadata` field (@Metadata()), mapped types included. */
const takesMetadata = new WeakMap<Dto, boolean>();
function declaresMetadata(metatype: Dto): boolean {
  let known = takesMetadata.get(metatype);
  if (known === undefined) {
    known = getMetadataStorage()
      .getTargetValidationMetadatas(metatype, '', true, false)
      .some((rule) => rule.propertyName === 'metadata' && rule.name === METADATA_RULE);
    takesMetadata.set(metatype, known);
  }
  return known;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The global ValidationPipe (whitelist, forbid unknown fields, transform), with three changes:
 * - a JSON `null` body is refused like any other body that is not an object;
 * - a query DTO with no query string is its defaults, without class-transformer's and
 *   class-validator's work (most GETs carry none);
 * - `metadata` is the client's own data: it goes past class-transformer, which would drop keys
 *   such as `constructor` or `toString` (or throw on them), and Nest's prototype-key stripping;
 *   it is checked by the same rule as @Metadata() and put back as parsed. The JSON body parser
 *   already refused `__proto__`, `constructor` and `prototype` keys everywhere else.
 */
export class MetadataSafeValidationPipe extends ValidationPipe {
  override async transform(value: unknown, meta: ArgumentMetadata): Promise<unknown> {
    const metatype = meta.metatype as Dto | undefined;
    if (typeof metatype !== 'function' || metatype === Object) return super.transform(value, meta);
    // Nest takes a JSON `null` body for an empty one ({}): a PATCH of `null` answered 200 and changed
    // nothing. `null` is a value of the wrong type, like `42` or `[]`.
    if (meta.type === 'body' && value === null)
      throw new BadRequestException(['Validation failed (object is expected)']);
    if (meta.type === 'query' && isPlainObject(value) && Object.keys(value).length === 0) return new metatype();
    if (meta.type !== 'body' || !isPlainObject(value) || !('metadata' in value) || !declaresMetadata(metatype)) {
      return super.transform(value, meta);
    }
    const { metadata, ...rest } = value;
    const problem = metadata === null || isMetadataObject(metadata) ? null : metadataMessage('metadata');
    let dto: Record<string, unknown>;
    try {
      dto = (await super.transform(rest, meta)) as Record<string, unknown>;
    } catch (error) {
      if (problem !== null && error instanceof BadRequestException) {
        const messages = (error.getResponse() as { message?: unknown }).message;
        const list: unknown[] = Array.isArray(messages) ? messages : [messages];
        throw new BadRequestException([...list.map(String), problem]);
      }
      throw error;
    }
    if (problem !== null) throw new BadRequestException([problem]);
    dto.metadata = metadata;
    return dto;
  }
}
