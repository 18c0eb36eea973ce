import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { UserError } from '../core/errors.js';
import { RunLockSchema, runLayout } from '../protocol/run-layout.js';
import { processAlive } from './process-alive.js';

/**
 * Takes the run folder for this process: a second command on the same folder refuses with the
 * other process's id and command. A lock left by a process that no longer exists (kill -9, reboot)
 * is taken over. Returns the release function.
 */
export async function lockRunDir(runDir: string, command: string, onStale?: (message: string) => void): Promise<() => Promise<void>> {
  try {
    await mkdir(runDir, { recursive: true });
  } catch (error) {
    // EEXIST: the path itself is a file (a file on the way to it is ENOTDIR, named by the CLI's file-system errors).
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new UserError('RUN_NOT_A_FOLDER', `${runDir} is a file, not a run folder`, { hint: 'Name a folder (it is made if missing), or move the file away.' });
  }
  const path = runLayout(runDir).lock;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command }));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: { pid?: number; host?: string; startedAt?: string; command?: string } = {};
      try {
        holder = RunLockSchema.parse(JSON.parse(await readFile(path, 'utf8')));
      } catch {
        // A lock file torn by a crash while it was written: nobody holds it.
      }
      const sameHost = holder.host === undefined || holder.host === hostname();
      if (holder.pid !== undefined && (!sameHost || processAlive(holder.pid))) {
        throw new UserError(
          'RUN_LOCKED',
          `${runDir} is in use by another pconv-bench ${holder.command ?? 'run'} (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`,
          { hint: `Wait for it to finish, stop it, or use another run folder (--run). If that process is gone, delete ${path}.` },
        );
      }
      onStale?.(`taking over the lock of pid ${holder.pid ?? '?'}, which no longer runs`);
      await rm(path, { force: true });
    }
  }
  throw new UserError('RUN_LOCKED', `could not lock ${runDir}`, { hint: `Delete ${path} if no run is using the folder.` });
}
