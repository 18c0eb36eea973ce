import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { PconvEvent } from '../../../src/protocol/events.js';
import { type CliStartOptions, startCli } from '../../src/host/cli-process.js';

const fakeCli = fileURLToPath(new URL('./fixtures/fake-cli.mjs', import.meta.url));

function run(scenario: string, extra: Partial<CliStartOptions> = {}) {
  const events: PconvEvent[] = [];
  const invalid: { line: string; reason: string }[] = [];
  let stderr = '';
  const child = startCli({
    cliPath: fakeCli,
    args: [scenario],
    cwd: process.cwd(),
    onEvent: (e) => events.push(e),
    onInvalidLine: (line, reason) => invalid.push({ line, reason }),
    onStderr: (text) => {
      stderr += text;
    },
    ...extra,
  });
  return { child, events, invalid, stderr: () => stderr };
}

/** Resolves once an event of this type has arrived (the child is then past its setup). */
function waitFor(events: PconvEvent[], type: PconvEvent['type']): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (events.some((e) => e.type === type)) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
}

describe('startCli against a real child process', () => {
  test('events arrive whole and in order despite partial writes, CRLF, split characters and stderr in between', async () => {
    const { child, events, invalid, stderr } = run('chunks');
    const outcome = await child.done;
    expect(events.map((e) => e.type)).toEqual(['start', 'progress', 'log', 'log', 'end']);
    expect(events[0]?.type === 'start' && events[0].argv).toEqual(['chunks', '--json']);
    expect(events[3]?.type === 'log' && events[3].message).toBe('PSNR 29.5 dB \u2014 \u00b5 ok');
    expect(invalid.map((i) => i.reason)).toEqual(['not JSON', expect.stringContaining('not a pconv-bench event')]);
    expect(invalid[0]?.line).toBe('Some library printed this');
    expect(stderr()).toBe('stderr: half a line written\nstderr: between the bytes\n');
    expect(outcome).toMatchObject({ exitCode: 0, signal: null, diedWithoutEnd: false, cancelled: false, errors: [] });
    expect(outcome.message).toMatch(/^finished in \d+\.\d s$/);
  });

  test('a child killed mid-line is reported as dying without its end event; the torn line is reported, not thrown', async () => {
    const { child, events, invalid } = run('die');
    const outcome = await child.done;
    expect(events.map((e) => e.type)).toEqual(['start', 'stage']);
    expect(invalid).toEqual([{ line: '{"v":1,"type":"progress","stage":"ma', reason: 'not JSON' }]);
    expect(outcome).toMatchObject({ exitCode: null, signal: 'SIGKILL', diedWithoutEnd: true, end: undefined });
    expect(outcome.message).toBe('pconv-bench was killed by SIGKILL before finishing its event stream');
  });

  test('a child that exits without an end event keeps its exit code and stderr', async () => {
    const { child, stderr } = run('exit3');
    const outcome = await child.done;
    expect(outcome).toMatchObject({ exitCode: 3, diedWithoutEnd: true });
    expect(outcome.message).toBe('pconv-bench exited with code 3 before finishing its event stream');
    expect(stderr()).toContain('fatal: something broke');
  });

  test('error events are collected; the end event gives the exit code', async () => {
    const outcome = await run('config-error').child.done;
    expect(outcome.exitCode).toBe(1);
    expect(outcome.errors[0]?.problems?.[0]).toEqual({ file: 'bad.yaml', path: 'seed', message: 'expected number', line: 2, column: 7 });
    expect(outcome.message).toBe('failed: bad.yaml: 1 problem');
  });

  test('cancel sends SIGINT first: the CLI stops cleanly with its end event and exit 130', async () => {
    const { child, events } = run('wait-sigint', { graceMs: 5_000 });
    await waitFor(events, 'stage');
    const before = Date.now();
    child.cancel();
    const outcome = await child.done;
    expect(Date.now() - before).toBeLessThan(4_000);
    expect(outcome).toMatchObject({ exitCode: 130, signal: null, cancelled: true, diedWithoutEnd: false });
    expect(events.map((e) => e.type)).toEqual(['start', 'stage', 'log', 'error', 'end']);
    expect(outcome.message).toBe('interrupted (a checkpoint was saved; run again to continue)');
  });

  test('a child that ignores SIGINT and SIGTERM is killed after two grace periods', async () => {
    const { child, events, stderr } = run('ignore-signals', { graceMs: 300 });
    await waitFor(events, 'stage');
    child.cancel();
    const outcome = await child.done;
    expect(stderr()).toContain('got SIGINT, ignoring');
    expect(stderr()).toContain('got SIGTERM, ignoring');
    expect(outcome).toMatchObject({ signal: 'SIGKILL', cancelled: true, diedWithoutEnd: true });
  });

  test('a CLI that does not exist is a clear outcome, not an exception', async () => {
    const outcome = await startCli({ cliPath: '/nonexistent/pconv-bench', args: ['run'], cwd: process.cwd() }).done;
    expect(outcome.spawnError).toBeInstanceOf(Error);
    expect(outcome.message).toContain('could not start /nonexistent/pconv-bench: spawn /nonexistent/pconv-bench ENOENT');
  });
});
