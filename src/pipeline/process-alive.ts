/** Whether a process of this machine exists (kill 0 probes without signalling). */
export function processAlive(pid: number): boolean {
  // kill(0) and kill(-1) address process groups and succeed: such a pid is no live process.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
