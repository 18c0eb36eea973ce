import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { Output } from '../../src/cli/output.js';

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return { stdout, stderr, text: () => ({ out, err }) };
}

describe('Output progress', () => {
  test('stages that advance together (eval and each model) each get their lines; a stage repeats at most every 5 s in logs; the last line always shows', () => {
    const io = capture();
    const output = new Output({ json: true, stdout: io.stdout, stderr: io.stderr });
    const progress = (stage: string, done: number) => output.event({ type: 'progress', stage, done, total: 10, unit: 'pairs' });
    progress('eval', 0);
    progress('eval PConv', 0);
    progress('eval Telea', 0);
    progress('eval', 4); // throttled: 'eval' printed just now
    progress('eval PConv', 4); // throttled
    progress('eval', 10); // final
    const events = io
      .text()
      .out.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { stage: string; done: number });
    expect(events.map((e) => `${e.stage} ${e.done}`)).toEqual(['eval 0', 'eval PConv 0', 'eval Telea 0', 'eval 10']);
    expect(io.text().err.trim().split('\n')).toHaveLength(4);
  });
});
