import { UserError } from '../errors.js';

/**
 * The most the wasm backend's heap can hold: tfjs-backend-wasm 4.22's builds are wasm32 and grow
 * their memory up to getHeapMax() = 4 GiB less one 64 KiB page. Every tensor lives in it.
 */
export const WASM_HEAP_MAX_BYTES = 4_294_901_760;

/**
 * Lower bounds of what one training step of the PConv UNet holds at its peak, from tf.memory()'s
 * peak bytes on wasm (bench/profile-wasm.mjs, paper UNet, 2026-11-26): per pixel of each image in
 * the batch, 8.1 KiB at 64 px and 9.8 KiB at 128 px for the L1 terms (activations kept for the
 * backward pass), another ~25 KiB with the VGG16 features of the perceptual and style terms (64 px,
 * batch 4); per parameter ~20 bytes (weight, gradient, Adam's two moments, the update's temporaries).
 * The constants below sit under those measurements, so a configuration they refuse cannot fit.
 */
const BYTES_PER_PIXEL_IMAGE = 8 * 1024;
const VGG_BYTES_PER_PIXEL_IMAGE = 24 * 1024;
const BYTES_PER_PARAMETER = 16;

export interface TrainingMemoryInput {
  /** Every weight of the network (trainable or not). */
  readonly parameters: number;
  readonly imageSize: number;
  readonly batchSize: number;
  /** Whether the loss runs VGG16 features (perceptual or style weight above 0). */
  readonly vggFeatures: boolean;
}

/** A lower bound of the tensor bytes a training step holds at its peak (see the constants above). */
export function trainingPeakBytesLowerBound({ parameters, imageSize, batchSize, vggFeatures }: TrainingMemoryInput): number {
  const perImage = imageSize * imageSize * (BYTES_PER_PIXEL_IMAGE + (vggFeatures ? VGG_BYTES_PER_PIXEL_IMAGE : 0));
  return parameters * BYTES_PER_PARAMETER + batchSize * perImage;
}

const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);

/**
 * Refuses, before the first step, a training configuration whose tensors cannot fit in the wasm
 * heap: past 4 GiB tfjs-backend-wasm fails with "memory access out of bounds" or stalls (the
 * paper's 512 px, batch 6 needs ~50 GiB). Says which keys to change and what would fit.
 */
export function checkWasmTrainingMemory(
  input: TrainingMemoryInput,
  what = 'training',
  keys: { readonly size: string; readonly batch: string } = { size: 'data.imageSize', batch: 'train.batchSize' },
): void {
  const needed = trainingPeakBytesLowerBound(input);
  if (needed <= WASM_HEAP_MAX_BYTES) return;
  const perImage = trainingPeakBytesLowerBound({ ...input, parameters: 0, batchSize: 1 });
  const fittingBatch = Math.floor((WASM_HEAP_MAX_BYTES - input.parameters * BYTES_PER_PARAMETER) / perImage);
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
