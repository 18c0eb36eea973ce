import { describe, expect, test } from 'vitest';
import { PconvEventSchema } from '../../src/protocol/events.js';
import { parseTrainLog, TRAIN_LOG_VERSION, TrainLogLineSchema, trainLogLineText } from '../../src/protocol/training-log.js';

const loss = { total: 1.5, valid: 0.1, hole: 0.2, perceptual: 0, styleOut: 0, styleComp: 0, tv: 0.05 };
const quality = { pairs: 8, psnr: 21.25, ssim: 0.7125, l1Hole: 9.5 };

describe('the training log (logs/train-<kind>.jsonl)', () => {
  test('round-trips: each line written is read back as written, stamped with the version', () => {
    const written = [
      { type: 'train', model: 'pconv', phase: 1, step: 1, learningRate: 0.0002, ...loss },
      { type: 'validation', model: 'pconv', phase: 1, step: 1, samples: 'samples/pconv-step-0000001.png', ...loss, quality },
      { type: 'validation', model: 'conv', phase: 2, step: 7, samples: 's.png', ...loss, quality: { pairs: 1, psnr: 100, ssim: null, l1Hole: null } },
    ] as const;
    const text = written.map((line) => `${trainLogLineText(line)}\n`).join('');
    expect(text.split('\n')[0]).toMatch(/^\{"v":1,"type":"train",/);
    expect(parseTrainLog(text)).toEqual({ lines: written.map((line) => ({ v: TRAIN_LOG_VERSION, ...line })), skipped: 0 });
  });

  test('reads lines written before the version (no v, no quality), skips torn lines and lines of a later breaking version, ignores fields it does not know', () => {
    const old = JSON.stringify({ type: 'validation', model: 'pconv', phase: 1, step: 100, samples: 'samples/x.png', ...loss });
    const later = JSON.stringify({ v: 2, type: 'train', model: 'pconv', phase: 1, step: 101, learningRate: 1, ...loss });
    const added = JSON.stringify({ v: 1, type: 'train', model: 'conv', phase: 1, step: 102, learningRate: 1, ...loss, gradNorm: 3 });
    const { lines, skipped } = parseTrainLog(`${old}\n${later}\n${added}\n{"v":1,"type":"tr`);
    expect(skipped).toBe(2);
    expect(lines).toEqual([
      { type: 'validation', model: 'pconv', phase: 1, step: 100, samples: 'samples/x.png', ...loss },
      { v: 1, type: 'train', model: 'conv', phase: 1, step: 102, learningRate: 1, ...loss },
    ]);
  });

  test('quality is checked: a missing metric, a fraction of a pair or an unknown key is not a line of this format', () => {
    const line = { v: 1, type: 'validation', model: 'pconv', phase: 1, step: 5, samples: 's.png', ...loss };
    expect(TrainLogLineSchema.safeParse({ ...line, quality }).success).toBe(true);
    expect(TrainLogLineSchema.safeParse({ ...line, quality: { ...quality, psnr: undefined } }).success).toBe(false);
    expect(TrainLogLineSchema.safeParse({ ...line, quality: { ...quality, pairs: 1.5 } }).success).toBe(false);
    expect(TrainLogLineSchema.safeParse({ ...line, quality: { ...quality, fid: 3 } }).success).toBe(false);
  });

  test('the validation event of the --json stream carries the same loss and quality records', () => {
    const event = { v: 1, time: '2024-01-01T00:00:00.000Z', type: 'validation', model: 'conv', phase: 2, step: 30, loss, quality, samples: '/r/samples/x.png' };
    expect(PconvEventSchema.parse(event)).toEqual(event);
    expect(PconvEventSchema.safeParse({ ...event, quality: { ...quality, ssim: 'high' } }).success).toBe(false);
    expect(PconvEventSchema.safeParse({ ...event, step: 0 }).success).toBe(false);
  });
});
