import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';

/** A 200 whose body takes one of several forms (a generated client sees their union). */
export function ApiOkResponseOneOf(description: string, forms: Type<unknown>[]): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(...forms),
    ApiOkResponse({ description, schema: { oneOf: forms.map((form) => ({ $ref: getSchemaPath(form) })) } }),
  );
}
