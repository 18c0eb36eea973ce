import { describe, expect, test } from 'vitest';
import { type PconvEvent, PconvEventSchema } from '../../../src/protocol/events.js';
import { MAX_TRAIN_POINTS, NO_TRAINING_STATUS, TrainingMonitor } from '../../src/host/training-monitor.js';
import { parseTrainingToWebview } from '../../src/shared/messages.js';

const stamp = { v: 1 as const, time: '2026-11-25T20:00:00.000Z' };
/** Events as the CLI writes them: each checked against the stream's schema first. */
const event = (fields: Record<string, unknown>): PconvEvent => PconvEventSchema.parse({ ...stamp, ...fields });
const progress = (stage: string, done: number, total: number, metrics?: Record<string, number>) =>
  event({ type: 'progress', stage, done, total, unit: 'steps', ...(metrics ? { metrics } : {}) });
const loss = { total: 0.5, valid: 0.1, hole: 0.2, perceptual: 0, styleOut: 0, styleComp: 0, tv: 0.02 };
const validation = (model: 'pconv' | 'conv', phase: 1 | 2, step: number, psnr: number) =>
  event({
    type: 'validation',
    model,
    phase,
    step,
    loss: { ...loss, total: psnr / 100 },
    quality: { pairs: 4, psnr, ssim: 0.5, l1Hole: 12 },
    samples: '/r/s.png',
  });

