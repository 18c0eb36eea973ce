import type { LossWeights } from '../model/inpainting-loss.js';
import type { VggPreprocessing } from '../model/vgg16-features.js';

/** Each term of eq. 7 times its weight: what the total adds up. */
export interface WeightedLossTerms {
  readonly valid: number;
  readonly hole: number;
  readonly perceptual: number;
  readonly style: number;
  readonly tv: number;
}

/** How many times the weighted L1 terms (valid + hole) another weighted term may be before we warn. */
export const LOSS_BALANCE_LIMIT = 100;

export function weightedLossTerms(
  losses: {
    readonly valid: number;
    readonly hole: number;
    readonly perceptual: number;
    readonly styleOut: number;
    readonly styleComp: number;
    readonly tv: number;
  },
  weights: LossWeights,
): WeightedLossTerms {
  return {
    valid: weights.valid * losses.valid,
    hole: weights.hole * losses.hole,
    perceptual: weights.perceptual * losses.perceptual,
    style: weights.style * (losses.styleOut + losses.styleComp),
    tv: weights.tv * losses.tv,
  };
}

export function describeWeightedTerms(terms: WeightedLossTerms): string {
  return Object.entries(terms)
    .map(([name, value]) => `${name} ${formatNumber(value)}`)
    .join(', ');
}

/**
 * A warning when one weighted term is more than LOSS_BALANCE_LIMIT times the weighted L1 terms:
 * eq. 7's weights (0.05, 120) were set for VGG16 fed PyTorch-normalised input, and caffe
 * preprocessing (0..255) makes its features ~58x and Gram matrices ~3,000x larger, so the style
 * term drowns the rest. Undefined when the terms are in proportion or the L1 terms weigh 0.
 */
export function lossBalanceWarning(terms: WeightedLossTerms, preprocessing: VggPreprocessing | undefined): string | undefined {
  const l1 = terms.valid + terms.hole;
  if (!(l1 > 0)) return undefined;
  const worst = (['perceptual', 'style', 'tv'] as const)
    .map((name) => ({ name, ratio: terms[name] / l1 }))
    .filter((t) => t.ratio > LOSS_BALANCE_LIMIT)
    .sort((a, b) => b.ratio - a.ratio)[0];
  if (!worst) return undefined;
  const what = `the weighted ${worst.name} term (${formatNumber(terms[worst.name])}) is ${formatRatio(worst.ratio)}x the weighted L1 terms (valid + hole = ${formatNumber(l1)})`;
  if (worst.name === 'tv') return `${what}; check loss.tv`;
  const cause =
    preprocessing === 'caffe'
      ? "loss.vgg.preprocessing is caffe (BGR on 0..255, for Keras' own weights), while eq. 7's weights suit PyTorch's VGG16 with torch preprocessing (normalised RGB): with torchvision's .pth or PConv-Keras' pytorch_to_keras_vgg16.h5, set loss.vgg.preprocessing: torch"
      : "loss.vgg.preprocessing does not match the weights (caffe for Keras' own VGG16 weights, torch for PyTorch's), or loss.perceptual / loss.style are far from eq. 7";
  return `${what}. Likely cause: VGG16 preprocessing that does not match the weights: ${cause}`;
}

function formatNumber(value: number): string {
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(3) : value.toPrecision(4);
}

function formatRatio(ratio: number): string {
  return ratio >= 1e4 ? ratio.toExponential(2) : Math.round(ratio).toLocaleString('en-US');
}
