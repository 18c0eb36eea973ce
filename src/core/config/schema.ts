import { z } from 'zod';
import { type Bin, binProblems, binsFromEdges, PAPER_BIN_EDGES } from '../masks/bins.js';

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
  .describe("PConv-Keras' recipe: lines, filled circles and ellipse outlines (REFERENCE.md section 7).");

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
  margin: positiveInt().default(8).describe('A mask is "no-border" when no hole pixel lies within this many px of the image edge; stated in every report.'),
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

const DataSchema = z.strictObject({
  root: z.string().min(1).describe('path: folder that holds the images.'),
  include: z
    .array(z.string().min(1))
    .min(1)
    .default(['**/*.{jpg,jpeg,png,webp,tif,tiff}'])
    .describe('fast-glob patterns, relative to data.root, of the images to use.'),
  exclude: z.array(z.string().min(1)).default([]).describe('fast-glob patterns to leave out.'),
  imageSize: z.int().min(8).max(4096).describe('Side in px of the square crops that models see; masks are generated at this size.'),
  testFraction: z.number().gt(0).lt(1).default(0.1).describe('Share of the images held out as the test split.'),
  validationFraction: z.number().min(0).lt(1).default(0.05).describe('Share of the images held out for validation during training.'),
});

const ModelSchema = z.strictObject({
  levels: z.int().min(2).max(8).default(8).describe('Encoder depth: 8 at 512 px, 7 at 256 (the paper, mmagic).'),
  baseChannels: positiveInt().default(64).describe('Channels of the first encoder layer (paper: 64); doubles per level up to maxChannels.'),
  maxChannels: positiveInt().default(512).describe('Channel cap of the deeper layers (paper: 512).'),
  head: z.enum(['none', 'sigmoid']).default('none').describe('Output head: none (paper) or a 1x1 convolution + sigmoid (PConv-Keras).'),
  baselineFill: z.enum(['mean-pixel', 'grey']).default('mean-pixel').describe('What the ordinary-convolution baseline sees in holes.'),
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
export function usesVggFeatures(loss: { readonly perceptual: number; readonly style: number }): boolean {
  return loss.perceptual > 0 || loss.style > 0;
}

const LossSchema = z
  .strictObject({
    valid: nonNegative().default(1).describe('Weight of the L1 loss on known pixels (eq. 7: 1).'),
    hole: nonNegative().default(6).describe('Weight of the L1 loss in holes (eq. 7: 6).'),
    perceptual: nonNegative().default(0.05).describe('Weight of the VGG16 perceptual loss (eq. 7: 0.05).'),
    style: nonNegative().default(120).describe('Weight of the style losses on output and composite (eq. 7: 120).'),
    tv: nonNegative().default(0.1).describe('Weight of the total variation loss (eq. 7: 0.1).'),
    vgg: VggSchema.optional().describe('VGG16 weights for the perceptual and style terms; required when either weight is above 0.'),
  })
  .superRefine((loss, ctx) => {
    if (usesVggFeatures(loss) && !loss.vgg) {
      ctx.addIssue({
        code: 'custom',
        path: ['vgg'],
        message: 'loss.perceptual and loss.style need VGG16 weights: set loss.vgg.weights to a file, or set both weights to 0',
      });
    }
  });

const PhaseSchema = z.strictObject({
  learningRate: z.number().gt(0).describe('Adam learning rate.'),
  steps: z.int().min(0).describe('Training steps of this phase.'),
  freezeEncoderBatchNorm: z.boolean().describe('Use and keep the moving statistics of encoder batch norm (phase 2 of the paper).'),
  freezeEncoderBatchNormAffine: z.boolean().default(false).describe('Also freeze encoder gamma/beta (mmagic: yes; Keras and naoto0804: no).'),
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
  phase2: PhaseSchema.describe('Phase 2 (fine-tuning): encoder batch norm frozen (paper: 5e-5).'),
  checkpointEvery: positiveInt().default(1000).describe('Steps between checkpoints.'),
  validateEvery: positiveInt().default(1000).describe('Steps between validation passes (loss and a grid of sample images).'),
  masks: TrainingMasksSchema.prefault({ source: 'generated' }),
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

export const ExperimentConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema of this file, for editors.'),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, ".", "_" and "-" (it names a folder)')
      .describe('Experiment name; names its folder under output.dir.'),
    description: z.string().optional().describe('Free text for the report.'),
    seed: z.int().min(0).max(0xffffffff).default(0).describe('Master seed: masks, splits and training derive their seeds from it.'),
    data: DataSchema,
    masks: MasksSchema.prefault({}),
    model: ModelSchema.prefault({}),
    loss: LossSchema.prefault({}),
    train: TrainSchema.optional().describe('Training of both models in two phases; required by the train and run commands.'),
    check: CheckSchema.prefault({}),
    output: OutputSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    // zod runs this even when a key failed its own check (imageSize: -32 is "too small" but still a
    // number): a rule across keys is applied only when each key it reads is valid on its own, or it
    // would add a second, nonsensical problem ("use a margin below -16") to the real one.
    const size = valid(DataSchema.shape.imageSize, config.data.imageSize);
    const levels = valid(ModelSchema.shape.levels, config.model.levels);
    const margin = valid(BorderSchema.shape.margin, config.masks.border.margin);
    const fractions =
      valid(DataSchema.shape.testFraction, config.data.testFraction) && valid(DataSchema.shape.validationFraction, config.data.validationFraction);
    const stride = 2 ** config.model.levels;
    if (size && levels && config.data.imageSize % stride !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'imageSize'],
        message: `must be a multiple of 2^model.levels = ${stride} (model.levels is ${config.model.levels}); lower model.levels or change the size`,
      });
    }
    if (size && margin && 2 * config.masks.border.margin >= config.data.imageSize) {
      ctx.addIssue({
        code: 'custom',
        path: ['masks', 'border', 'margin'],
        message: `a ${config.masks.border.margin}px frame leaves nothing inside a ${config.data.imageSize}px image; use a margin below ${Math.ceil(config.data.imageSize / 2)}`,
      });
    }
    if (fractions && config.data.testFraction + config.data.validationFraction >= 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'validationFraction'],
        message: 'data.testFraction + data.validationFraction must leave images for training (sum below 1)',
      });
    }
  });

/** Whether `value` passes `schema` alone (for cross-key rules, which must not judge an invalid key twice). */
function valid(schema: z.ZodType, value: unknown): boolean {
  return schema.safeParse(value).success;
}

export type ExperimentConfig = z.output<typeof ExperimentConfigSchema>;
export type ExperimentConfigInput = z.input<typeof ExperimentConfigSchema>;
export type MaskGenerator = z.output<typeof MaskGeneratorSchema>;
export type MasksConfig = ExperimentConfig['masks'];

/** Config keys that hold paths; the loader resolves them against the config file's folder. */
export const PATH_KEYS: readonly (readonly string[])[] = [
  ['data', 'root'],
  ['loss', 'vgg', 'weights'],
  ['output', 'dir'],
];
