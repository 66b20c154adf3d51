import { Module } from '@nestjs/common';
import { TrashController } from './trash.controller.js';
import { TrashRepository } from './trash.repository.js';
import { TrashService } from './trash.service.js';

@Module({ controllers: [TrashController], providers: [TrashService, TrashRepository] })
export class TrashModule {}
