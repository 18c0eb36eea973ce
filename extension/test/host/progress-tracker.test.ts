import { describe, expect, test } from 'vitest';
import type { PconvEvent } from '../../../src/protocol/events.js';
import { ProgressTracker } from '../../src/host/progress-tracker.js';

const stamp = { v: 1 as const, time: '2026-11-25T20:00:00.000Z' };
const stage = (name: string, status: 'started' | 'finished' | 'skipped', message?: string): PconvEvent => ({
  ...stamp,
  type: 'stage',
  stage: name,
  status,
  ...(message ? { message } : {}),
});
const progress = (name: string, done: number, total: number, extra: Partial<Extract<PconvEvent, { type: 'progress' }>> = {}): PconvEvent => ({
  ...stamp,
  type: 'progress',
  stage: name,
  done,
  total,
  unit: 'steps',
  ...extra,
});

describe('ProgressTracker', () => {
  test('shows stage, step, rate, time left and loss', () => {
    const tracker = new ProgressTracker('train');
    expect(tracker.update(progress('train-pconv-phase1', 12, 20, { ratePerSecond: 3.94, etaSeconds: 125, metrics: { loss: 0.30812 } }))).toEqual({
      message: 'train-pconv-phase1: 12/20 steps, 3.9 steps/s, 2:05 left, loss 0.3081',
      increment: 60,
    });
    expect(tracker.update(stage('train-pconv-phase1', 'finished', 'loss 0.3 at step 20'))).toEqual({
      message: 'train-pconv-phase1: finished (loss 0.3 at step 20)',
    });
    expect(tracker.update(progress('x', 1, 1, { etaSeconds: 3725 }))?.message).toBe('x: 1/1 steps, 1:02:05 left');
  });

  test('for run, the bar covers the five stages and never moves back', () => {
    const tracker = new ProgressTracker('run');
    const steps = [
      tracker.update(stage('masks', 'started')),
      tracker.update(progress('masks', 24, 24)),
      tracker.update(stage('masks', 'finished')),
      tracker.update(progress('train-pconv-phase1', 10, 20)),
      tracker.update(progress('train-pconv-phase2', 1, 10)),
      tracker.update(progress('train-pconv-phase2', 10, 10)),
      tracker.update(stage('eval', 'skipped')),
      tracker.update(progress('unknown-stage', 1, 2)),
    ].map((u) => u?.increment);
    expect(steps).toEqual([undefined, 20, undefined, 10, undefined, 10, 40, undefined]);
  });

  test("for eval, the bar follows the overall pairs once they are counted, not each model's or the image check's", () => {
    const tracker = new ProgressTracker('eval');
    const steps = [
      tracker.update(progress('eval', 0, 180)),
      tracker.update(progress('eval test images', 10, 10)),
      tracker.update(progress('eval PConv', 90, 180)),
      tracker.update(progress('eval', 45, 180)),
      tracker.update(progress('eval Telea (OpenCV, radius 3)', 180, 180)),
      tracker.update(progress('eval', 180, 180)),
    ].map((u) => u?.increment);
    expect(steps).toEqual([undefined, undefined, undefined, 25, undefined, 75]);
  });

  test('other events move nothing', () => {
    expect(new ProgressTracker('run').update({ ...stamp, type: 'log', level: 'info', message: 'm' })).toBeUndefined();
  });
});
