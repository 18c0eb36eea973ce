import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors.js';
import { readTorchStateDict, TorchFileError, type TorchStateDict } from '../../io/torch-state-dict.js';
import type { PublishedModel } from '../published-model.js';
import { isNaotoUnetKey, NaotoArchitectureError, NaotoUnet, type NaotoUnetSpec, naotoUnetSpec } from './naoto-unet.js';

/**
 * Format 'pytorch-pconv': the .pth checkpoints of naoto0804/pytorch-inpainting-with-partial-conv,
 * as its util/io.py save_ckpt writes them ({'n_iter', 'model': state dict, 'optimizer'}; a bare
 * state dict is read too), legacy or zip. Its network sees ImageNet-normalised images times the
 * mask (train.py's Normalize(opt.MEAN, opt.STD), places2.py's gt * mask) with the mask on all 3
 * channels, and its output is un-normalised the same way (util/image.py unnormalize), as
 * evaluation.py shows it.
 */

/** opt.py's MEAN and STD. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** Images per forward pass: bounds memory at 512 px and 8 levels. */
const BATCH = 4;

const HINT =
  'The pytorch-pconv format reads the checkpoints of naoto0804/pytorch-inpainting-with-partial-conv (PConvUNet, e.g. its 1000000.pth), as torch.save wrote them.';

function invalid(file: string, why: string, cause?: unknown): UserError {
  return new UserError('MODEL_WEIGHTS_INVALID', `${file} is not usable pytorch-pconv weights: ${why}`, { hint: HINT, cause });
}

function mismatch(file: string, why: string): UserError {
  return new UserError('MODEL_ARCHITECTURE_MISMATCH', `${file} is not the PConvUNet of naoto0804/pytorch-inpainting-with-partial-conv: ${why}`, {
    hint: HINT,
  });
}

/** The mask conv is fixed in the repository (ones, zero bias); a file that changed it is another network. */
function checkMaskConvs(spec: NaotoUnetSpec, values: ReadonlyMap<string, Float32Array>): string | undefined {
  for (const layer of [...spec.encoders, ...spec.decoders]) {
    const weight = values.get(`${layer.name}.conv.${spec.layout.mask}.weight`);
    if (weight?.some((v) => v !== 1)) return `${layer.name}.conv.${spec.layout.mask}.weight is not all ones (the mask conv of this network is fixed)`;
    const bias = spec.layout.mask === 'mask2d' ? values.get(`${layer.name}.conv.mask2d.bias`) : undefined;
    if (bias?.some((v) => v !== 0)) return `${layer.name}.conv.mask2d.bias is not all zeros (the mask conv of this network is fixed)`;
  }
  return undefined;
}

export async function loadPytorchPconv(file: string): Promise<PublishedModel> {
  let dict: TorchStateDict;
  try {
    dict = await readTorchStateDict(file, isNaotoUnetKey);
  } catch (error) {
    if (error instanceof TorchFileError) throw invalid(file, error.message, error);
    throw error;
  }
  let spec: NaotoUnetSpec;
  try {
    spec = naotoUnetSpec(dict.shapes);
  } catch (error) {
    if (error instanceof NaotoArchitectureError) throw mismatch(file, error.message);
    throw error;
  }
  const maskProblem = checkMaskConvs(spec, dict.values);
  if (maskProblem) throw mismatch(file, maskProblem);
  const net = new NaotoUnet(spec, dict.values);
  const sizeMultiple = 2 ** spec.levels;
  const mean = tf.tensor1d([...IMAGENET_MEAN]);
  const std = tf.tensor1d([...IMAGENET_STD]);
  const widths = spec.encoders.map((e) => e.outChannels).join('-');
  const layout = spec.layout.conv === 'conv2d' ? ", first net.py's conv2d/mask2d keys" : '';
  return {
    format: 'pytorch-pconv',
    description: `PyTorch PConvUNet of naoto0804 (${spec.levels} levels, widths ${widths}, 3-channel masks${layout}) from ${basename(file)}`,
    sizeMultiple,
    async predict(images: Float32Array, valid: Float32Array, count: number, size: number): Promise<Float32Array> {
      if (size % sizeMultiple !== 0) throw new Error(`pytorch-pconv: image side ${size} is not a multiple of ${sizeMultiple}`);
      const pixels = size * size;
      if (images.length !== count * pixels * 3 || valid.length !== count * pixels) throw new Error('pytorch-pconv: images or masks of the wrong length');
      const out = new Float32Array(count * pixels * 3);
      for (let start = 0; start < count; start += BATCH) {
        const n = Math.min(BATCH, count - start);
        const result = tf.tidy(() => {
          const x = tf.tensor4d(images.subarray(start * pixels * 3, (start + n) * pixels * 3), [n, size, size, 3]);
          const m = tf.tensor4d(valid.subarray(start * pixels, (start + n) * pixels), [n, size, size, 1]);
          const raw = net.forward(tf.div(tf.sub(x, mean), std), m);
          return tf.clipByValue(tf.add(tf.mul(raw, std), mean), 0, 1);
        });
        out.set(await result.data(), start * pixels * 3);
        result.dispose();
      }
      return out;
    },
    dispose(): void {
      net.dispose();
      tf.dispose([mean, std]);
    },
  };
}
