import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/config.js';
import { lockDataDir } from './data-dir-lock.js';

describe('lockDataDir', () => {
  const fresh = (): string => mkdtempSync(join(tmpdir(), 'dl-lock-'));

  it('takes a free directory for this process, twice without complaint', () => {
    const dir = fresh();
    lockDataDir(dir);
    lockDataDir(dir);
    expect(readFileSync(join(dir, 'service.pid'), 'utf8').trim()).toBe(String(process.pid));
  });

  it('creates a DATA_DIR that does not exist yet before taking it', () => {
    const dir = join(fresh(), 'not', 'there', 'yet');
    lockDataDir(dir);
    expect(readFileSync(join(dir, 'service.pid'), 'utf8').trim()).toBe(String(process.pid));
  });

  it('refuses a directory held by a running process', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'service.pid'), `${process.ppid}\n`);
    expect(() => lockDataDir(dir)).toThrow(ConfigError);
    expect(() => lockDataDir(dir)).toThrow(`DATA_DIR ${dir} is in use by process ${process.ppid}`);
  });

  it('takes over a lock left by a process that is gone (kill -9)', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'service.pid'), '4194303\n');
    lockDataDir(dir);
    expect(readFileSync(join(dir, 'service.pid'), 'utf8').trim()).toBe(String(process.pid));
  });
});
