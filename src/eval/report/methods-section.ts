import { borderMarginRule } from '../../core/masks/border-margin.js';
import type { Results } from '../../protocol/results.js';
import { escapeHtml } from './escape-html.js';

/**
 * The report's methods section: everything that defines the experiment, in prose a reviewer reads
 * in a minute. Every fact comes from the run folder: results.json (its resolved config, masks,
 * images, models, backend) and training.json (the split sizes and the backend training ran on).
 * Both are read defensively: a key that an older or newer pconv-bench did not write is said to be
 * "not recorded", never guessed. No I/O and no node:* imports (the VS Code extension renders it).
 */
export interface MethodsInput {
  readonly results: Results;
  /** The run's training.json as parsed, if there is one (its shape is not trusted). */
  readonly trainingRecord?: unknown;
}

/** One paragraph of the section: a topic and its sentences. */
export interface MethodsParagraph {
  readonly topic: string;
  readonly text: string;
}

type Loose = Record<string, unknown>;

function at(value: unknown, path: string): unknown {
  let node = value;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Loose)[key];
  }
  return node;
}
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);
const bool = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined);

/** 500000 -> "500,000"; 0.0002 -> "2e-4"; 0.05 -> "0.05". */
function fmt(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) < 0.001) return value.toExponential();
  return String(value);
}

