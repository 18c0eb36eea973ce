import { extname } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { ExperimentConfigSchema } from '../config/schema.js';
import { concatFloat32 } from '../data/concat-float32.js';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Polarity } from '../masks/import-masks.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { buildNetwork, configForCheckpoint, restoreWeights } from '../train/trainer.js';
import { createPredictor, type InferenceEngineRequest, type Predictor } from './predictor.js';
import { inpaintTiled } from './tiling.js';

export interface InpaintImageOptions {
  readonly checkpoint: string;
  readonly image: string;
  readonly mask: string;
  readonly out: string;
  /** Which colour is the hole in the mask file (ours: hole-black). */
  readonly polarity: Polarity;
  readonly threshold?: number;
  /** Which engine runs the model (predictor.ts); default auto. */
  readonly engine?: InferenceEngineRequest;
}

export interface InpaintImageResult {
  readonly width: number;
  readonly height: number;
  readonly holeRatio: number;
  readonly model: string;
  readonly tiles: number;
  /** What ran the model, in words. */
  readonly engine: string;
  /** Why auto did not take ONNX Runtime, if it did not. */
  readonly notes: readonly string[];
  /** What makes the output doubtful though it was written: a mask above MOSTLY_HOLE_RATIO. */
  readonly warnings: readonly string[];
}

/** Above this hole ratio inpaintImage still fills the image, with a warning: little is left to fill from. */
export const MOSTLY_HOLE_RATIO = 0.9;

async function decode(path: string, what: string, pipeline: (s: Sharp) => Sharp) {
  try {
    return await pipeline(sharp(path).rotate()).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new UserError('IMAGE_UNREADABLE', `cannot read ${what} ${path}: ${(error as Error).message.split('\n')[0]}`, {
      hint: `Pass a PNG or JPEG file as --${what}.`,
    });
  }
}

/**
 * Fills the holes of one image of any size and aspect with a trained model: overlapping tiles of
 * the training size, blended without seams, then composited so that every known pixel keeps its
 * exact value. Writes PNG or JPEG by the output's extension, atomically.
 */
export async function inpaintImage(options: InpaintImageOptions): Promise<InpaintImageResult> {
  const checkpoint = await loadCheckpoint(options.checkpoint);
  // Parsing fills keys added since with today's defaults; the baseline's input form is the checkpoint's own.
  const config = configForCheckpoint(ExperimentConfigSchema.parse(checkpoint.meta.config), checkpoint);
  const kind = checkpoint.meta.model;
  const image = await decode(options.image, 'image', (s) => s.flatten({ background: '#ffffff' }).toColourspace('srgb'));
  const mask = await decode(options.mask, 'mask', (s) => s.flatten({ background: '#000000' }).greyscale());
  const { width, height } = image.info;
  if (mask.info.width !== width || mask.info.height !== height) {
    throw new UserError('MASK_SIZE', `mask ${options.mask} is ${mask.info.width}x${mask.info.height} but image ${options.image} is ${width}x${height}`, {
      hint: 'Draw the mask at the size of the image.',
    });
  }
  const channels = image.info.channels;
  const pixels = new Float32Array(width * height * 3);
  const valid = new Float32Array(width * height);
  const cut = (options.threshold ?? 0.5) * 255;
  let holes = 0;
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) pixels[p * 3 + c] = (image.data[p * channels + Math.min(c, channels - 1)] as number) / 255;
    const white = (mask.data[p * mask.info.channels] as number) >= cut;
    const isHole = options.polarity === 'hole-white' ? white : !white;
    valid[p] = isHole ? 0 : 1;
    if (isHole) holes++;
  }
  if (holes === 0)
    throw new UserError('MASK_EMPTY', `mask ${options.mask} has no hole with --polarity ${options.polarity}`, {
      hint: 'Check --polarity: our masks are black = hole (hole-black); NVIDIA and LaMa masks are hole-white.',
    });
  const other = options.polarity === 'hole-white' ? 'hole-black' : 'hole-white';
  // All hole: the network would see no pixel of the image and the output would be a blank guess.
  if (holes === width * height)
    throw new UserError(
      'MASK_ALL_HOLE',
      `mask ${options.mask} has no valid pixel with --polarity ${options.polarity}: it is 100% hole, so there is nothing to inpaint from`,
      { hint: `Leave part of the image known; if the hole is the other colour, use --polarity ${other}.` },
    );
  const holeRatio = holes / (width * height);
  const warnings =
    holeRatio > MOSTLY_HOLE_RATIO
      ? [
          `mask ${options.mask} is ${(holeRatio * 100).toFixed(1)}% hole with --polarity ${options.polarity}: with so little of the image known the fill is mostly a guess (if the hole is the other colour, use --polarity ${other})`,
        ]
      : [];

  const net = buildNetwork(config, kind);
  restoreWeights(net, checkpoint);
  const tile = config.data.imageSize;
  let tiles = 0;
  let predicted: Float32Array;
  let predictor: Predictor | undefined;
  try {
    predictor = await createPredictor(net, { kind, size: tile, baselineFill: config.model.baselineFill, engine: options.engine ?? 'auto' });
    const run = predictor;
    predicted = await inpaintTiled(pixels, valid, width, height, tile, async (requests) => {
      tiles += requests.length;
      const out = await run.predict(concatFloat32(requests.map((r) => r.image)), concatFloat32(requests.map((r) => r.mask)), requests.length);
      return requests.map((_, i) => out.subarray(i * tile * tile * 3, (i + 1) * tile * tile * 3));
    });
  } finally {
    await predictor?.dispose();
    net.dispose();
  }
  const { engine, notes } = predictor;

  const result = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      result[p * 3 + c] =
        valid[p] === 1 ? (image.data[p * channels + Math.min(c, channels - 1)] as number) : Math.round((predicted[p * 3 + c] as number) * 255);
    }
  }
  const encoder = sharp(result, { raw: { width, height, channels: 3 } });
  const ext = extname(options.out).toLowerCase();
  const bytes = ext === '.jpg' || ext === '.jpeg' ? await encoder.jpeg({ quality: 95 }).toBuffer() : await encoder.png().toBuffer();
  await writeFileAtomic(options.out, bytes);
  return { width, height, holeRatio, model: kind, tiles, engine, notes, warnings };
}
