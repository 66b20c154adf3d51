import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../auth/user.js';
import { ApiErrors } from '../common/api-errors.js';
import { RawJson } from '../common/raw-json.js';
import { AuthMeDto, MeDto } from './me.dto.js';
import { MeRepository } from './me.repository.js';

@ApiTags('identity')
@ApiBearerAuth()
@Controller()
export class MeController {
  constructor(private readonly me: MeRepository) {}

  @Get('me')
  @ApiOperation({ summary: "The caller's identity, newest 100 memberships and namespace count" })
  @ApiOkResponse({
    type: MeDto,
    description: "The token's identity claims, the caller's newest memberships and how many namespaces they are in",
  })
  @ApiErrors()
  async get(@CurrentUser() user: AuthUser): Promise<RawJson<MeDto>> {
    return new RawJson(await this.me.me(user));
  }

  @Get('auth/me')
  @ApiOperation({
    summary: "The same, plus the DreamLake CLI's default namespace",
    description:
      "`namespace` is the namespace whose slug is the token's username (or preferred_username, else sub) when the caller " +
      'is a member of it, else the oldest namespace the caller owns, else null.',
  })
  @ApiOkResponse({ type: AuthMeDto, description: "As GET /me, with the caller's default namespace" })
  @ApiErrors()
  async authMe(@CurrentUser() user: AuthUser): Promise<RawJson<AuthMeDto>> {
    return new RawJson(await this.me.me(user, user.username ?? user.sub));
  }
}
