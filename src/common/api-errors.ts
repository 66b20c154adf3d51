import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

export class ErrorDto {
  @ApiProperty({ example: 404 }) statusCode: number;
  @ApiProperty({ example: 'Not Found' }) error: string;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: "Dataset 'x' not found in project 'acme/robotics'",
  })
  message: string | string[];
}

const MEANING: Record<number, string> = {
  400: 'Invalid input; `message` lists every problem',
  403: 'Your role in the namespace is too low',
  404: 'Not found (also: a namespace you are not a member of)',
  409: 'Conflicts with the current state (a taken name, a last owner…)',
};

/** Documents the error answers a route gives, plus the 401 every protected route gives. */
export function ApiErrors(...statuses: (400 | 403 | 404 | 409)[]): MethodDecorator {
  return applyDecorators(
    ApiResponse({ status: 401, description: 'Missing or invalid bearer token', type: ErrorDto }),
    ...statuses.map((status) => ApiResponse({ status, description: MEANING[status], type: ErrorDto })),
  );
}
