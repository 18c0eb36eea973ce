import { execFile } from 'node:child_process';

/** What Dawn's adapter search found, asked in a child process (webgpu-probe.ts). */
export type WebgpuProbe = { readonly found: true; readonly software: boolean; readonly device: string } | { readonly found: false; readonly reason: string };

const PROBE_TIMEOUT_MS = 30_000;

/**
 * Asks a short-lived Node process whether Dawn (the `webgpu` package) finds a GPU adapter, the one
 * tfjs-backend-webgpu would use (high-performance). `--backend auto` does this before loading Dawn
 * itself: on a machine without a GPU, Dawn's Vulkan backend writes warnings straight to the
 * process's stderr (no driver found, or the limits of a software rasteriser) that no JavaScript can
 * silence, and every command would print them. In the child they are dropped; a driver that
 * crashes takes down only the child. Costs ~0.2 s, once per command.
 */
export async function probeWebgpuAdapter(): Promise<WebgpuProbe> {
  let entry: string;
  try {
    entry = import.meta.resolve('webgpu');
  } catch (error) {
    return { found: false, reason: `the "webgpu" package (Dawn for Node) is not installed: ${error instanceof Error ? error.message : String(error)}` };
  }
  const script = `
    const { create, globals } = await import(${JSON.stringify(entry)});
    Object.assign(globalThis, globals ?? {});
    const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
    const info = adapter?.info ?? {};
    const device = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'GPU';
    process.stdout.write(JSON.stringify(adapter ? { found: true, software: info.isFallbackAdapter === true, device } : { found: false, reason: 'the webgpu package found no GPU adapter (Vulkan, Metal or D3D12)' }));
    process.exit(0);
  `;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: PROBE_TIMEOUT_MS, maxBuffer: 2 ** 20 }, (error, stdout) => {
      try {
        const parsed = JSON.parse(stdout) as WebgpuProbe;
        if (typeof parsed.found === 'boolean') return resolve(parsed);
      } catch {
        // Reported below.
      }
      const why = error ? (error.killed ? `timed out after ${PROBE_TIMEOUT_MS / 1000} s` : error.message.split('\n')[0]) : 'no answer';
      resolve({ found: false, reason: `Dawn's adapter search failed in a child process (${why})` });
    });
  });
}
