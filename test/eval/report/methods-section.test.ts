import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../../src/core/config/parse-config.js';
import { methodsParagraphs, methodsText, renderMethodsSection } from '../../../src/eval/report/methods-section.js';
import type { Results } from '../../../src/protocol/results.js';
import { syntheticResults } from '../../helpers/synthetic-results.js';

/** The demo's settings at 64 px, with the border margin left to its default (the paper's, scaled). */
const config = parseConfig(
  `name: demo\nseed: 7\ndata:\n  root: ../data/photos\n  imageSize: 64\n  testFraction: 0.2\n  validationFraction: 0.1\nmasks:\n  bins: [[0.01, 0.1], [0.1, 0.3], [0.3, 0.6]]\n  perBin: 20\nmodel: { levels: 5, baseChannels: 16, maxChannels: 128 }\nloss: { perceptual: 0, style: 0 }\ntrain:\n  batchSize: 4\n  phase1: { learningRate: 2.0e-4, steps: 300, freezeEncoderBatchNorm: false }\n  phase2: { learningRate: 5.0e-5, steps: 100, freezeEncoderBatchNorm: true }\n`,
  'demo.yaml',
  '/repo/configs',
);

function results(overrides: Partial<Results> = {}): Results {
  const base = syntheticResults();
  return {
    ...base,
    config: config as unknown as Record<string, unknown>,
    masks: { ...base.masks, count: 120, width: 64, height: 64, borderMargin: config.masks.border.margin },
    images: { split: 'test', count: 12, pairs: 120 },
    backend: { name: 'wasm', version: '4.22.0', device: 'wasm, 1 thread', inference: 'onnxruntime-node 1.30.0 (cpu)' },
    models: [
      { name: 'PConv', kind: 'pconv', checkpoint: 'checkpoints/pconv/phase2', step: 400 },
      { name: 'Conv', kind: 'conv', checkpoint: 'checkpoints/conv/phase2', step: 400 },
      { name: 'Telea', kind: 'classical', checkpoint: null, step: null },
    ],
    ...overrides,
  };
}

const trainingRecord = { backend: { name: 'wasm', device: 'wasm, 1 thread' }, images: { train: 37, validation: 4 }, loss: { vgg: null } };