describe('TrainingMonitor', () => {
  test("builds each model's curves from the stream: steps with their loss, validation passes, where phase 2 starts", () => {
    const monitor = new TrainingMonitor();
    expect(monitor.snapshot()).toEqual({ type: 'snapshot', title: '', status: NO_TRAINING_STATUS, models: [] });
    monitor.start('run smoke.yaml');
    const sent = [
      event({ type: 'stage', stage: 'masks', status: 'started' }),
      progress('masks', 24, 24),
      event({ type: 'stage', stage: 'train-pconv-phase1', status: 'started', message: 'steps 0..20' }),
      progress('train-pconv-phase1', 4, 20, { loss: 1.5, step: 4 }),
      // A repeated step (the final progress of a stage after a throttled one) is one point.
      progress('train-pconv-phase1', 4, 20, { loss: 1.5, step: 4 }),
      validation('pconv', 1, 10, 15),
      progress('train-pconv-phase1', 20, 20, { loss: 1.1, step: 20 }),
      progress('train-pconv-phase2', 3, 10, { loss: 1.0, step: 23 }),
      validation('pconv', 2, 30, 17),
      progress('train-conv-phase1', 20, 20, { loss: 2, step: 20 }),
      // An older CLI gave no global step: a phase-2 step cannot be placed before a boundary is known, so it is left out.
      progress('train-conv-phase2', 5, 10, { loss: 1.9 }),
      validation('conv', 2, 30, 14),
      event({ type: 'end', exitCode: 0, durationSeconds: 61.4 }),
    ].map((e) => monitor.update(e));
    // Offered once: at the first training event of the process.
    expect(sent.map((s) => s.firstTraining)).toEqual([false, false, false, true, false, false, false, false, false, false, false, false, false]);
    for (const { messages } of sent) for (const message of messages) expect(parseTrainingToWebview(message)).toEqual({ ok: true, message });
    // Before it trains, a process changes nothing; its first training event brings the new curves whole.
    expect(sent.slice(0, 3).map((s) => s.messages)).toEqual([[], [], []]);
    expect(sent[3]?.messages).toEqual([
      {
        type: 'snapshot',
        title: 'run smoke.yaml',
        status: 'train-pconv-phase1: 4/20 steps, loss 1.5000',
        models: [{ model: 'pconv', train: [{ step: 4, loss: 1.5 }], validation: [], phaseBoundary: null }],
      },
    ]);
    expect(sent[4]?.messages).toEqual([{ type: 'status', status: 'train-pconv-phase1: 4/20 steps, loss 1.5000' }]);
    expect(sent[5]?.messages).toEqual([
      { type: 'append', model: 'pconv', train: [], validation: [{ step: 10, phase: 1, loss: 0.15, psnr: 15, ssim: 0.5, l1Hole: 12 }], phaseBoundary: null },
    ]);
    expect(monitor.snapshot()).toEqual({
      type: 'snapshot',
      title: 'run smoke.yaml',
      status: 'finished in 61 s',
      models: [
        {
          model: 'pconv',
          train: [
            { step: 4, loss: 1.5 },
            { step: 20, loss: 1.1 },
            { step: 23, loss: 1.0 },
          ],
          validation: [
            { step: 10, phase: 1, loss: 0.15, psnr: 15, ssim: 0.5, l1Hole: 12 },
            { step: 30, phase: 2, loss: 0.17, psnr: 17, ssim: 0.5, l1Hole: 12 },
          ],
          phaseBoundary: 20,
        },
        {
          model: 'conv',
          train: [{ step: 20, loss: 2 }],
          validation: [{ step: 30, phase: 2, loss: 0.14, psnr: 14, ssim: 0.5, l1Hole: 12 }],
          phaseBoundary: null,
        },
      ],
    });
    expect(monitor.training).toBe(true);
    // A next process that does not train leaves the curves; one that trains replaces them.
    const finished = monitor.snapshot();
    monitor.start('masks smoke.yaml');
    expect(monitor.training).toBe(false);
    expect(monitor.update(event({ type: 'stage', stage: 'masks', status: 'started' })).messages).toEqual([]);
    expect(monitor.update(event({ type: 'end', exitCode: 0, durationSeconds: 1 })).messages).toEqual([]);
    expect(monitor.snapshot()).toEqual(finished);
    monitor.start('run demo.yaml');
    expect(monitor.update(validation('conv', 1, 100, 20))).toEqual({
      firstTraining: true,
      messages: [
        {
          type: 'snapshot',
          title: 'run demo.yaml',
          status: 'training',
          models: [{ model: 'conv', train: [], validation: [{ step: 100, phase: 1, loss: 0.2, psnr: 20, ssim: 0.5, l1Hole: 12 }], phaseBoundary: null }],
        },
      ],
    });
  });

  test('a long training keeps at most MAX_TRAIN_POINTS loss points a model, thinned evenly over its whole span', () => {
    const monitor = new TrainingMonitor();
    monitor.start('run long.yaml');
    const total = 5 * MAX_TRAIN_POINTS;
    let snapshots = 0;
    for (let step = 1; step <= total; step++) {
      const { messages } = monitor.update(progress('train-pconv-phase1', step, total, { loss: 1 / step, step }));
      if (step > 1) snapshots += messages.filter((m) => m.type === 'snapshot').length;
    }
    const snapshot = monitor.snapshot();
    if (snapshot.type !== 'snapshot') throw new Error('snapshot() must give a snapshot');
    const steps = snapshot.models[0]?.train.map((p) => p.step) ?? [];
    expect(steps.length).toBeLessThanOrEqual(MAX_TRAIN_POINTS);
    expect(steps.length).toBeGreaterThan(MAX_TRAIN_POINTS / 2);
    // From the first step to near the last, evenly spaced: each thinning sent the panel a fresh snapshot.
    expect(steps[0]).toBe(1);
    expect(total - (steps.at(-1) as number)).toBeLessThan(8);
    const gaps = new Set(steps.slice(1).map((s, i) => s - (steps[i] as number)));
    expect(gaps).toEqual(new Set([8]));
    expect(snapshots).toBe(3);
  });

  test('a process that never trains is never offered; a failure after training shows in the status', () => {
    const monitor = new TrainingMonitor();
    monitor.start('masks smoke.yaml');
    const updates = [
      monitor.update(event({ type: 'stage', stage: 'masks', status: 'started' })),
      monitor.update(progress('masks', 3, 24)),
      monitor.update(event({ type: 'error', code: 'X', message: 'disk full', details: [] })),
      monitor.update(event({ type: 'end', exitCode: 2, durationSeconds: 1 })),
    ];
    expect(updates.map((u) => [u.firstTraining, u.messages])).toEqual(Array(4).fill([false, []]));
    expect(monitor.snapshot()).toEqual({ type: 'snapshot', title: '', status: NO_TRAINING_STATUS, models: [] });
    monitor.start('run smoke.yaml');
    expect(monitor.update(progress('train-pconv-phase1', 1, 20, { loss: 2, step: 1 })).firstTraining).toBe(true);
    expect(monitor.update(event({ type: 'error', code: 'TRAIN_NOT_FINITE', message: 'pconv: the loss became NaN', details: [] })).messages).toEqual([
      { type: 'status', status: 'failed: pconv: the loss became NaN' },
    ]);
    expect(monitor.update(event({ type: 'end', exitCode: 1, durationSeconds: 3 })).messages).toEqual([
      { type: 'status', status: 'ended with exit code 1 (failed: pconv: the loss became NaN)' },
    ]);
  });
});
