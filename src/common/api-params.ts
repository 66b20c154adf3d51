import { applyDecorators } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';

/** Documents the `:slug/projects/:projectSlug` path segments of controllers that take them as one object. */
export function ApiProjectParams(): ClassDecorator {
  return applyDecorators(
    ApiParam({ name: 'slug', description: 'Namespace slug', example: 'acme' }),
    ApiParam({ name: 'projectSlug', description: 'Project slug', example: 'robotics' }),
  );
}
