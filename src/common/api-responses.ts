import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';

/** One form an answer can take: its DTO and an example of it. */
export interface AnswerForm {
  summary: string;
  type: Type<unknown>;
  example: Record<string, unknown>;
}

/**
 * A 200 whose body takes one of several forms: `oneOf` their schemas (a generated client sees the
 * union), with one example per form (Swagger UI offers them in a list).
 */
export function ApiOkResponseOneOf(description: string, forms: AnswerForm[]): MethodDecorator {
  const key = (summary: string): string => summary.replace(/\W+/g, '-').replace(/^-|-$/g, '');
  return applyDecorators(
    ApiExtraModels(...forms.map((form) => form.type)),
    ApiOkResponse({
      description,
      content: {
        'application/json': {
          schema: { oneOf: forms.map((form) => ({ $ref: getSchemaPath(form.type) })) },
          examples: Object.fromEntries(
            forms.map(({ summary, example }) => [key(summary), { summary, value: example }]),
          ),
        },
      },
    }),
  );
}
