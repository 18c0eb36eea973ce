import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunLayout, STAGING_GRANDPARENTS, STAGING_PARENTS } from '../protocol/run-layout.js';
import { processAlive } from './process-alive.js';

/** makeStagingDir's folders and writeFileAtomic's temporary files (src/core/io/atomic.ts). */
const STAGING = /^\.(.+)\.staging-(\d+)-[0-9a-f]+$/;
const TEMPORARY = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/;
/** replaceDir's previous folder, renamed aside until the new one is in place. */
const ASIDE = /^(.+)\.old-(\d+)-[0-9a-f]+$/;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The folders directly inside `dir` (none when it does not exist). */
async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
}

/**
 * Clears what a killed process or a full disk left half-written in a run folder: staging folders,
 * temporary files, and a folder renamed aside whose replacement never arrived (put back, since it
 * is the last complete version). Called with the run lock held, so no live command of ours is
 * writing there; entries of a process that still runs are left alone all the same. Returns what
 * it did, for the log.
 */
export async function cleanStaging(layout: RunLayout): Promise<string[]> {
  const done: string[] = [];
  const nested = await Promise.all(STAGING_GRANDPARENTS(layout).map(subfolders));
  for (const parent of [...STAGING_PARENTS(layout), ...nested.flat()]) {
    let names: string[];
    try {
      names = await readdir(parent);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(parent, name);
      const staging = STAGING.exec(name) ?? TEMPORARY.exec(name);
      if (staging) {
        const pid = Number(staging[staging.length - 1]);
        if (pid === process.pid || processAlive(pid)) continue;
        await rm(path, { recursive: true, force: true });
        done.push(`removed ${path}, left by pid ${pid}`);
        continue;
      }
      const aside = ASIDE.exec(name);
      if (aside) {
        const pid = Number(aside[2]);
        if (pid === process.pid || processAlive(pid)) continue;
        const target = join(parent, aside[1] as string);
        if (await exists(target)) {
          await rm(path, { recursive: true, force: true });
          done.push(`removed ${path}, replaced by ${target}`);
        } else {
          await rename(path, target);
          done.push(`restored ${target} from ${path}: its replacement was never written`);
        }
      }
    }
  }
  return done;
}