/** The last part of a path, for prose (the full config is in the page's footer). */
function lastPart(path: string): string {
  const parts = path.replace(/[\\/]+$/, '').split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

function dataParagraph(results: Results, training: unknown): string {
  const config = results.config;
  const size = results.masks.width;
  const root = str(at(config, 'data.root'));
  const trainDir = str(at(config, 'data.train')) ?? str(at(config, 'data.train.dir'));
  const testDir = str(at(config, 'data.test')) ?? str(at(config, 'data.test.dir'));
  const testFraction = num(at(config, 'data.testFraction'));
  const validationFraction = num(at(config, 'data.validationFraction'));
  const seed = num(at(config, 'seed'));
  const trainCount = num(at(training, 'images.train'));
  const validationCount = num(at(training, 'images.validation'));
  const testCount = results.images.count;
  const counts =
    trainCount !== undefined && validationCount !== undefined
      ? `${fmt(trainCount)} training, ${fmt(validationCount)} validation and ${fmt(testCount)} test images`
      : `${fmt(testCount)} test images (training and validation counts not recorded in this run folder)`;
  let source: string;
  if (trainDir) {
    source = `training images from ${lastPart(trainDir)}${testDir ? `, test images from ${lastPart(testDir)}` : ''}`;
  } else if (root) {
    const fractions =
      testFraction !== undefined && validationFraction !== undefined ? ` (test ${testFraction}, validation ${validationFraction} of the images)` : '';
    source = `the images under ${lastPart(root)}, split by a hash of each file name and the seed${fractions}`;
  } else {
    source = 'images whose folder is not recorded';
  }
  const seedText =
    seed === undefined
      ? ''
      : ` Master seed ${seed}: the split, the masks, the weight initialisation, the training crops and training masks all derive their seeds from it.`;
  return `${counts}: ${source}. Training sees random ${size}x${size} crops (a random zoom between covering the square and the photo's own resolution, random horizontal flip); evaluation the photo resized to cover ${size}x${size} and centre-cropped.${seedText}`;
}

function generatorText(generator: unknown): string {
  const kind = str(at(generator, 'kind'));
  if (kind === 'pconv-keras') {
    const shapes = (['lines', 'circles', 'ellipses'] as const).filter((k) => at(generator, k) !== false);
    const factor = num(at(generator, 'sizeFactor'));
    const min = num(at(generator, 'minThickness'));
    const sizes = factor !== undefined ? `, sizes up to (W+H) x ${factor}${min !== undefined ? `, at least ${min} px` : ''}` : '';
    return `PConv-Keras' recipe (${shapes.join(', ') || 'no shapes'}${sizes})`;
  }
  if (kind === 'strokes') return `LaMa's brush strokes (preset ${str(at(generator, 'preset')) ?? 'not recorded'})`;
  return kind ? `the ${kind} generator` : 'a generator not recorded';
}

function masksParagraph(results: Results): string {
  const config = results.config;
  const { masks, images } = results;
  const bins = [...new Map(results.rows.map((r) => [r.binIndex, r.bin])).entries()].sort((a, b) => a[0] - b[0]).map(([, bin]) => bin);
  const perBin = num(at(config, 'masks.perBin'));
  const subsets = at(config, 'masks.border.subsets');
  const subsetText = Array.isArray(subsets) && subsets.length > 0 ? subsets.join(' and ') : 'no-border and border';
  const perBinText = perBin !== undefined ? `, ${fmt(perBin)} per bin and subset (${subsetText})` : ` (${subsetText})`;
  const margin = `A mask is "no-border" when no hole pixel lies within ${masks.borderMargin} px of the edge (${borderMarginRule(masks.borderMargin, masks.width)}), "border" otherwise.`;
  const trainSource = str(at(config, 'train.masks.source'));
  const trainMasks =
    trainSource === 'import'
      ? ` Training masks: picked from the imported set ${lastPart(str(at(config, 'train.masks.dir')) ?? '?')} and augmented as the PConv authors did (dilation, rotation, shift, crop).`
      : trainSource === 'generated'
        ? ' Training masks: drawn on the fly by the same generator, a bin and subset at random per sample (never the test masks).'
        : '';
  return `${fmt(masks.count)} test masks of ${masks.width}x${masks.height} drawn by ${generatorText(at(config, 'masks.generator'))}, binned by hole ratio, rule ${masks.binRule}, into ${bins.join(', ') || 'no bins'}${perBinText}. ${margin} Mask k is paired with test image k mod ${fmt(images.count)}: ${fmt(images.pairs)} (image, mask) pairs, the same for every model.${trainMasks}`;
}

const FILLS: Record<string, string> = { 'mean-pixel': 'the ImageNet mean pixel', grey: 'grey (0.5)' };

/** What a trained model is given: results' own record (format @3) first, else the config's settings. */
function inputText(model: Results['models'][number], config: Loose): string {
  const recorded = (model as Loose).input;
  const holes = str(at(recorded, 'holes'));
  const mask = str(at(recorded, 'mask'));
  if (model.kind === 'pconv') return 'the image with holes zeroed and the mask through its partial convolutions';
  const fill = holes ?? str(at(config, 'model.baselineFill'));
  // A config from before model.baselineMaskChannel existed trained the only baseline there was: mask as a fourth channel.
  const channel = mask ? mask === 'channel' : (bool(at(config, 'model.baselineMaskChannel')) ?? true);
  const fillText = fill ? `the image with holes filled by ${FILLS[fill] ?? fill}` : 'the image with holes filled (fill not recorded)';
  return `${fillText}${channel ? ', plus the mask as a fourth input channel' : ', no mask channel'}`;
}

const TERMS = ['valid', 'hole', 'perceptual', 'style', 'tv'] as const;

/** The loss weights a trained model used: results' record first, else loss.* (and loss.baseline for the baseline). */
function lossText(model: Results['models'][number], config: Loose): string {
  const recorded = (model as Loose).lossWeights;
  const weight = (term: (typeof TERMS)[number]) =>
    num(at(recorded, term)) ?? (model.kind === 'conv' ? num(at(config, `loss.baseline.${term}`)) : undefined) ?? num(at(config, `loss.${term}`));
  const parts = TERMS.map((term) => {
    const w = weight(term);
    return `${term} ${w === undefined ? '?' : fmt(w)}`;
  });
  return `loss weights (eq. 7) ${parts.join(', ')}`;
}

function modelsParagraph(results: Results): string {
  const config = results.config;
  const levels = num(at(config, 'model.levels'));
  const base = num(at(config, 'model.baseChannels'));
  const max = num(at(config, 'model.maxChannels'));
  const head = str(at(config, 'model.head'));
  const padding = str(at(config, 'model.padding'));
  const net =
    levels !== undefined
      ? `A ${levels}-level UNet, ${base ?? '?'} to ${max ?? '?'} channels, output head ${head ?? 'not recorded'}${padding ? `, padding ${padding}` : ''}`
      : 'A UNet whose settings are not recorded';
  const models = results.models.map((m) => {
    if (m.kind === 'classical') return `${m.name}: classical inpainting, untrained, given the image with holes and the mask.`;
    if (m.kind === 'external') return `${m.name}: another tool's outputs for the exported pairs, composited and scored the same way.`;
    if (m.kind === 'published') {
      const p = m.published;
      const from = p ? `${p.format} weights from ${p.file} (sha256 ${p.sha256.slice(0, 12)})` : 'published weights';
      return `${m.name}: a published model, not trained here: ${from}, run at the same size on the same pairs, composited and scored the same way.`;
    }
    const layers = m.kind === 'pconv' ? 'partial convolutions' : 'ordinary convolutions';
    const trained = m.step !== null ? `, ${fmt(m.step)} steps trained` : ', not trained';
    return `${m.name}: ${layers}, given ${inputText(m, config)}; ${lossText(m, config)}${trained}.`;
  });
  // Only the models trained here are that UNet; published and classical ones say what they are.
  const trainedHere = results.models.some((m) => m.kind === 'pconv' || m.kind === 'conv');
  return `${trainedHere ? `${net}; each model trained here is that UNet. ` : ''}${models.join(' ')} Metrics are computed on the composite (known pixels copied back).`;
}

function vggParagraph(results: Results, training: unknown): string {
  const config = results.config;
  const weights = str(at(config, 'loss.vgg.weights')) ?? str(at(training, 'loss.vgg.weights'));
  const preprocessing = str(at(config, 'loss.vgg.preprocessing')) ?? str(at(training, 'loss.vgg.preprocessing'));
  const perceptual = num(at(config, 'loss.perceptual'));
  const style = num(at(config, 'loss.style'));
  const anyBaseline = TERMS.some((t) => (t === 'perceptual' || t === 'style') && (num(at(config, `loss.baseline.${t}`)) ?? 0) > 0);
  if (!weights) {
    if (perceptual === 0 && style === 0 && !anyBaseline) return 'Perceptual and style terms off (weights 0): no VGG16 features were computed.';
    return 'VGG16 weights not recorded.';
  }
  const pre =
    preprocessing === 'torch'
      ? 'torch preprocessing (RGB on [0, 1], minus the ImageNet mean, over its standard deviation)'
      : preprocessing === 'caffe'
        ? "caffe preprocessing (BGR on 0..255 minus the mean pixel, Keras' weights)"
        : 'preprocessing not recorded';
  return `Perceptual and style terms on VGG16's frozen pool1..pool3 features from ${lastPart(weights)}, ${pre}.`;
}

function phaseText(phase: unknown, n: 1 | 2): string {
  const steps = num(at(phase, 'steps'));
  const lr = num(at(phase, 'learningRate'));
  if (steps === undefined || lr === undefined) return `phase ${n} not recorded`;
  const frozen = bool(at(phase, 'freezeEncoderBatchNorm'));
  const affine = bool(at(phase, 'freezeEncoderBatchNormAffine'));
  const reset = bool(at(phase, 'resetOptimizer'));
  const bn = frozen
    ? `encoder batch norm frozen (moving statistics${affine ? ', gamma and beta too' : '; gamma and beta still train'})`
    : 'batch norm in training mode everywhere';
  return `phase ${n}: ${fmt(steps)} steps at learning rate ${fmt(lr)}, ${bn}${reset ? ', Adam restarted' : ''}`;
}

function trainingParagraph(results: Results): string {
  const config = results.config;
  const train = at(config, 'train');
  if (train === undefined) return 'No training settings recorded.';
  const batch = num(at(train, 'batchSize'));
  const steps1 = num(at(train, 'phase1.steps'));
  const steps2 = num(at(train, 'phase2.steps'));
  const total = steps1 !== undefined && steps2 !== undefined ? `, ${fmt(steps1 + steps2)} steps in all` : '';
  return `Adam (beta1 0.9, beta2 0.999, epsilon 1e-8), batch ${batch ?? '?'}${total}; ${phaseText(at(train, 'phase1'), 1)}; ${phaseText(at(train, 'phase2'), 2)}. Both models train with the same settings, data order and masks.`;
}

function backendParagraph(results: Results, training: unknown): string {
  const trained = str(at(training, 'backend.name'));
  const details = [str(at(training, 'backend.version')), str(at(training, 'backend.device'))].filter(Boolean).join('; ');
  const trainText = trained ? `Trained on TensorFlow.js ${trained}${details ? ` (${details})` : ''}` : 'Training backend not recorded';
  const { backend } = results;
  const inference = backend.inference ? `, models run forward by ${backend.inference}` : '';
  return `${trainText}; evaluated on ${backend.name} (${backend.version}; ${backend.device})${inference}.`;
}

/** The section's paragraphs, in reading order. */
export function methodsParagraphs(input: MethodsInput): MethodsParagraph[] {
  const { results, trainingRecord } = input;
  return [
    { topic: 'Data', text: dataParagraph(results, trainingRecord) },
    { topic: 'Test masks', text: masksParagraph(results) },
    { topic: 'Models', text: modelsParagraph(results) },
    { topic: 'VGG16', text: vggParagraph(results, trainingRecord) },
    { topic: 'Training', text: trainingParagraph(results) },
    { topic: 'Software', text: backendParagraph(results, trainingRecord) },
  ];
}

/** The section as plain text, one paragraph a line (for tests and terminals). */
export function methodsText(input: MethodsInput): string {
  return methodsParagraphs(input)
    .map((p) => `${p.topic}. ${p.text}`)
    .join('\n');
}

/** <section id="methods">: the paragraphs as a definition list, every text HTML-escaped. */
export function renderMethodsSection(input: MethodsInput): string {
  const items = methodsParagraphs(input)
    .map((p) => `<dt>${escapeHtml(p.topic)}</dt><dd>${escapeHtml(p.text)}</dd>`)
    .join('\n');
  return `<section id="methods"><h2>Methods</h2>
<dl class="methods">
${items}
</dl></section>`;
}
