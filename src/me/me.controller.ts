import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.js';
import { CurrentUser, type AuthUser } from '../auth/user.js';
import { MeDto } from './me.dto.js';
import { MeRepository } from './me.repository.js';

@ApiTags('identity')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  constructor(private readonly me: MeRepository) {}

  @Get()
  @ApiOperation({ summary: "The caller's identity and namespaces" })
  @ApiOkResponse({ type: MeDto, description: "The token's identity claims and the caller's newest memberships" })
  @ApiErrors()
  async get(@CurrentUser() user: AuthUser): Promise<MeDto> {
    const { sub, name, email, username } = user;
    return { sub, name, email, username, namespaces: await this.me.namespacesOf(sub) };
  }
}
