import { Module } from '@nestjs/common';
import { VersionJobs } from './version-jobs.js';
import { VersionsController } from './versions.controller.js';
import { VersionsRepository } from './versions.repository.js';
import { VersionsService } from './versions.service.js';

@Module({ controllers: [VersionsController], providers: [VersionsService, VersionsRepository, VersionJobs] })
export class VersionsModule {}
