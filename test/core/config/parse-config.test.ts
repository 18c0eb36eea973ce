import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { experimentJsonSchemaText } from '../../../src/core/config/json-schema.js';
import { loadConfig } from '../../../src/core/config/load-config.js';
import { parseConfig } from '../../../src/core/config/parse-config.js';
import { problemsOf } from '../../helpers/config-problems.js';

/** The paper's six hole-ratio bins. */
const PAPER_BINS = [
  [0.01, 0.1],
  [0.1, 0.2],
  [0.2, 0.3],
  [0.3, 0.4],
  [0.4, 0.5],
  [0.5, 0.6],
];

const configsDir = resolve(import.meta.dirname, '../../../configs');
const yamlFiles = readdirSync(configsDir).filter((f) => f.endsWith('.yaml'));

const minimal = 'name: t\ndata:\n  root: photos\n  imageSize: 256\nloss:\n  perceptual: 0\n  style: 0\n';

describe('shipped configs', () => {
  test('there are the four documented configs', () => {
    expect(yamlFiles.sort()).toEqual(['demo.yaml', 'gpu-rehearsal.yaml', 'imagenet.yaml', 'smoke.yaml']);
  });

  test.each(yamlFiles)('%s is valid and starts with the yaml-language-server $schema line', async (file) => {
    const text = readFileSync(join(configsDir, file), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./experiment.schema.json');
    const { config } = await loadConfig(join(configsDir, file));
    expect(config.name).toMatch(/^[a-z0-9]/);
  });

  test("imagenet.yaml is the paper's setup", async () => {
    const { config } = await loadConfig(join(configsDir, 'imagenet.yaml'));
    expect(config.data.imageSize).toBe(512);
    expect(config.model.levels).toBe(8);
    expect(config.train?.batchSize).toBe(6);
    expect(config.loss).toMatchObject({ valid: 1, hole: 6, perceptual: 0.05, style: 120, tv: 0.1 });
    expect(config.train?.phase1).toMatchObject({ learningRate: 2e-4, freezeEncoderBatchNorm: false });
    expect(config.train?.phase2).toMatchObject({ learningRate: 5e-5, freezeEncoderBatchNorm: true });
    expect(config.masks.bins).toEqual(PAPER_BINS);
    expect(config.masks.border.subsets).toEqual(['no-border', 'border']);
    // The paper's no-border split keeps every hole at least 50 px from the edge of its 512x512 masks.
    expect(config.masks.border.margin).toBe(50);
    // Eq. 7's weights suit PyTorch's VGG16 fed normalised RGB, not Keras' caffe weights.
    expect(config.loss.vgg).toEqual({ weights: '/data/weights/vgg16-397923af.pth', preprocessing: 'torch' });
  });

  test("gpu-rehearsal.yaml is the paper's UNet, masks and 1,200 test pairs at 512 px on the shipped photos, sized for one GPU call", async () => {
    const { config } = await loadConfig(join(configsDir, 'gpu-rehearsal.yaml'));
    expect(config.data.imageSize).toBe(512);
    // Training crops of the 256 px photos are scaled up; evaluation refuses test images under
    // data.imageSize, so the test folder holds other photos of at least 512 px.
    const train = config.data.train?.dir as string;
    const test = config.data.test?.dir as string;
    expect(train).toBe(resolve(configsDir, '../data/photos'));
    expect(test).toBe(resolve(configsDir, '../data/photos-512'));
    const photos = (dir: string) => readdirSync(dir).filter((f) => /\.(png|jpg)$/.test(f));
    const id = (file: string) => file.replace(/\.(png|jpg)$/, '');
    const trainIds = new Set(photos(train).map(id));
    expect(photos(test)).toHaveLength(12);
    for (const file of photos(test)) {
      expect(trainIds.has(id(file)), file).toBe(false);
      const { width = 0, height = 0 } = await sharp(join(test, file)).metadata();
      expect(Math.min(width, height), file).toBeGreaterThanOrEqual(512);
    }
    expect(config.model).toMatchObject({ levels: 8, baseChannels: 64, maxChannels: 512 });
    expect(config.masks.bins).toEqual(PAPER_BINS);
    expect(config.masks.border).toEqual({ margin: 50, subsets: ['no-border', 'border'] });
    expect(config.masks.bins.length * config.masks.border.subsets.length * config.masks.perBin).toBe(1200);
    // The step times its comment budgets (~0.2 s at batch 4, loss without VGG16 terms): a few hundred
    // steps a phase, ~4 minutes of training for both models, validated along the way.
    expect(config.train?.batchSize).toBe(4);
    expect(config.loss).toMatchObject({ perceptual: 0, style: 0 });
    const steps = (config.train?.phase1.steps ?? 0) + (config.train?.phase2.steps ?? 0);
    expect(config.train?.phase1.steps).toBeGreaterThanOrEqual(200);
    expect(config.train?.phase2.steps).toBeGreaterThanOrEqual(200);
    expect(2 * steps * 0.2).toBeLessThanOrEqual(240);
    expect(config.train?.validateEvery).toBeLessThan(steps);
  });

  test('the demo uses the photos the repo ships', async () => {
    const { config } = await loadConfig(join(configsDir, 'demo.yaml'));
    expect(config.data.root).toBe(resolve(configsDir, '../data/photos'));
  });

  test('configs/experiment.schema.json is up to date with the zod schema (regenerate: npm run schema)', () => {
    expect(readFileSync(join(configsDir, 'experiment.schema.json'), 'utf8')).toBe(experimentJsonSchemaText());
  });
});

describe('parseConfig', () => {
  test('fills defaults and resolves relative paths against the config folder', () => {
    const config = parseConfig(`${minimal}output:\n  dir: ../out\n`, 'exp.yaml', '/base/configs');
    expect(config.data.root).toBe('/base/configs/photos');
    expect(config.output.dir).toBe('/base/out');
    expect(config.masks.binRule).toBe('(lo,hi]');
    // Unset, the margin is the paper's 50 px at 512 px scaled to data.imageSize: 25 px at 256.
    expect(config.masks.border).toEqual({ margin: 25, subsets: ['no-border', 'border'] });
    expect(config.masks.generator).toEqual({ kind: 'pconv-keras', sizeFactor: 0.03, minThickness: 3, lines: true, circles: true, ellipses: true });
  });

  test("masks.border.margin: set, it is kept; unset, the paper's 50 px at 512 px scaled to data.imageSize", () => {
    const sized = (size: number, levels: number, border = '') =>
      parseConfig(minimal.replace('imageSize: 256', `imageSize: ${size}\nmodel:\n  levels: ${levels}`) + border, 'exp.yaml', '/base').masks.border.margin;
    expect(sized(512, 8)).toBe(50);
    expect(sized(64, 5)).toBe(6);
    expect(sized(32, 3)).toBe(3);
    expect(sized(8, 2)).toBe(1);
    expect(sized(64, 5, 'masks:\n  border:\n    margin: 4\n')).toBe(4);
  });

  test('absolute paths stay as they are', () => {
    expect(parseConfig(minimal.replace('root: photos', 'root: /data/x'), 'exp.yaml', '/base').data.root).toBe('/data/x');
  });

  test('unknown keys are errors, at their line', () => {
    expect(problemsOf(`${minimal}masks:\n  perbin: 3\n  generator: { kind: strokes, presett: thin }\n`)).toMatchInlineSnapshot(`
      [
        "exp.yaml:9:3 masks.perbin: unknown key (check its spelling and section)",
        "exp.yaml:10:31 masks.generator.presett: unknown key (check its spelling and section)",
      ]
    `);
  });

  test('wrong types, missing keys and bad values are each named with their path', () => {
    expect(problemsOf('name: Bad Name\nseed: -1\ndata:\n  imageSize: big\nloss: { perceptual: 0, style: 0 }\n')).toMatchInlineSnapshot(`
      [
        "exp.yaml:1:7 name: use lower-case letters, digits, ".", "_" and "-" (it names a folder)",
        "exp.yaml:2:7 seed: Too small: expected number to be >=0",
        "exp.yaml:3:1 data.root: required key is missing: set data.root (one folder, split by fractions) or data.train and data.test (a folder per split)",
        "exp.yaml:4:14 data.imageSize: Invalid input: expected number, received string",
      ]
    `);
  });

  test('overlapping and out-of-range bins', () => {
    expect(problemsOf(`${minimal}masks:\n  bins: [[0.1, 0.3], [0.2, 0.4], [0.5, 1.5]]\n`)).toMatchInlineSnapshot(`
      [
        "exp.yaml:9:22 masks.bins[1]: bin [0.2, 0.4] overlaps or precedes bin 0 [0.1, 0.3]; list bins in increasing, non-overlapping order",
        "exp.yaml:9:34 masks.bins[2]: bin [0.5, 1.5] lies outside (0, 1]; hole ratios are fractions",
      ]
    `);
  });

  test('an unknown generator kind', () => {
    expect(problemsOf(`${minimal}masks:\n  generator:\n    kind: nvidia\n`)).toMatchInlineSnapshot(`
      [
        "exp.yaml:10:11 masks.generator.kind: Invalid discriminator value. Expected 'pconv-keras' | 'strokes'",
      ]
    `);
  });

  test('perceptual or style terms without VGG16 weights', () => {
    expect(problemsOf('name: t\ndata:\n  root: photos\n  imageSize: 256\n')).toMatchInlineSnapshot(`
      [
        "exp.yaml:1:1 loss.vgg: loss.perceptual and loss.style need VGG16 weights: set loss.vgg.weights to a file, or set both weights to 0",
      ]
    `);
  });

  test('loss.vgg.preprocessing, when unset, follows the weights file: torch for .pth/.pt, caffe otherwise', () => {
    const vgg = (lines: string) => parseConfig(`name: t\ndata:\n  root: photos\n  imageSize: 256\nloss:\n  vgg:\n${lines}`, 'exp.yaml', '/base').loss.vgg;
    expect(vgg('    weights: /w/vgg16-397923af.pth\n')?.preprocessing).toBe('torch');
    expect(vgg('    weights: /w/VGG16.PT\n')?.preprocessing).toBe('torch');
    expect(vgg('    weights: /w/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5\n')?.preprocessing).toBe('caffe');
    expect(vgg('    weights: /w/model.json\n')?.preprocessing).toBe('caffe');
    expect(vgg('    weights: /w/pytorch_to_keras_vgg16.h5\n    preprocessing: torch\n')?.preprocessing).toBe('torch');
    expect(vgg('    weights: /w/vgg16_caffe.pth\n    preprocessing: caffe\n')).toEqual({ weights: '/w/vgg16_caffe.pth', preprocessing: 'caffe' });
  });

  test('an image size the UNet depth cannot halve that often', () => {
    expect(problemsOf(minimal.replace('imageSize: 256', 'imageSize: 100'))).toMatchInlineSnapshot(`
      [
        "exp.yaml:4:14 data.imageSize: must be a multiple of 2^model.levels = 256 (model.levels is 8); lower model.levels or change the size",
      ]
    `);
  });

  test('YAML syntax errors name line and column', () => {
    expect(problemsOf('name: t\ndata:\n  root: [photos\n  imageSize: 3\n')).toMatchInlineSnapshot(`
      [
        "exp.yaml:4:3: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
      ]
    `);
    expect(problemsOf('name: t\nname: u\n')).toMatchInlineSnapshot(`
      [
        "exp.yaml:2:1: YAML syntax error: Map keys must be unique",
      ]
    `);
  });

  test('a file that is not a mapping', () => {
    expect(problemsOf('- just\n- a list\n')).toMatchInlineSnapshot(`
      [
        "exp.yaml:1:1: the file must hold a YAML mapping of keys (name, data, masks, ...)",
      ]
    `);
  });

  test('a missing config file is a user error with a hint', async () => {
    await expect(loadConfig('/nonexistent/exp.yaml')).rejects.toMatchObject({ code: 'CONFIG_UNREADABLE', hint: expect.stringContaining('configs/demo.yaml') });
  });
});

describe('models: (published models)', () => {
  test('each file resolves against the config folder; the key leaves the training hash alone', async () => {
    const { trainingConfigHash } = await import('../../../src/core/config/config-hash.js');
    const config = parseConfig(
      `${minimal}models:\n  - { name: naoto, format: pytorch-pconv, file: weights/pconv.pth }\n  - { name: keras, format: pconv-keras-h5, file: /abs/k.h5 }\n`,
      'exp.yaml',
      '/base',
    );
    expect(config.models).toEqual([
      { name: 'naoto', format: 'pytorch-pconv', file: '/base/weights/pconv.pth' },
      { name: 'keras', format: 'pconv-keras-h5', file: '/abs/k.h5' },
    ]);
    expect(parseConfig(minimal, 'exp.yaml', '/base').models).toBeUndefined();
    expect(trainingConfigHash(config)).toBe(trainingConfigHash(parseConfig(minimal, 'exp.yaml', '/base')));
  });

  test('a bad format, a built-in name, a duplicate name and a missing file are each named', () => {
    const problems = problemsOf(
      `${minimal}models:\n  - { name: a, format: caffe, file: a.h5 }\n  - { name: PConv, format: pytorch-pconv, file: d.pth }\n  - { name: e, format: pytorch-pconv }\n`,
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^exp\.yaml:9:\d+ models\[0\]\.format: .*pconv-keras-h5.*pytorch-pconv/);
    expect(problems[1]).toMatch(/^exp\.yaml:10:\d+ models\[1\]\.name: taken by a built-in row/);
    expect(problems[2]).toMatch(/^exp\.yaml:11:\d+ models\[2\]\.file: required key is missing/);
    expect(problemsOf(`${minimal}models:\n  - { name: b, format: pytorch-pconv, file: b.pth }\n  - { name: b, format: pconv-keras-h5, file: c.h5 }\n`)).toEqual(
      [expect.stringMatching(/^exp\.yaml:10:\d+ models\[1\]\.name: "b" names another model of this list too/)],
    );
  });
});
