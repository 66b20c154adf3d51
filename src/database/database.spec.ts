import type pg from 'pg';
import { ServerDatabase } from './database.js';
import { sql } from './sql.js';

/** A pool that records what it is asked to run. */
function recordingPool(): { pool: pg.Pool; sent: pg.QueryConfig[] } {
  const sent: pg.QueryConfig[] = [];
  const pool = {
    on: () => pool,
    query: (config: pg.QueryConfig) => {
      sent.push(config);
      return Promise.resolve({ rows: [{ one: 1 }] });
    },
  } as unknown as pg.Pool;
  return { pool, sent };
}

describe('ServerDatabase: prepared statements', () => {
  it('sends a prepared statement under a name derived from its text, the same name each time', async () => {
    const { pool, sent } = recordingPool();
    const db = new ServerDatabase(pool);
    await db.one(sql`SELECT ${'a'}::text AS one`, { prepared: true });
    await db.one(sql`SELECT ${'b'}::text AS one`, { prepared: true });
    await db.one(sql`SELECT ${'c'}::text || ${'c'} AS one`, { prepared: true });
    expect(sent[0]).toEqual({ text: 'SELECT $1::text AS one', values: ['a'], name: sent[0].name });
    expect(sent[0].name).toMatch(/^dl_[0-9a-f]{24}$/);
    expect(sent[1].name).toBe(sent[0].name);
    expect(sent[2].name).not.toBe(sent[0].name);
    expect(db.statements).toBe(3);
  });

  it('sends every other statement unnamed, planned for its parameters', async () => {
    const { pool, sent } = recordingPool();
    const db = new ServerDatabase(pool);
    await db.one(sql`SELECT ${'a'}::text AS one`);
    await db.query('SELECT $1::text AS one', ['a'], false);
    expect(sent).toEqual([
      { text: 'SELECT $1::text AS one', values: ['a'] },
      { text: 'SELECT $1::text AS one', values: ['a'] },
    ]);
  });
});
