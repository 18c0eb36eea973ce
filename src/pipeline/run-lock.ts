import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';

const LOCK = '.pconv-bench.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the run folder for this process: a second `run` on the same folder refuses with the other
 * process's id. A lock left by a process that no longer exists (kill -9, reboot) is taken over.
 * Returns the release function.
 */
export async function lockRunDir(runDir: string, onStale?: (message: string) => void): Promise<() => Promise<void>> {
  await mkdir(runDir, { recursive: true });
  const path = join(runDir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: { pid?: number; host?: string; startedAt?: string } = {};
      try {
        holder = JSON.parse(await readFile(path, 'utf8'));
      } catch {
        // A lock file torn by a crash while it was written: nobody holds it.
      }
      const sameHost = holder.host === undefined || holder.host === hostname();
      if (holder.pid !== undefined && (!sameHost || alive(holder.pid))) {
        throw new UserError('RUN_LOCKED', `${runDir} is in use by another pconv-bench run (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`, {
          hint: `Wait for it to finish, stop it, or use another run folder (--run). If that process is gone, delete ${path}.`,
        });
      }
      onStale?.(`taking over the lock of pid ${holder.pid ?? '?'}, which no longer runs`);
      await rm(path, { force: true });
    }
  }
  throw new UserError('RUN_LOCKED', `could not lock ${runDir}`, { hint: `Delete ${path} if no run is using the folder.` });
}
