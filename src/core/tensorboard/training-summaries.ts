import { type LossValues, LossValuesSchema, type ValidationQuality } from '../../protocol/training-log.js';
import type { SummaryImage, SummaryValue } from './event-proto.js';

/**
 * What training shows in TensorBoard, under tags grouped by their first part (TensorBoard's
 * sections): `loss/<term>` each step with the training log's term names, `train/...` for the
 * step's settings and time, `validation/...` at each validation pass. Pure: the trainer hands it
 * what it logs and writes the values it returns.
 */
export const TENSORBOARD_TAGS = {
  loss: (term: keyof LossValues) => `loss/${term}`,
  learningRate: 'train/learning_rate',
  stepSeconds: 'train/step_seconds',
  /** 1 or 2: where a curve's phase 2 starts. */
  phase: 'train/phase',
  validationLoss: (term: keyof LossValues) => `validation/loss/${term}`,
  psnr: 'validation/psnr',
  ssim: 'validation/ssim',
  l1Hole: 'validation/l1Hole',
  samples: 'validation/samples',
} as const;

/** The loss terms in the training log's order (total, valid, hole, perceptual, styleOut, styleComp, tv). */
const LOSS_TERMS = Object.keys(LossValuesSchema.shape) as (keyof LossValues)[];

/** Summary.Image colorspace of an RGB picture. */
const RGB = 3;

export interface TrainStepSummary {
  readonly phase: 1 | 2;
  readonly learningRate: number;
  /** Wall time of the step: loading its batch, forward, backward and Adam's update. */
  readonly stepSeconds: number;
  readonly losses: LossValues;
}

export function trainStepValues(step: TrainStepSummary): SummaryValue[] {
  return [
    ...LOSS_TERMS.map((term) => ({ tag: TENSORBOARD_TAGS.loss(term), scalar: step.losses[term] })),
    { tag: TENSORBOARD_TAGS.learningRate, scalar: step.learningRate },
    { tag: TENSORBOARD_TAGS.stepSeconds, scalar: step.stepSeconds },
    { tag: TENSORBOARD_TAGS.phase, scalar: step.phase },
  ];
}

/** A PNG and its size in pixels. */
export interface EncodedPicture {
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface ValidationSummary {
  readonly losses: LossValues;
  readonly quality: ValidationQuality;
  /** The grid of sample pairs validation wrote under samples/. */
  readonly samples: EncodedPicture;
}

/** A quality the pass could not score (SSIM of images under its window, hole L1 without holes) is left out. */
export function validationValues(pass: ValidationSummary): SummaryValue[] {
  const { quality, samples } = pass;
  const image: SummaryImage = { height: samples.height, width: samples.width, colorspace: RGB, encoded: samples.png };
  return [
    ...LOSS_TERMS.map((term) => ({ tag: TENSORBOARD_TAGS.validationLoss(term), scalar: pass.losses[term] })),
    { tag: TENSORBOARD_TAGS.psnr, scalar: quality.psnr },
    ...(quality.ssim === null ? [] : [{ tag: TENSORBOARD_TAGS.ssim, scalar: quality.ssim }]),
    ...(quality.l1Hole === null ? [] : [{ tag: TENSORBOARD_TAGS.l1Hole, scalar: quality.l1Hole }]),
    { tag: TENSORBOARD_TAGS.samples, image },
  ];
}
