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
  test('stages that advance together (eval and each model) each get their lines; a stage repeats at most every 5 s in logs and 250 ms in --json; the last line always shows', () => {
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

  test('--json progress has its own limit (250 ms a stage) while the log lines on a pipe stay at one every 5 s; first and last always', () => {
    const io = capture();
    let clock = 1_000_000;
    const output = new Output({ json: true, stdout: io.stdout, stderr: io.stderr, now: () => clock });
    const progress = (done: number) => output.event({ type: 'progress', stage: 'train-pconv-phase1', done, total: 100, unit: 'steps' });
    for (let done = 0; done < 100; done++) {
      progress(done);
      clock += 100;
    }
    progress(100); // final, 10 s in
    const events = io
      .text()
      .out.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { done: number });
    // every 300 ms (the first step past 250 ms) from 0, then the last.
    expect(events.map((e) => e.done)).toEqual([...Array.from({ length: 34 }, (_, i) => i * 3), 100]);
    // stderr (a pipe, not a terminal): the first, one 5 s later, the last.
    expect(
      io
        .text()
        .err.trim()
        .split('\n')
        .map((l) => l.split(' ')[2]),
    ).toEqual(['0/100', '50/100', '100/100']);
  });
});

describe('Output validation', () => {
  test('a validation event goes to --json as it is and to stderr as the validation line; the global step stays off the progress line', () => {
    const io = capture();
    const output = new Output({ json: true, stdout: io.stdout, stderr: io.stderr });
    const loss = { total: 0.30812, valid: 0.086, hole: 0.0357, perceptual: 0, styleOut: 0, styleComp: 0, tv: 0.01 };
    output.onCoreEvent({ type: 'progress', stage: 'train-pconv-phase2', done: 100, total: 100, unit: 'steps', metrics: { loss: 0.42, step: 400 } });
    output.onCoreEvent({
      type: 'validation',
      model: 'pconv',
      phase: 2,
      step: 400,
      loss,
      quality: { pairs: 5, psnr: 22.041, ssim: 0.65961, l1Hole: 11.0978 },
      samples: '/r/s.png',
    });
    output.onCoreEvent({
      type: 'validation',
      model: 'conv',
      phase: 1,
      step: 10,
      loss,
      quality: { pairs: 1, psnr: 9, ssim: null, l1Hole: null },
      samples: '/r/t.png',
    });
    const events = io
      .text()
      .out.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[1]).toMatchObject({ v: 1, type: 'validation', model: 'pconv', step: 400, loss, quality: { pairs: 5, psnr: 22.041 } });
    const lines = io.text().err.trim().split('\n');
    expect(lines[0]).toMatch(/^train-pconv-phase2 \[#+\] 100\/100 steps {2}.*loss 0\.4200$/);
    expect(lines.slice(1)).toEqual([
      'pconv step 400: validation loss 0.3081 (hole 0.0357, valid 0.0860); PSNR 22.04 dB, SSIM 0.6596, hole L1 11.098 on 5 pairs; samples /r/s.png',
      'conv step 10: validation loss 0.3081 (hole 0.0357, valid 0.0860); PSNR 9.00 dB, SSIM -, hole L1 - on 1 pair; samples /r/t.png',
    ]);
  });
});
