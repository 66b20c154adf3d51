import { Global, Module } from '@nestjs/common';
import { HeavyReads } from './heavy-reads.js';

/** Per-instance shared parts the features use (the heavy-read limit is one for the whole instance). */
@Global()
@Module({ providers: [HeavyReads], exports: [HeavyReads] })
export class CommonModule {}