describe('methods section', () => {
  test('states data, splits, masks, margin rule, models, VGG16, phases, optimiser, backend and seed from the run folder', () => {
    const text = methodsText({ results: results(), trainingRecord });
    expect(text).toContain(
      '37 training, 4 validation and 12 test images: the images under photos, split by a hash of each file name and the seed (test 0.2, validation 0.1 of the images)',
    );
    expect(text).toContain('random 64x64 crops');
    expect(text).toContain('centre-cropped');
    expect(text).toContain('Master seed 7');
    expect(text).toContain("120 test masks of 64x64 drawn by PConv-Keras' recipe (lines, circles, ellipses, sizes up to (W+H) x 0.03, at least 3 px)");
    expect(text).toContain('binned by hole ratio, rule (lo,hi], into (0.01, 0.1], (0.1, 0.3], (0.3, 0.6], 20 per bin and subset (no-border and border)');
    // The default margin at 64 px: the paper's 50 px at 512 px scaled, and the rule said.
    expect(config.masks.border.margin).toBe(6);
    expect(text).toContain("within 6 px of the edge (the paper's 50 px at 512 px scaled to 64 px: max(1, round(50 x 64 / 512)) = 6)");
    expect(text).toContain('Mask k is paired with test image k mod 12: 120 (image, mask) pairs');
    expect(text).toContain('A 5-level UNet, 16 to 128 channels, output head none');
    expect(text).toContain(
      'PConv: partial convolutions, given the image with holes zeroed and the mask through its partial convolutions; loss weights (eq. 7) valid 1, hole 6, perceptual 0, style 0, tv 0.1, 400 steps trained.',
    );
    expect(text).toMatch(
      /Conv: ordinary convolutions, given the image with holes filled by the ImageNet mean pixel(, no mask channel|, plus the mask as a fourth input channel); loss weights/,
    );
    expect(text).toContain('Telea: classical inpainting, untrained');
    expect(text).toContain('Perceptual and style terms off (weights 0)');
    expect(text).toContain('Adam (beta1 0.9, beta2 0.999, epsilon 1e-8), batch 4, 400 steps in all;');
    expect(text).toContain('phase 1: 300 steps at learning rate 2e-4, batch norm in training mode everywhere');
    expect(text).toContain('phase 2: 100 steps at learning rate 5e-5, encoder batch norm frozen (moving statistics; gamma and beta still train)');
    expect(text).toContain(
      'Trained on TensorFlow.js wasm (wasm, 1 thread); evaluated on wasm (4.22.0; wasm, 1 thread), models run forward by onnxruntime-node 1.30.0 (cpu).',
    );
  });

  test('a margin set in the config is said to differ from the paper rule, and what the rule would give', () => {
    const text = methodsText({ results: results({ masks: { ...results().masks, borderMargin: 4 } }), trainingRecord });
    expect(text).toContain("within 4 px of the edge (set in the config; the paper's rule (50 px at 512 px, scaled) gives 6 px at 64 px)");
  });

  test('the loss weights results record per model win over the config, and the baseline overrides apply to the baseline only', () => {
    const base = results();
    const withBaseline = {
      ...base,
      config: { ...base.config, loss: { ...(base.config.loss as object), baseline: { hole: 3 } } },
    };
    const text = methodsText({ results: withBaseline, trainingRecord });
    expect(text).toMatch(/PConv: partial convolutions, [^;]*; loss weights \(eq\. 7\) valid 1, hole 6,/);
    expect(text).toMatch(/Conv: ordinary convolutions, [^;]*; loss weights \(eq\. 7\) valid 1, hole 3,/);
    const recorded = { ...base, models: [{ ...base.models[0], lossWeights: { valid: 2, hole: 9, perceptual: 0, style: 0, tv: 0 } }] } as unknown as Results;
    expect(methodsText({ results: recorded })).toContain('valid 2, hole 9, perceptual 0, style 0, tv 0');
  });

  test('VGG16 weights, their preprocessing and model.padding are stated when the config has them', () => {
    const base = results();
    const withVgg = {
      ...base,
      config: {
        ...base.config,
        model: { ...(base.config.model as object), padding: 'symmetric' },
        loss: { ...(base.config.loss as object), perceptual: 0.05, style: 120, vgg: { weights: '/w/vgg16-397923af.pth', preprocessing: 'torch' } },
      },
    };
    const text = methodsText({ results: withVgg, trainingRecord });
    expect(text).toContain('from vgg16-397923af.pth, torch preprocessing');
    expect(text).toContain('output head none, padding symmetric');
  });

  test('an empty config and no training.json give "not recorded", never a crash or a guess', () => {
    const text = methodsText({ results: syntheticResults() });
    expect(text).toContain('training and validation counts not recorded');
    expect(text).toContain('Training backend not recorded');
    expect(text).toContain('No training settings recorded.');
    expect(text).toContain('A UNet whose settings are not recorded');
    expect(methodsParagraphs({ results: syntheticResults() }).map((p) => p.topic)).toEqual(['Data', 'Test masks', 'Models', 'VGG16', 'Training', 'Software']);
  });

  test('renders a <section id="methods"> with every text HTML-escaped', () => {
    const base = results();
    const hostile = { ...base, models: [{ ...base.models[0], name: '<img src=x onerror=alert(1)>' }] } as Results;
    const html = renderMethodsSection({ results: hostile, trainingRecord });
    expect(html).toMatch(/^<section id="methods"><h2>Methods<\/h2>/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;: partial convolutions');
    expect(html).not.toContain('<img');
    expect(html).toContain('(the paper&#39;s 50 px at 512 px scaled to 64 px');
  });
});
