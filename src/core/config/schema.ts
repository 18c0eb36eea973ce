import { z } from 'zod';
import { MODEL_NAMES, TELEA_NAME } from '../../protocol/scorer-names.js';
import { type Bin, binProblems, binsFromEdges, PAPER_BIN_EDGES } from '../masks/bins.js';
import { PAPER_BORDER_MARGIN, paperBorderMargin } from '../masks/border-margin.js';
import { PUBLISHED_FORMATS } from '../published/published-model.js';

/**
 * The experiment config: one YAML file per experiment. Every object is strict (an unknown key is an
 * error, never silently ignored), every default is the paper's choice unless said otherwise, and
 * each section belongs to one stage so later stages can add sections without touching the others.
 * Keys marked "path" are resolved against the config file's folder (see PATH_KEYS).
 */

const positiveInt = () => z.int().min(1);
const nonNegative = () => z.number().min(0);

const BinPairSchema = z
  .tuple([z.number(), z.number()])
  .describe('A hole-ratio bin as [lo, hi], fractions of the image; open or closed ends follow masks.binRule.');

const PconvKerasGeneratorSchema = z
  .strictObject({
    kind: z.literal('pconv-keras'),
    sizeFactor: z.number().gt(0).max(0.5).default(0.03).describe('size = floor((W+H) * sizeFactor) caps line thickness and circle radius (PConv-Keras: 0.03).'),
    minThickness: positiveInt().default(3).describe('Smallest line thickness and circle radius in px (PConv-Keras: 3).'),
    lines: z.boolean().default(true).describe('Draw lines.'),
    circles: z.boolean().default(true).describe('Draw filled circles.'),
    ellipses: z.boolean().default(true).describe('Draw ellipse outlines.'),
  })
  .describe("PConv-Keras' recipe: lines, filled circles and ellipse outlines (docs/science.md, Masks).");

const StrokesGeneratorSchema = z
  .strictObject({
    kind: z.literal('strokes'),
    preset: z.enum(['thin', 'medium', 'thick']).default('medium').describe("LaMa's preset; the keys below override it."),
    maxVertices: positiveInt().optional().describe('Segments per stroke, at most.'),
    maxAngle: positiveInt().optional().describe('Turning angle per segment: 0.01 + randint(0, maxAngle-1) radians.'),
    maxLength: positiveInt().optional().describe('Segment length at 512 px: 10 + randint(0, maxLength-1).'),
    maxWidth: positiveInt().optional().describe('Brush width at 512 px: 5 + randint(0, maxWidth-1).'),
    boxProbability: z.number().min(0).max(1).optional().describe('Chance that a drawn group is a box.'),
    boxMinSize: positiveInt().optional().describe('Box side at 512 px, at least.'),
    boxMaxSize: positiveInt().optional().describe('Box side at 512 px, at most.'),
    boxMargin: z.int().min(0).optional().describe('Distance of boxes from the edge at 512 px.'),
  })
  .describe("LaMa's brush strokes (thin, medium, thick presets), sizes scaled from 512 px to the image size.");

export const MaskGeneratorSchema = z.discriminatedUnion('kind', [PconvKerasGeneratorSchema, StrokesGeneratorSchema]);

const BorderSchema = z.strictObject({
  margin: positiveInt()
    .optional()
    .describe(
      `A mask is "no-border" when no hole pixel lies within this many px of the image edge; stated in every report. Unset: the paper's ${PAPER_BORDER_MARGIN.px} px at ${PAPER_BORDER_MARGIN.imageSize} px scaled to data.imageSize, max(1, round(${PAPER_BORDER_MARGIN.px} * imageSize / ${PAPER_BORDER_MARGIN.imageSize})).`,
    ),
  subsets: z
    .array(z.enum(['no-border', 'border']))
    .min(1)
    .default(['no-border', 'border'])
    .describe('Which border subsets to generate for every bin (the paper reports both).'),
});

