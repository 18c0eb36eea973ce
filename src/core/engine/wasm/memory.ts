import { UserError } from '../../errors.js';

/**
 * The most the wasm backend's heap can hold: tfjs-backend-wasm 4.22's builds are wasm32 and grow
 * their memory up to getHeapMax() = 4 GiB less one 64 KiB page. Every tensor lives in it.
 */
export const WASM_HEAP_MAX_BYTES = 4_294_901_760;

/**
 * Lower bounds of what one training step holds at its peak on wasm, from measurements of the paper
 * UNet (64..512 channels) on 2026-11-26 with every heap buffer counted once (tf.memory() counts a
 * buffer once per tensor that shares it, e.g. through Reshape or Identity, and overstates), taken
 * as the difference between batch sizes: per pixel of each image, the PConv UNet with the L1 terms
 * 6.85 KiB at 64 px and 8.1 KiB at 128 px, the conv baseline 4.3 and 5.7 KiB; the VGG16 features
 * of the perceptual and style terms add ~19.5 KiB (64 px); per parameter 16 bytes (128 px: the
 * weight, its gradient and Adam's two moments). The per-pixel activations scale with the network's
 * width, so they are taken in proportion to model.baseChannels / 64; VGG16's do not. Each constant
 * sits under its measurement, so what these bounds refuse cannot fit.
 */
const UNET_BYTES_PER_PIXEL_IMAGE = { pconv: 6 * 1024, conv: 4 * 1024 } as const;
const VGG_BYTES_PER_PIXEL_IMAGE = 16 * 1024;
const BYTES_PER_PARAMETER = 12;
const PAPER_BASE_CHANNELS = 64;

export interface TrainingMemoryInput {
  readonly kind: 'pconv' | 'conv';
  /** Every weight of the network (trainable or not). */
  readonly parameters: number;
  /** model.baseChannels: the width of the first level. */
  readonly baseChannels: number;
  readonly imageSize: number;
  readonly batchSize: number;
  /** Whether the loss runs VGG16 features (perceptual or style weight above 0). */
  readonly vggFeatures: boolean;
}

/** A lower bound of the tensor bytes a training step holds at its peak (see the constants above). */
export function trainingPeakBytesLowerBound({ kind, parameters, baseChannels, imageSize, batchSize, vggFeatures }: TrainingMemoryInput): number {
  const perPixel = (UNET_BYTES_PER_PIXEL_IMAGE[kind] * baseChannels) / PAPER_BASE_CHANNELS + (vggFeatures ? VGG_BYTES_PER_PIXEL_IMAGE : 0);
  return parameters * BYTES_PER_PARAMETER + batchSize * imageSize * imageSize * perPixel;
}

const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);

/**
 * Refuses, before the first step, a training configuration whose tensors cannot fit in the wasm
 * heap: past 4 GiB tfjs-backend-wasm fails with "memory access out of bounds" or stalls (the
 * paper's 512 px, batch 6 with the full loss needs at least ~33 GiB). Says which keys to change
 * and the largest batch the bound lets through.
 */
export function checkWasmTrainingMemory(
  input: TrainingMemoryInput,
  what = 'training',
  keys: { readonly size: string; readonly batch: string } = { size: 'data.imageSize', batch: 'train.batchSize' },
): void {
  const needed = trainingPeakBytesLowerBound(input);
  if (needed <= WASM_HEAP_MAX_BYTES) return;
  const weights = trainingPeakBytesLowerBound({ ...input, batchSize: 0 });
  const perImage = trainingPeakBytesLowerBound({ ...input, parameters: 0, batchSize: 1 });
  const fittingBatch = Math.floor((WASM_HEAP_MAX_BYTES - weights) / perImage);
  const lower =
    fittingBatch >= 1
      ? `lower ${keys.batch} to ${fittingBatch} or less`
      : `lower ${keys.size} (batch 1 at ${input.imageSize} px alone needs more than the heap holds)`;
  throw new UserError(
    'WASM_MEMORY',
    `${what} at ${keys.size} ${input.imageSize} with ${keys.batch} ${input.batchSize} needs at least ${gib(needed)} GiB of tensors, and the wasm backend's heap holds at most 4 GiB`,
    {
      hint: `Train on a GPU backend (--backend webgpu or tensorflow: README, "Backends"), or ${lower}.`,
    },
  );
}
