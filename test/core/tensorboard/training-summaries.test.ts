import { describe, expect, test } from 'vitest';
import { trainStepValues, validationValues } from '../../../src/core/tensorboard/training-summaries.js';

const losses = { total: 1, valid: 2, hole: 3, perceptual: 4, styleOut: 5, styleComp: 6, tv: 7 };

describe('training summaries', () => {
  test('a training step: every loss term under loss/ with the log names, then learning rate, step time and phase', () => {
    expect(trainStepValues({ phase: 2, learningRate: 5e-5, stepSeconds: 0.25, losses })).toEqual([
      { tag: 'loss/total', scalar: 1 },
      { tag: 'loss/valid', scalar: 2 },
      { tag: 'loss/hole', scalar: 3 },
      { tag: 'loss/perceptual', scalar: 4 },
      { tag: 'loss/styleOut', scalar: 5 },
      { tag: 'loss/styleComp', scalar: 6 },
      { tag: 'loss/tv', scalar: 7 },
      { tag: 'train/learning_rate', scalar: 5e-5 },
      { tag: 'train/step_seconds', scalar: 0.25 },
      { tag: 'train/phase', scalar: 2 },
    ]);
  });

  test('a validation pass: its loss terms, PSNR, SSIM, hole L1 and the samples grid as an RGB image', () => {
    const png = new Uint8Array([1, 2, 3]);
    const values = validationValues({ losses, quality: { pairs: 5, psnr: 22, ssim: 0.6, l1Hole: 11 }, samples: { png, width: 134, height: 70 } });
    expect(values.map((v) => v.tag)).toEqual([
      'validation/loss/total',
      'validation/loss/valid',
      'validation/loss/hole',
      'validation/loss/perceptual',
      'validation/loss/styleOut',
      'validation/loss/styleComp',
      'validation/loss/tv',
      'validation/psnr',
      'validation/ssim',
      'validation/l1Hole',
      'validation/samples',
    ]);
    expect(values.slice(7, 10)).toEqual([
      { tag: 'validation/psnr', scalar: 22 },
      { tag: 'validation/ssim', scalar: 0.6 },
      { tag: 'validation/l1Hole', scalar: 11 },
    ]);
    expect(values.at(-1)).toEqual({ tag: 'validation/samples', image: { height: 70, width: 134, colorspace: 3, encoded: png } });
  });

  test('a quality the pass could not score (null in the log) is left out rather than written as a number', () => {
    const values = validationValues({
      losses,
      quality: { pairs: 1, psnr: 30, ssim: null, l1Hole: null },
      samples: { png: new Uint8Array(), width: 1, height: 1 },
    });
    expect(values.map((v) => v.tag)).not.toContain('validation/ssim');
    expect(values.map((v) => v.tag)).not.toContain('validation/l1Hole');
    expect(values.map((v) => v.tag)).toContain('validation/psnr');
  });
});
