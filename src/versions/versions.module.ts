import { Module } from '@nestjs/common';
import { VersionDigests } from './version-digests.js';
import { VersionsController } from './versions.controller.js';
import { VersionsRepository } from './versions.repository.js';
import { VersionsService } from './versions.service.js';

@Module({ controllers: [VersionsController], providers: [VersionsService, VersionsRepository, VersionDigests] })
export class VersionsModule {}
