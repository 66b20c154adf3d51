import { applyDecorators, BadRequestException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidationArguments,
  registerDecorator,
} from 'class-validator';
import { NAME_PATTERN, NODE_ID_PATTERN, SLUG_PATTERN } from './slug.js';

/*
 * One decorator per kind of field: each applies the class-validator rule and the OpenAPI metadata
 * together, so the published document cannot disagree with what is enforced.
 */

export const LIMITS = {
  displayName: 100,
  description: 10_000,
  tags: 50,
  tagLength: 64,
  metadataBytes: 64 * 1024,
  metadataDepth: 32,
  idsPerRequest: 100_000,
  pageSize: 200,
  cursorLimit: 1000,
  versionTags: 20,
  versionMessage: 1000,
} as const;

/** Well-formed text without control or format (zero-width, bidi) characters. */
const VISIBLE_TEXT = /^[^\p{Cc}\p{Cf}\p{Cs}]*$/u;

type FieldOptions = { optional?: boolean; nullable?: boolean; description?: string };

function presence({ optional, nullable }: FieldOptions): PropertyDecorator[] {
  if (nullable) return [ValidateIf((_, value) => value !== null), IsOptional()];
  return optional ? [IsOptional()] : [IsDefined()];
}

function api(options: FieldOptions, schema: Parameters<typeof ApiProperty>[0]): PropertyDecorator {
  const merged = { description: options.description, nullable: options.nullable || undefined, ...schema };
  return options.optional || options.nullable ? ApiPropertyOptional(merged) : ApiProperty(merged);
}

/** A namespace or project slug. */
export function Slug(options: FieldOptions = {}): PropertyDecorator {
  return applyDecorators(
    api(options, { type: String, pattern: SLUG_PATTERN.source, maxLength: 64, example: 'acme' }),
    ...presence(options),
    IsString(),
    Matches(SLUG_PATTERN, {
      message: ({ property }: ValidationArguments) =>
        `${property} must be 1-64 lowercase letters, digits or inner hyphens (${SLUG_PATTERN.source})`,
    }),
  );
}