const MasksSchema = z.strictObject({
  bins: z
    .array(BinPairSchema)
    .min(1)
    .superRefine((pairs, ctx) => {
      const bins: Bin[] = pairs.map(([lo, hi]) => ({ lo, hi }));
      for (const problem of binProblems(bins)) ctx.addIssue({ code: 'custom', path: [problem.index], message: problem.message });
    })
    .default(binsFromEdges(PAPER_BIN_EDGES).map((b): [number, number] => [b.lo, b.hi]))
    .describe("Hole-ratio bins, increasing and not overlapping. Default: the paper's six bins from 0.01 to 0.6."),
  binRule: z.enum(['(lo,hi]', '[lo,hi)']).default('(lo,hi]').describe('Which end of a bin is closed: the paper uses (lo,hi], LaMa [lo,hi).'),
  border: BorderSchema.prefault({}),
  perBin: positiveInt().default(100).describe('Test masks per bin and border subset.'),
  generator: MaskGeneratorSchema.prefault({ kind: 'pconv-keras' }),
  maxShapes: positiveInt().default(5000).describe('Shape groups drawn per attempt at a mask, at most.'),
  maxAttempts: positiveInt().default(20).describe('Attempts per mask before its bin is declared unreachable.'),
});

/** What data.testFraction and data.validationFraction are when unset. */
const DEFAULT_TEST_FRACTION = 0.1;
const DEFAULT_VALIDATION_FRACTION = 0.05;
const TestFractionSchema = z.number().gt(0).lt(1);
const ValidationFractionSchema = z.number().min(0).lt(1);

/** A split folder as written: a path, or the path with its own include and exclude patterns. */
const SplitFolderSchema = z
  .union(
    [
      z.string().min(1),
      z.strictObject({
        dir: z.string().min(1).describe('path: the folder.'),
        include: z
          .array(z.string().min(1))
          .min(1)
          .optional()
          .describe('fast-glob patterns, relative to this folder, of the images to use (unset: data.include).'),
        exclude: z.array(z.string().min(1)).optional().describe('fast-glob patterns, relative to this folder, to leave out (unset: data.exclude).'),
      }),
    ],
    { error: 'expected the path of a folder, or { dir, include, exclude } with dir set' },
  )
  .transform((folder) => (typeof folder === 'string' ? { dir: folder } : folder));

/**
 * Two forms: data.root, one folder split by a hash of each file's name (testFraction,
 * validationFraction), or a folder per split as PConv-Keras takes them (data.train, data.test and
 * optionally data.validation; without it, validationFraction of the train folder validates).
 */
const DataSchema = z
  .strictObject({
    root: z
      .string()
      .min(1)
      .optional()
      .describe('path: folder that holds the images, split by testFraction and validationFraction. Required unless data.train and data.test are set.'),
    train: SplitFolderSchema.optional().describe(
      'Instead of data.root: path of the folder of the training images, or { dir, include, exclude } (include and exclude default to data.include and data.exclude).',
    ),
    validation: SplitFolderSchema.optional().describe(
      'With data.train: the folder of the validation images, written like data.train. Unset: data.validationFraction of the train folder.',
    ),
    test: SplitFolderSchema.optional().describe(
      "With data.train: the folder of the test images (e.g. Places2's or ImageNet's official validation set), written like data.train. No test image may also train or validate.",
    ),
    include: z
      .array(z.string().min(1))
      .min(1)
      .default(['**/*.{jpg,jpeg,png,webp,tif,tiff}'])
      .describe('fast-glob patterns, relative to data.root (or to each split folder), of the images to use.'),
    exclude: z.array(z.string().min(1)).default([]).describe('fast-glob patterns to leave out.'),
    imageSize: z.int().min(8).max(4096).describe('Side in px of the square crops that models see; masks are generated at this size.'),
    testFraction: TestFractionSchema.optional()
      .meta({ default: DEFAULT_TEST_FRACTION })
      .describe('Share of the images held out as the test split (with data.root only).'),
    validationFraction: ValidationFractionSchema.optional()
      .meta({ default: DEFAULT_VALIDATION_FRACTION })
      .describe('Share of the images held out for validation during training: of data.root, or of data.train when data.validation is unset.'),
  })
  .superRefine(
    (data, ctx) => {
      const folders = (['train', 'validation', 'test'] as const).filter((key) => data[key] !== undefined);
      const first = folders[0];
      if (data.root !== undefined && first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [first],
          message: `give either data.root (one folder, split by data.testFraction and data.validationFraction) or the split folders, not both (this config has data.root and ${folders.map((key) => `data.${key}`).join(', ')})`,
        });
      } else if (data.root === undefined && first === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['root'],
          message: 'required key is missing: set data.root (one folder, split by fractions) or data.train and data.test (a folder per split)',
        });
      } else if (data.root === undefined) {
        for (const key of ['train', 'test'] as const) {
          if (data[key] === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: `required key is missing: split folders need data.train and data.test (data.validation is optional)`,
            });
          }
        }
        if (data.testFraction !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['testFraction'], message: 'only with data.root: with split folders the test images are those in data.test' });
        }
        if (data.validation !== undefined && data.validationFraction !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['validationFraction'],
            message:
              'not with data.validation: the validation images are those in that folder (leave data.validation out to hold out this share of data.train)',
          });
        }
      }
      const test = data.testFraction ?? DEFAULT_TEST_FRACTION;
      const validation = data.validationFraction ?? DEFAULT_VALIDATION_FRACTION;
      if (first === undefined && valid(TestFractionSchema, test) && valid(ValidationFractionSchema, validation) && test + validation >= 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['validationFraction'],
          message: 'data.testFraction + data.validationFraction must leave images for training (sum below 1)',
        });
      }
    },
    // Also when another data key is invalid (the form is judged from which keys are present), but not when data is no mapping.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value) },
  );

