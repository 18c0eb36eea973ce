import { describe, expect, test } from 'vitest';
import { describeWeightedTerms, lossBalanceWarning, weightedLossTerms } from '../../../src/core/train/loss-balance.js';

const eq7 = { valid: 1, hole: 6, perceptual: 0.05, style: 120, tv: 0.1 };

describe('loss balance at step 0', () => {
  test('weights each term as eq. 7 adds them (style = output + composite)', () => {
    const terms = weightedLossTerms({ valid: 0.02, hole: 0.1, perceptual: 2, styleOut: 0.001, styleComp: 0.002, tv: 0.05 }, eq7);
    expect(terms.valid).toBeCloseTo(0.02, 12);
    expect(terms.hole).toBeCloseTo(0.6, 12);
    expect(terms.perceptual).toBeCloseTo(0.1, 12);
    expect(terms.style).toBeCloseTo(0.36, 12);
    expect(terms.tv).toBeCloseTo(0.005, 12);
    expect(describeWeightedTerms(terms)).toBe('valid 0.02000, hole 0.6000, perceptual 0.1000, style 0.3600, tv 0.005000');
  });

  test('terms in proportion, or exactly at the limit, give no warning', () => {
    expect(lossBalanceWarning({ valid: 0.02, hole: 0.6, perceptual: 0.1, style: 0.36, tv: 0.005 }, 'torch')).toBeUndefined();
    expect(lossBalanceWarning({ valid: 0.5, hole: 0.5, perceptual: 1, style: 100, tv: 0 }, 'caffe')).toBeUndefined();
  });

  test('a style term over 100x the L1 terms names the term, the ratio and caffe vs torch preprocessing', () => {
    const warning = lossBalanceWarning({ valid: 0.02, hole: 0.6, perceptual: 30, style: 1900, tv: 0.005 }, 'caffe');
    expect(warning).toBe(
      'the weighted style term (1900) is 3,065x the weighted L1 terms (valid + hole = 0.6200). Likely cause: VGG16 preprocessing that does not match the weights: ' +
        "loss.vgg.preprocessing is caffe (BGR on 0..255, for Keras' own weights), while eq. 7's weights suit PyTorch's VGG16 with torch preprocessing (normalised RGB): " +
        "with torchvision's .pth or PConv-Keras' pytorch_to_keras_vgg16.h5, set loss.vgg.preprocessing: torch",
    );
  });

  test('the largest offender is named; perceptual alone is caught too; with torch the hint is the mismatch in general', () => {
    expect(lossBalanceWarning({ valid: 0.01, hole: 0.01, perceptual: 5, style: 80, tv: 0 }, 'caffe')).toMatch(/^the weighted style term \(80\.00\) is 4,000x/);
    expect(lossBalanceWarning({ valid: 0.01, hole: 0.01, perceptual: 5, style: 0, tv: 0 }, 'torch')).toMatch(
      /^the weighted perceptual term \(5\.000\) is 250x .*Likely cause: VGG16 preprocessing that does not match the weights: loss\.vgg\.preprocessing does not match the weights/,
    );
    expect(lossBalanceWarning({ valid: 0.001, hole: 0, perceptual: 0, style: 0, tv: 1 }, undefined)).toMatch(
      /^the weighted tv term \(1\.000\) is 1,000x .*; check loss\.tv$/,
    );
  });

  test('no comparison when the L1 terms weigh nothing', () => {
    expect(lossBalanceWarning({ valid: 0, hole: 0, perceptual: 5, style: 80, tv: 0 }, 'caffe')).toBeUndefined();
  });
});
