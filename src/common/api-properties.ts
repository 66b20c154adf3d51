import { ApiProperty, ApiSchema, type ApiSchemaOptions } from '@nestjs/swagger';

/*
 * OpenAPI metadata of answer fields that recur in every DTO, so each is typed the same way
 * everywhere: times as `date-time`, counts as `integer`, ids as `uuid`.
 */

/** An ISO-8601 UTC time with milliseconds (`createdAt`, `updatedAt`, `addedAt`…). */
export const ApiTimestamp = (description?: string): PropertyDecorator =>
  ApiProperty({ type: String, format: 'date-time', example: '2026-04-15T09:30:00.000Z', description });

/** A count (≥ 0). */
export const ApiCount = (description: string, example?: number): PropertyDecorator =>
  ApiProperty({ type: 'integer', minimum: 0, description, example });

/** A row's id. */
export const ApiId = (description?: string): PropertyDecorator =>
  ApiProperty({ type: String, format: 'uuid', description });

/**
 * The example of a request body, as a whole: Swagger UI pre-fills "Try it out" with it, so it must
 * succeed as sent in the walkthrough's project (namespace 'acme', project 'robotics'). Without it,
 * every optional field would be pre-filled too (a made-up datasetId: 404).
 */
export const ApiExample = (example: Record<string, unknown>): ClassDecorator =>
  ApiSchema({ example } as ApiSchemaOptions);
