import { Injectable } from '@nestjs/common';

/** The time webhook retries are planned by; tests move it forward to see an hour pass. */
@Injectable()
export class Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves the clock forward (tests only). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