/** One split folder of a config, resolved: its own include and exclude patterns, or data's. */
export interface SplitFolder {
  dir: string;
  include: string[];
  exclude: string[];
}

interface DataCommon {
  include: string[];
  exclude: string[];
  imageSize: number;
}

/** The data section, resolved: one folder split by fractions (root), or a folder per split. */
export type DataConfig =
  | (DataCommon & { root: string; testFraction: number; validationFraction: number; train?: undefined; validation?: undefined; test?: undefined })
  | (DataCommon & {
      root?: undefined;
      train: SplitFolder;
      /** Unset: validationFraction of the train folder validates. */
      validation?: SplitFolder;
      test: SplitFolder;
      testFraction?: undefined;
      /** Set exactly when validation is not. */
      validationFraction?: number;
    });

/** The data section with its defaults filled in; the root form comes out as it always has (the training hash depends on it). */
const DataConfigSchema = DataSchema.transform((data): DataConfig => {
  const { root, train, validation, test, include, exclude, imageSize, testFraction, validationFraction } = data;
  if (root === undefined && train !== undefined && test !== undefined) {
    const folder = (f: { dir: string; include?: string[]; exclude?: string[] }): SplitFolder => ({
      dir: f.dir,
      include: f.include ?? include,
      exclude: f.exclude ?? exclude,
    });
    return {
      train: folder(train),
      ...(validation ? { validation: folder(validation) } : { validationFraction: validationFraction ?? DEFAULT_VALIDATION_FRACTION }),
      test: folder(test),
      include,
      exclude,
      imageSize,
    };
  }
  // The refinement above leaves root set here (a transform runs only on a valid section).
  return {
    root: root ?? '',
    include,
    exclude,
    imageSize,
    testFraction: testFraction ?? DEFAULT_TEST_FRACTION,
    validationFraction: validationFraction ?? DEFAULT_VALIDATION_FRACTION,
  };
});

const ModelSchema = z.strictObject({
  levels: z.int().min(2).max(8).default(8).describe('Encoder depth: 8 at 512 px, 7 at 256 (the paper, mmagic).'),
  baseChannels: positiveInt().default(64).describe('Channels of the first encoder layer (paper: 64); doubles per level up to maxChannels.'),
  maxChannels: positiveInt().default(512).describe('Channel cap of the deeper layers (paper: 512).'),
  head: z.enum(['none', 'sigmoid']).default('none').describe('Output head: none (paper) or a 1x1 convolution + sigmoid (PConv-Keras).'),
  padding: z
    .enum(['same', 'symmetric'])
    .default('same')
    .describe(
      "Zero padding of every convolution, both models: same (TensorFlow's, the odd pixel of a stride-2 layer bottom/right) or symmetric (k//2 on every side, then a valid convolution, as NVIDIA's partialconv and the PyTorch ports).",
    ),
  baselineFill: z.enum(['mean-pixel', 'grey']).default('mean-pixel').describe('What the ordinary-convolution baseline sees in holes.'),
  baselineMaskChannel: z
    .boolean()
    .default(false)
    .describe("Also give the baseline the mask as a fourth input channel (more than the paper's baseline saw: only the 3-channel image with holes filled)."),
});

/** PyTorch state dicts by their usual extensions; everything else (Keras .h5, tfjs model.json) is caffe by default. */
export function defaultVggPreprocessing(weights: string): 'caffe' | 'torch' {
  return /\.(pth|pt)$/i.test(weights) ? 'torch' : 'caffe';
}

