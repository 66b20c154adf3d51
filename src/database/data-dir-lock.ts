import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config.js';

const LOCK_FILE = 'service.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/**
 * PGlite serves one process: a second one opening the same directory would corrupt it. Takes
 * `<dir>/service.pid` for this process (a lock left by a killed process is taken over) and
 * releases it at exit.
 */
export function lockDataDir(dir: string): void {
  const file = join(dir, LOCK_FILE);
  // A DATA_DIR that does not exist yet is created here, before the lock file goes into it.
  mkdirSync(dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      process.once('exit', () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // already gone
        }
      });
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (owner === process.pid) return;
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
        throw new ConfigError(
          `DATA_DIR ${dir} is in use by process ${owner}; stop it or point DATA_DIR elsewhere (the embedded database serves one process).`,
        );
      }
      unlinkSync(file);
    }
  }
}
