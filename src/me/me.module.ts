import { Module } from '@nestjs/common';
import { MeController } from './me.controller.js';
import { MeRepository } from './me.repository.js';

@Module({ controllers: [MeController], providers: [MeRepository] })
export class MeModule {}