const VggSchema = z
  .strictObject({
    weights: z
      .string()
      .min(1)
      .describe(
        "path: VGG16 weights file: torchvision's .pth (e.g. vgg16-397923af.pth), a Keras notop .h5 (Keras' own, or PConv-Keras' pytorch_to_keras_vgg16.h5) or a TensorFlow.js model.json.",
      ),
    preprocessing: z
      .enum(['caffe', 'torch'])
      .optional()
      .describe(
        "caffe: Keras' imagenet weights (BGR, 0..255 minus the mean pixel); torch: PyTorch's weights, .pth or ported to .h5 (normalised RGB). Unset: torch for a .pth/.pt file, caffe otherwise.",
      ),
  })
  .transform((vgg) => ({ weights: vgg.weights, preprocessing: vgg.preprocessing ?? defaultVggPreprocessing(vgg.weights) }));

/** Whether a loss runs VGG16 features: its perceptual or style weight is above 0 (eq. 7). */
/** What seeds a training (weights, batches, training masks): train.seed, else the master seed. */
export function trainingSeed(config: { readonly seed: number; readonly train?: { readonly seed?: number } | undefined }): number {
  return config.train?.seed ?? config.seed;
}

export function usesVggFeatures(loss: { readonly perceptual: number; readonly style: number }): boolean {
  return loss.perceptual > 0 || loss.style > 0;
}

const BaselineLossSchema = z
  .strictObject({
    valid: nonNegative().optional().describe('Weight of the L1 loss on known pixels, for the baseline (unset: loss.valid).'),
    hole: nonNegative().optional().describe('Weight of the L1 loss in holes, for the baseline (unset: loss.hole).'),
    perceptual: nonNegative().optional().describe('Weight of the VGG16 perceptual loss, for the baseline (unset: loss.perceptual).'),
    style: nonNegative().optional().describe('Weight of the style losses, for the baseline (unset: loss.style).'),
    tv: nonNegative().optional().describe('Weight of the total variation loss, for the baseline (unset: loss.tv).'),
  })
  .describe(
    "Loss weights of the ordinary-convolution baseline only, each overriding the loss.* weight above (unset: PConv's). The paper re-tuned the baseline's weights and did not publish them.",
  );

/** The loss weights one model trains with: loss.* for PConv; loss.* overridden by loss.baseline for the baseline. */
export function lossWeightsOf(
  kind: 'pconv' | 'conv',
  loss: {
    readonly valid: number;
    readonly hole: number;
    readonly perceptual: number;
    readonly style: number;
    readonly tv: number;
    readonly baseline?: z.output<typeof BaselineLossSchema>;
  },
): { valid: number; hole: number; perceptual: number; style: number; tv: number } {
  const own = kind === 'conv' ? (loss.baseline ?? {}) : {};
  return {
    valid: own.valid ?? loss.valid,
    hole: own.hole ?? loss.hole,
    perceptual: own.perceptual ?? loss.perceptual,
    style: own.style ?? loss.style,
    tv: own.tv ?? loss.tv,
  };
}

const LossSchema = z
  .strictObject({
    valid: nonNegative().default(1).describe('Weight of the L1 loss on known pixels (eq. 7: 1).'),
    hole: nonNegative().default(6).describe('Weight of the L1 loss in holes (eq. 7: 6).'),
    perceptual: nonNegative().default(0.05).describe('Weight of the VGG16 perceptual loss (eq. 7: 0.05).'),
    style: nonNegative().default(120).describe('Weight of the style losses on output and composite (eq. 7: 120).'),
    tv: nonNegative().default(0.1).describe('Weight of the total variation loss (eq. 7: 0.1).'),
    baseline: BaselineLossSchema.optional(),
    vgg: VggSchema.optional().describe('VGG16 weights for the perceptual and style terms; required when either weight is above 0.'),
  })
  .superRefine((loss, ctx) => {
    if (usesVggFeatures(loss) && !loss.vgg) {
      ctx.addIssue({
        code: 'custom',
        path: ['vgg'],
        message: 'loss.perceptual and loss.style need VGG16 weights: set loss.vgg.weights to a file, or set both weights to 0',
      });
    } else if (usesVggFeatures(lossWeightsOf('conv', loss)) && !loss.vgg) {
      ctx.addIssue({
        code: 'custom',
        path: ['vgg'],
        message: 'loss.baseline.perceptual and loss.baseline.style need VGG16 weights: set loss.vgg.weights to a file, or set both to 0',
      });
    }
  });

