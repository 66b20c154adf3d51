import { Global, Module } from '@nestjs/common';
import { ChangeNotifier } from './change-notifier.js';
import { ChangesController } from './changes.controller.js';
import { ChangesRepository } from './changes.repository.js';
import { ChangesService } from './changes.service.js';

/** The change feed; its notifier is shared with the webhook dispatcher. */
@Global()
@Module({
  controllers: [ChangesController],
  providers: [ChangesService, ChangesRepository, ChangeNotifier],
  exports: [ChangeNotifier],
})
export class ChangesModule {}