/** A dataset or collection name. */
export function Name(options: FieldOptions = {}): PropertyDecorator {
  return applyDecorators(
    api(options, { type: String, pattern: NAME_PATTERN.source, maxLength: 100, example: 'training-v2' }),
    ...presence(options),
    IsString(),
    Matches(NAME_PATTERN, {
      message: ({ property }: ValidationArguments) =>
        `${property} must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    }),
  );
}

/** A human-readable name (namespaces, projects). */
export function DisplayName(options: FieldOptions = {}): PropertyDecorator {
  return applyDecorators(
    api(options, { type: String, minLength: 1, maxLength: LIMITS.displayName, example: 'Robotics' }),
    ...presence(options),
    IsString(),
    Matches(/\S/, { message: ({ property }: ValidationArguments) => `${property} must not be empty` }),
    MaxLength(LIMITS.displayName),
    // Control, zero-width and bidi characters make names that look like other names (or like nothing).
    Matches(VISIBLE_TEXT, {
      message: ({ property }: ValidationArguments) =>
        `${property} must not contain control, zero-width or bidi-override characters`,
    }),
  );
}

export function Description(options: FieldOptions = {}): PropertyDecorator {
  return applyDecorators(
    api(options, { type: String, maxLength: LIMITS.description, nullable: true }),
    ...presence({ nullable: true, ...options }),
    IsString(),
    MaxLength(LIMITS.description),
  );
}

/** Up to 50 tags of up to 64 characters; repeats are dropped. */
export function Tags(options: FieldOptions = {}): PropertyDecorator {
  return applyDecorators(
    api(options, { type: [String], maxItems: LIMITS.tags, example: ['lidar'] }),
    ...presence(options),
    IsArray(),
    ArrayMaxSize(LIMITS.tags),
    IsString({ each: true }),
    MinLength(1, { each: true, message: 'each tag must not be empty' }),
    MaxLength(LIMITS.tagLength, { each: true, message: `each tag must be at most ${LIMITS.tagLength} characters` }),
    Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? [...new Set(value)] : value)),
  );
}

/** How deeply a JSON value nests (a scalar is 0, `{}` is 1), walked without recursion. */
export function nesting(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(item))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Whether a value is acceptable `metadata`: a JSON object of at most 64 KiB serialized, 32 levels deep. */
export function isMetadataObject(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    nesting(value) <= LIMITS.metadataDepth &&
    Buffer.byteLength(JSON.stringify(value)) <= LIMITS.metadataBytes
  );
}

export const METADATA_RULE = 'isMetadata';
export const metadataMessage = (property: string): string =>
  `${property} must be a JSON object of at most 64 KiB serialized and ${LIMITS.metadataDepth} levels deep`;

/**
 * A JSON object of at most 64 KiB serialized and 32 levels deep; null clears it. Every key is kept
 * as sent: the validation pipe hands the client's object past class-transformer (which drops or
 * trips over keys such as `constructor`), see MetadataSafeValidationPipe.
 */
export function Metadata(options: FieldOptions = {}): PropertyDecorator {
  const validator: PropertyDecorator = (target, propertyName) =>
    registerDecorator({
      name: METADATA_RULE,
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: isMetadataObject,
        defaultMessage: ({ property }: ValidationArguments) => metadataMessage(property),
      },
    });
  return applyDecorators(
    api(options, { type: 'object', additionalProperties: true, nullable: true, example: { source: 'rig-7' } }),
    ...presence({ nullable: true, ...options }),
    validator,
  );
}

function idList(pattern: RegExp, what: string, options: FieldOptions & { example: string[] }): PropertyDecorator {
  return applyDecorators(
    api(options, {
      type: [String],
      maxItems: LIMITS.idsPerRequest,
      example: options.example,
      items: { type: 'string', pattern: pattern.source },
    }),
    ...presence(options),
    IsArray(),
    ArrayMaxSize(LIMITS.idsPerRequest, {
      message: ({ property }: ValidationArguments) =>
        `${property} must contain at most ${LIMITS.idsPerRequest} ${what}s per request`,
    }),
    IsString({ each: true }),
    Matches(pattern, {
      each: true,
      message: ({ property, value }: ValidationArguments) => {
        const list: unknown[] = Array.isArray(value) ? value : [value];
        const bad = list.filter((v) => typeof v !== 'string' || !pattern.test(v)).slice(0, 5);
        return `${property} holds invalid ${what}s: ${bad.map((v) => JSON.stringify(v)).join(', ')}`;
      },
    }),
  );
}

/** Node ids: up to 100,000 a request. */
export function NodeIds(options: FieldOptions = {}): PropertyDecorator {
  return idList(NODE_ID_PATTERN, 'node id', { ...options, example: ['episode-0001', 'clip:42'] });
}

/** Collection names: up to 100,000 a request. */
export function CollectionNames(options: FieldOptions = {}): PropertyDecorator {
  return idList(NAME_PATTERN, 'collection name', { ...options, example: ['front-camera-clips'] });
}

export function Uuid(options: FieldOptions = {}): PropertyDecorator {
  return applyDecorators(
    api(options, { type: String, format: 'uuid' }),
    ...presence(options),
    IsUUID('all', { message: ({ property }: ValidationArguments) => `${property} must be a UUID` }),
  );
}

export function OneOf<T extends string>(values: readonly T[], options: FieldOptions = {}): PropertyDecorator {
  return applyDecorators(
    api(options, { enum: values as unknown as T[] }),
    ...presence(options),
    IsIn(values, {
      message: ({ property }: ValidationArguments) => `${property} must be one of: ${values.join(', ')}`,
    }),
  );
}

/**
 * An integer query parameter within bounds. `fallback` is the documented default; undefined leaves
 * it out of the document (where pre-filled defaults would conflict, as on the member listing).
 */
export function QueryInt(
  min: number,
  max: number,
  fallback: number | undefined,
  description?: string,
): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum: min, maximum: max, default: fallback, description }),
    IsOptional(),
    Type(() => Number),
    IsInt({ message: ({ property }: ValidationArguments) => `${property} must be an integer` }),
    Min(min),
    Max(max),
  );
}

/** A boolean query parameter given as true/false. */
export function QueryBool(description?: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: Boolean, description }),
    IsOptional(),
    IsIn(['true', 'false'], {
      message: ({ property }: ValidationArguments) => `${property} must be true or false`,
    }),
  );
}

/**
 * PATCH bodies may clear nullable fields with null, but not these: optional validators skip null,
 * so it is refused here with the same 400 shape as any other validation problem.
 */
export function rejectNulls(body: object, fields: readonly string[]): void {
  const problems = fields
    .filter((field) => (body as Record<string, unknown>)[field] === null)
    .map((field) => `${field} must not be null`);
  if (problems.length > 0) throw new BadRequestException(problems);
}

/** An optional query parameter from a fixed list, with its default. */
export function QueryOneOf<T extends string>(
  values: readonly T[],
  fallback: T,
  description: string,
): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ enum: values as unknown as T[], default: fallback, description }),
    IsOptional(),
    IsIn(values, {
      message: ({ property }: ValidationArguments) => `${property} must be one of: ${values.join(', ')}`,
    }),
  );
}

/** An optional free-text query parameter. */
export function QueryText(maxLength: number, description: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: String, maxLength, description }),
    IsOptional(),
    IsString(),
    MaxLength(maxLength),
  );
}

/** A repeatable `tag` query parameter (`?tag=a&tag=b`); one value arrives as a string. */
export function QueryTags(description: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: [String], description, maxItems: LIMITS.tags }),
    IsOptional(),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value)),
    IsArray(),
    ArrayMaxSize(LIMITS.tags),
    IsString({ each: true }),
    MaxLength(LIMITS.tagLength, { each: true, message: `each tag must be at most ${LIMITS.tagLength} characters` }),
  );
}

/** An optional node id in the query (the member cursor); empty means "from the start". */
export function QueryNodeId(description: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: String, pattern: NODE_ID_PATTERN.source, description }),
    IsOptional(),
    ValidateIf((_, value) => value !== ''),
    IsString(),
    Matches(NODE_ID_PATTERN, {
      message: ({ property }: ValidationArguments) => `${property} must be a node id`,
    }),
  );
}

/** A version tag (an alias such as `production`): a name, not all digits, not `latest` or `working`. */
export const VERSION_TAG_RULE =
  'a name (1-100 letters, digits, ., _ or -) that is not all digits nor latest or working';

export function isVersionTag(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    NAME_PATTERN.test(value) &&
    !/^[0-9]+$/.test(value) &&
    value !== 'latest' &&
    value !== 'working'
  );
}

/** Up to 20 version tags; repeats are dropped. */
export function VersionTags(options: FieldOptions = {}): PropertyDecorator {
  const validator: PropertyDecorator = (target, propertyName) =>
    registerDecorator({
      name: 'isVersionTags',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => Array.isArray(value) && value.every(isVersionTag),
        defaultMessage: ({ property }: ValidationArguments) => `each of ${property} must be ${VERSION_TAG_RULE}`,
      },
    });
  return applyDecorators(
    api(options, {
      type: [String],
      maxItems: LIMITS.versionTags,
      example: ['production'],
      items: { type: 'string', pattern: NAME_PATTERN.source },
    }),
    ...presence(options),
    IsArray(),
    ArrayMaxSize(LIMITS.versionTags),
    validator,
    Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? [...new Set(value)] : value)),
  );
}

/** A version's message. */
export function VersionMessage(options: FieldOptions = {}): PropertyDecorator {
  return applyDecorators(
    api(options, {
      type: String,
      maxLength: LIMITS.versionMessage,
      nullable: true,
      example: 'What the Monday model saw',
    }),
    ...presence({ nullable: true, ...options }),
    IsString(),
    MaxLength(LIMITS.versionMessage),
  );
}