const PhaseSchema = z.strictObject({
  learningRate: z.number().gt(0).describe('Adam learning rate.'),
  steps: z.int().min(0).describe('Training steps of this phase.'),
  freezeEncoderBatchNorm: z.boolean().describe('Use and keep the moving statistics of encoder batch norm (phase 2 of the paper).'),
  freezeEncoderBatchNormAffine: z.boolean().default(false).describe('Also freeze encoder gamma/beta (mmagic: yes; Keras and naoto0804: no).'),
});

const Phase2Schema = PhaseSchema.extend({
  resetOptimizer: z
    .boolean()
    .default(false)
    .describe("Start phase 2 with a fresh Adam (moments zero, step count 0), as PConv-Keras' recompile does; false carries phase 1's state over."),
});

const TrainingMasksSchema = z
  .discriminatedUnion('source', [
    z
      .strictObject({ source: z.literal('generated') })
      .describe('Draw masks on the fly with masks.generator, a bin and border subset picked at random per sample.'),
    z
      .strictObject({
        source: z.literal('import'),
        dir: z.string().min(1).describe('path: a mask set written by `pconv-bench masks import` (the folder that holds manifest.json).'),
        dilation: z
          .tuple([z.int().min(0), z.int().min(0)])
          .default([9, 49])
          .describe('Side of the square dilation kernel, drawn from [min, max] px; [0, 0] for none.'),
        maxRotation: z.number().min(0).max(180).default(180).describe('Rotation drawn from [-maxRotation, maxRotation] degrees.'),
        maxShift: z.number().min(0).max(1).default(0.1).describe('Shift drawn from [-maxShift, maxShift] times the side.'),
        minCrop: z.number().gt(0).max(1).default(0.5).describe('Square crop side as a fraction of the shorter side, drawn from [minCrop, 1].'),
      })
      .describe('Pick masks from an imported set and augment them as the PConv authors did (dilation, rotation, shift, crop).'),
  ])
  .describe("Where training masks come from: generated, or an imported set with the authors' augmentation.");

const TrainSchema = z.strictObject({
  batchSize: positiveInt().default(6).describe('Images per step (paper: 6 at 512 px).'),
  phase1: PhaseSchema.describe('Phase 1: batch norm in training mode everywhere (paper: 2e-4).'),
  phase2: Phase2Schema.describe('Phase 2 (fine-tuning): encoder batch norm frozen (paper: 5e-5).'),
  checkpointEvery: positiveInt().default(1000).describe('Steps between checkpoints.'),
  validateEvery: positiveInt()
    .default(1000)
    .describe('Steps between validation passes (loss, PSNR, SSIM and hole L1 of the composited predictions, and a grid of sample images).'),
  masks: TrainingMasksSchema.prefault({ source: 'generated' }),
  seed: z
    .int()
    .min(0)
    .max(0xffffffff)
    .optional()
    .describe(
      "Training's own seed: weight initialisation, batch order and training masks (default: the master seed). Vary this, not seed, to repeat a training over the same splits and test masks, so that `compare` pairs the runs and shows the seed-to-seed spread.",
    ),
});

const CheckSchema = z.strictObject({
  tolerances: z
    .strictObject({
      l1Hole: nonNegative().default(0.5).describe('Allowed worsening of mean hole L1 (x100) per bin, model and subset.'),
      l1: nonNegative().default(0.2).describe('Allowed worsening of mean whole-image L1 (x100).'),
      psnr: nonNegative().default(0.3).describe('Allowed drop of mean PSNR in dB.'),
      ssim: nonNegative().default(0.01).describe('Allowed drop of mean SSIM.'),
    })
    .prefault({})
    .describe('How far a metric may move the wrong way before `pconv-bench check` fails; flags override.'),
});

const OutputSchema = z.strictObject({
  dir: z.string().min(1).default('reports').describe('path: folder that receives run folders (<dir>/<name>/...).'),
});

/** Names of the rows pconv-bench makes itself: a published model may not take one. */
export const BUILT_IN_MODEL_NAMES: readonly string[] = [MODEL_NAMES.pconv, MODEL_NAMES.conv, TELEA_NAME];

