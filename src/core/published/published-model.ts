/**
 * Inpainting models trained by other projects, run from the weights files people already have
 * (issue 18). Each format owns a folder here (its layer variant, its UNet wiring, its weights
 * reader) and registers a loader in formats.ts; eval, inpaint and the report see only this
 * interface.
 */

/** The formats pconv-bench reads, named by where the weights come from. */
export const PUBLISHED_FORMATS = ['pconv-keras-h5', 'pytorch-pconv'] as const;
export type PublishedFormat = (typeof PUBLISHED_FORMATS)[number];

export interface PublishedModel {
  readonly format: PublishedFormat;
  /** For people and the report, e.g. "PConv-Keras UNet (7 levels, 3-channel masks) from pconv_imagenet.26-1.07.h5". */
  readonly description: string;
  /** Image sides the network accepts must be multiples of this (2^levels). */
  readonly sizeMultiple: number;
  /**
   * The network's raw output for `count` images of `size` x `size`: `images` NHWC RGB on [0, 1]
   * (holes may hold anything: the model's own input rule masks them), `valid` NHW1 with 1 = known
   * pixel, 0 = hole; returns NHWC RGB on [0, 1] (clipped), before any compositing with the known
   * pixels (the caller composites, as for our own models).
   */
  predict(images: Float32Array, valid: Float32Array, count: number, size: number): Promise<Float32Array>;
  dispose(): void;
}
