import { describe, expect, test } from 'vitest';
import { describeInput, describeLossWeights, renderReport } from '../../../src/eval/report/render-report.js';
import { type Results, ResultsSchema } from '../../../src/protocol/results.js';
import { syntheticResults } from '../../helpers/synthetic-results.js';

/** syntheticResults with PConv, the baseline (in `baseline`'s form and weights) and Telea as a @3 file records them. */
function resultsWith(baseline: Partial<Results['models'][number]>): Results {
  const results = syntheticResults();
  return ResultsSchema.parse({
    ...results,
    format: 'pconv-bench/results@3',
    models: [
      {
        ...results.models[0],
        input: { holes: 'zero', mask: 'partial-convolutions' },
        lossWeights: { valid: 1, hole: 6, perceptual: 0.05, style: 120, tv: 0.1 },
      },
      { ...results.models[1], ...baseline },
      results.models[2],
    ],
  });
}

function render(results: Results): string {
  return renderReport({ results, training: {}, images: {}, chartPngs: {}, chartJs: '', configYaml: '' });
}

/** The rows of the report's models table as [name, input, loss weights] (the cells' text). */
function modelRows(html: string): string[][] {
  const table = /<table class="models">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr data-model="[^"]*">([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] as string).matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => cell[1] as string),
  );
}

describe("the report states each model's input and loss weights", () => {
  test("the paper's baseline: holes filled, no mask channel; its own loss weights (loss.baseline)", () => {
    const html = render(resultsWith({ input: { holes: 'mean-pixel', mask: 'none' }, lossWeights: { valid: 1, hole: 3, perceptual: 0.05, style: 120, tv: 0 } }));
    expect(modelRows(html)).toEqual([
      ['PConv', 'the image with holes zeroed + the mask, for its partial convolutions', 'valid 1, hole 6, perceptual 0.05, style 120, tv 0.1'],
      ['Conv', 'the image with holes filled by the ImageNet mean pixel; no mask channel', 'valid 1, hole 3, perceptual 0.05, style 120, tv 0'],
      ['Telea', 'the image with holes and the mask (no training)', '-'],
    ]);
    expect(html).toContain('<h2 id="models">Models</h2>');
  });

  test('the baseline with the mask channel, grey fill', () => {
    const html = render(resultsWith({ input: { holes: 'grey', mask: 'channel' }, lossWeights: { valid: 1, hole: 6, perceptual: 0, style: 0, tv: 0.1 } }));
    expect(modelRows(html)[1]).toEqual([
      'Conv',
      'the image with holes filled by grey (0.5, i.e. 127.5 of 255) + the mask as a fourth input channel',
      'valid 1, hole 6, perceptual 0, style 0, tv 0.1',
    ]);
  });

  test('results of an older format (no input or weights recorded) still render, saying so', () => {
    const older = syntheticResults();
    expect(older.format).toBe('pconv-bench/results@2');
    const rows = modelRows(render(older));
    expect(rows[1]).toEqual(['Conv', 'not recorded (results written before format @3)', 'not recorded (results written before format @3)']);
    expect(describeInput({ name: 'x', kind: 'external', checkpoint: 'dir', step: null })).toBe("another tool's outputs, read from files");
    expect(describeLossWeights({ name: 'x', kind: 'external', checkpoint: 'dir', step: null })).toBe('-');
  });
});
