import { extname } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { concatFloat32 } from '../data/concat-float32.js';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Polarity } from '../masks/import-masks.js';
import type { PublishedFormat } from '../published/published-model.js';
import { loadTrainedNetwork } from '../train/trained-network.js';
import { createPredictor, type InferenceEngineRequest, type Predictor } from './predictor.js';
import { inpaintTiled, type TileRequest } from './tiling.js';

/** Tile side a published model runs at unless told otherwise: the papers' 512 px. */
export const DEFAULT_PUBLISHED_TILE = 512;

export interface InpaintImageOptions {
  /** A checkpoint folder of ours, or `weights`: exactly one. */
  readonly checkpoint?: string;
  /** A published model's weights file and its format (src/core/published). */
  readonly weights?: { readonly file: string; readonly format: PublishedFormat };
  /** Tile side for a published model (a multiple of its sizeMultiple; default 512). */
  readonly tile?: number;
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
  if ((options.checkpoint === undefined) === (options.weights === undefined)) throw new Error('inpaintImage needs a checkpoint or weights, not both');
  // The model first, as before: a missing checkpoint is named before anything about the image.
  const runner = options.weights
    ? await openPublishedTiles(options.weights, options.tile)
    : await openCheckpointTiles(options.checkpoint as string, options.engine);
  try {
    return await fill(options, runner);
  } finally {
    await runner.dispose();
  }
}

async function fill(options: InpaintImageOptions, runner: TileRunner): Promise<InpaintImageResult> {
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

  let tiles = 0;
  const predicted = await inpaintTiled(pixels, valid, width, height, runner.tile, async (requests) => {
    tiles += requests.length;
    return runner.predict(requests);
  });
  const { engine, notes } = runner;

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
  return { width, height, holeRatio, model: runner.model, tiles, engine, notes, warnings };
}

/** A model that fills tiles of one side: ours from a checkpoint, or a published one. */
interface TileRunner {
  readonly tile: number;
  readonly model: string;
  readonly engine: string;
  readonly notes: readonly string[];
  predict(requests: readonly TileRequest[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/** Our checkpoint, at its training size. */
async function openCheckpointTiles(dir: string, engineRequest: InferenceEngineRequest | undefined): Promise<TileRunner> {
  // Built from the config the checkpoint records (keys added since get today's defaults).
  const { net, kind, config } = await loadTrainedNetwork(dir);
  const tile = config.data.imageSize;
  let predictor: Predictor;
  try {
    predictor = await createPredictor(net, { kind, size: tile, baselineFill: config.model.baselineFill, engine: engineRequest ?? 'auto' });
  } catch (error) {
    net.dispose();
    throw error;
  }
  return {
    tile,
    model: kind,
    engine: predictor.engine,
    notes: predictor.notes,
    async predict(requests) {
      const out = await predictor.predict(concatFloat32(requests.map((r) => r.image)), concatFloat32(requests.map((r) => r.mask)), requests.length);
      return requests.map((_, i) => out.subarray(i * tile * tile * 3, (i + 1) * tile * tile * 3));
    },
    async dispose() {
      await predictor.dispose();
      net.dispose();
    },
  };
}

/** A published model's weights, at `tile` px (a multiple of the model's sizeMultiple). */
async function openPublishedTiles(weights: { readonly file: string; readonly format: PublishedFormat }, tileAsked: number | undefined): Promise<TileRunner> {
  const { loadPublishedModel } = await import('../published/formats.js');
  const model = await loadPublishedModel(weights.format, weights.file);
  const tile = tileAsked ?? DEFAULT_PUBLISHED_TILE;
  if (tile % model.sizeMultiple !== 0) {
    model.dispose();
    throw new UserError('MODEL_SIZE', `${model.description} takes tiles whose side is a multiple of ${model.sizeMultiple}, not ${tile}`, {
      hint: `Pass --tile ${Math.max(1, Math.round(tile / model.sizeMultiple)) * model.sizeMultiple}.`,
    });
  }
  return {
    tile,
    model: weights.format,
    engine: `TensorFlow.js (${weights.format} weights)`,
    notes: [model.description],
    async predict(requests) {
      const out = await model.predict(concatFloat32(requests.map((r) => r.image)), concatFloat32(requests.map((r) => r.mask)), requests.length, tile);
      return requests.map((_, i) => out.subarray(i * tile * tile * 3, (i + 1) * tile * tile * 3));
    },
    async dispose() {
      model.dispose();
    },
  };
}
