import { execFile } from 'node:child_process';

/** What Dawn's adapter search found, asked in a child process (webgpu/probe.ts). */
export type WebgpuProbe = { readonly found: true; readonly software: boolean; readonly device: string } | { readonly found: false; readonly reason: string };

/** A driver stuck in its adapter search costs every `auto` command this long, then is killed. */
const PROBE_TIMEOUT_MS = 15_000;
/** The child's answer is the line after this marker: anything else a driver prints is ignored. */
const MARKER = 'PCONV_WEBGPU_PROBE ';

/**
 * Asks a short-lived Node process whether Dawn (the `webgpu` package) finds a GPU adapter, the one
 * tfjs-backend-webgpu would use (high-performance). `--backend auto` does this before loading Dawn
 * itself: on a machine without a GPU, Dawn's Vulkan backend writes warnings straight to the
 * process's stderr (no driver found, or the limits of a software rasteriser) that no JavaScript can
 * silence, and every command would print them. In the child they are dropped; a driver that
 * crashes or hangs takes down only the child. One extra Node start per `auto` command.
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
    const answer = adapter ? { found: true, software: info.isFallbackAdapter === true, device } : { found: false, reason: 'the webgpu package found no GPU adapter (Vulkan, Metal or D3D12)' };
    process.stdout.write('\\n' + ${JSON.stringify(MARKER)} + JSON.stringify(answer) + '\\n', () => process.exit(0));
  `;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { timeout: PROBE_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 4 * 2 ** 20 },
      (error, stdout, stderr) => {
        const line = stdout
          .split('\n')
          .reverse()
          .find((text) => text.startsWith(MARKER));
        if (line) {
          try {
            const parsed = JSON.parse(line.slice(MARKER.length)) as WebgpuProbe;
            if (typeof parsed.found === 'boolean') return resolve(parsed);
          } catch {
            // Reported below.
          }
        }
        const lastError = stderr.trim().split('\n').at(-1);
        const why = error?.killed ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : lastError || (error ? `exit ${error.code ?? error.signal}` : 'no answer');
        resolve({ found: false, reason: `Dawn's adapter search failed in a child process (${why})` });
      },
    );
  });
}
