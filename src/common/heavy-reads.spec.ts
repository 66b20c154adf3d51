import type { AppConfig } from '../config/config.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import { TooManyRequestsError } from './errors.js';
import { ClientGoneError, HeavyReads } from './heavy-reads.js';
import { assemble, prepend, type StreamPart } from './json-stream.js';

/** Parts that record whether their `finally` ran (where a cursor gives its connection back). */
function parts(log: string[]): AsyncGenerator<StreamPart> {
  return (async function* () {
    try {
      await Promise.resolve(); // as a cursor's first read
      yield { collection: '{"name" : "c", "members" : []}' };
      yield { ids: '["a","b"]' };
      yield { ids: '["c"]' };
    } finally {
      log.push('closed');
    }
  })();
}

describe('prepend (issue 21, row 1)', () => {
  it('closes the rest of the parts when the consumer stops at the first part', async () => {
    const log: string[] = [];
    const rest = parts(log);
    const first = await rest.next(); // read to check the answer exists
    const text = assemble(prepend(first.value as StreamPart, rest));
    expect((await text.next()).value).toBe('{"name" : "c", "members" : [');
    await text.return(undefined); // the client went away
    expect(log).toEqual(['closed']);
  });

  it('closes them when the consumer stops later, and streams them whole otherwise', async () => {
    const log: string[] = [];
    const rest = parts(log);
    const first = await rest.next();
    let text = '';
    for await (const piece of assemble(prepend(first.value as StreamPart, rest))) text += piece;
    expect(JSON.parse(text)).toEqual({ name: 'c', members: ['a', 'b', 'c'] });
    expect(log).toEqual(['closed']);
  });
});

describe('HeavyReads (issue 21, row 2)', () => {
  const heavy = (slots: number) =>
    new HeavyReads(
      { limits: { heavyReads: slots, streamSendTimeoutMs: 1000 } } as AppConfig,
      {
        gauge: () => undefined,
        refused: () => undefined,
      } as unknown as MetricsService,
    );

  it('a caller holds at most half of the slots; the others go to other callers at once', async () => {
    const reads = heavy(4);
    const a1 = await reads.acquire('a');
    await reads.acquire('a');
    let third = false;
    void reads.acquire('a').then(() => (third = true));
    // b and c are not behind a's waiting read.
    await reads.acquire('b');
    await reads.acquire('c');
    await Promise.resolve();
    expect(third).toBe(false);
    a1();
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).toBe(true);
  });

  it('freed slots go to waiting callers in turn, not to whoever queued most', async () => {
    const reads = heavy(2); // one slot per caller
    const order: string[] = [];
    const releaseA = await reads.acquire('a');
    const releaseB = await reads.acquire('b');
    const waits = ['a', 'a', 'a', 'c'].map((caller) =>
      reads.acquire(caller).then((release) => {
        order.push(caller);
        return release;
      }),
    );
    releaseB();
    await new Promise((resolve) => setImmediate(resolve));
    // a holds its share: b's slot goes to c, though a queued first.
    expect(order).toEqual(['c']);
    releaseA();
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['c', 'a']);
    void waits;
  });

  it('a waiting request whose client leaves leaves the queue; a full queue of one caller answers 429', async () => {
    const reads = heavy(1);
    await reads.acquire('a');
    const gone = new AbortController();
    const waiting = reads.acquire('b', gone.signal);
    gone.abort();
    await expect(waiting).rejects.toBeInstanceOf(ClientGoneError);
    // a may wait twice (half of the queue of 4× HEAVY_READS), then is refused; b still has room.
    void reads.acquire('a');
    void reads.acquire('a');
    await expect(reads.acquire('a')).rejects.toBeInstanceOf(TooManyRequestsError);
    void reads.acquire('b');
  });
});