export const PublishedModelEntrySchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(80)
      .refine((name) => !BUILT_IN_MODEL_NAMES.includes(name), { error: `taken by a built-in row (${BUILT_IN_MODEL_NAMES.join(', ')})` })
      .describe("The model's row label in results.json and the report; unique, and not one of the built-in rows."),
    format: z
      .enum(PUBLISHED_FORMATS)
      .describe("Where the weights come from: pconv-keras-h5 (PConv-Keras' .h5) or pytorch-pconv (naoto0804's pytorch-inpainting-with-partial-conv .pth)."),
    file: z.string().min(1).describe('path: the weights file.'),
  })
  .describe("A published model (weights trained by another project), scored by eval on the same pairs as the run's own models.");

const ModelsSchema = z
  .array(PublishedModelEntrySchema)
  .superRefine((models, ctx) => {
    const seen = new Set<string>();
    for (const [i, model] of models.entries()) {
      if (seen.has(model.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${JSON.stringify(model.name)} names another model of this list too` });
      seen.add(model.name);
    }
  })
  .describe("Published models to score next to the run's own (eval): each { name, format, file }.");

export const ExperimentConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema of this file, for editors.'),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, ".", "_" and "-" (it names a folder)')
      .describe('Experiment name; names its folder under output.dir.'),
    description: z.string().optional().describe('Free text for the report.'),
    seed: z.int().min(0).max(0xffffffff).default(0).describe('Master seed: masks, splits and training derive their seeds from it.'),
    data: DataConfigSchema,
    masks: MasksSchema.prefault({}),
    model: ModelSchema.prefault({}),
    loss: LossSchema.prefault({}),
    train: TrainSchema.optional().describe('Training of both models in two phases; required by the train and run commands.'),
    check: CheckSchema.prefault({}),
    output: OutputSchema.prefault({}),
    models: ModelsSchema.optional(),
  })
  .superRefine((config, ctx) => {
    // zod runs this even when a key failed its own check (imageSize: -32 is "too small" but still a
    // number): a rule across keys is applied only when each key it reads is valid on its own, or it
    // would add a second, nonsensical problem ("use a margin below -16") to the real one.
    const size = valid(DataSchema.shape.imageSize, config.data.imageSize);
    const levels = valid(ModelSchema.shape.levels, config.model.levels);
    const margin = valid(BorderSchema.shape.margin, config.masks.border.margin);
    const stride = 2 ** config.model.levels;
    if (size && levels && config.data.imageSize % stride !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'imageSize'],
        message: `must be a multiple of 2^model.levels = ${stride} (model.levels is ${config.model.levels}); lower model.levels or change the size`,
      });
    }
    if (size && margin && 2 * (config.masks.border.margin ?? 0) >= config.data.imageSize) {
      ctx.addIssue({
        code: 'custom',
        path: ['masks', 'border', 'margin'],
        message: `a ${config.masks.border.margin}px frame leaves nothing inside a ${config.data.imageSize}px image; use a margin below ${Math.ceil(config.data.imageSize / 2)}`,
      });
    }
  })
  // masks.border.margin unset: the paper's 50 px at 512 px scaled to data.imageSize (src/core/masks/border-margin.ts).
  .transform((config) => {
    const { margin, ...border } = config.masks.border;
    return { ...config, masks: { ...config.masks, border: { margin: margin ?? paperBorderMargin(config.data.imageSize), ...border } } };
  });

/** Whether `value` passes `schema` alone (for cross-key rules, which must not judge an invalid key twice). */
function valid(schema: z.ZodType, value: unknown): boolean {
  return schema.safeParse(value).success;
}

export type ExperimentConfig = z.output<typeof ExperimentConfigSchema>;
export type ExperimentConfigInput = z.input<typeof ExperimentConfigSchema>;
export type MasksConfig = ExperimentConfig['masks'];

/** Config keys that hold paths; the loader resolves them against the config file's folder. */
export const PATH_KEYS: readonly (readonly string[])[] = [
  ['data', 'root'],
  ['data', 'train', 'dir'],
  ['data', 'validation', 'dir'],
  ['data', 'test', 'dir'],
  ['loss', 'vgg', 'weights'],
  ['output', 'dir'],
];

/** Config keys that hold a list of mappings with a path key, e.g. models[].file (resolved the same way). */
export const LIST_PATH_KEYS: readonly (readonly [string, string])[] = [['models', 'file']];

export type PublishedModelEntry = z.output<typeof PublishedModelEntrySchema>;
