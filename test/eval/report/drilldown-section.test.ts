import { describe, expect, test } from 'vitest';
import { renderDrilldownSection } from '../../../src/eval/report/drilldown-section.js';
import type { Drilldown } from '../../../src/protocol/drilldown.js';

const pair = (k: number) => ({
  k,
  binIndex: 0,
  border: 'border' as const,
  holeRatio: 0.073,
  input: `drilldown/pair-0000${k}.input.png`,
  mask: `drilldown/pair-0000${k}.mask.png`,
  target: `drilldown/pair-0000${k}.target.png`,
  outputs: { 'A<b>': `drilldown/pair-0000${k}.model-a-b.png`, B: `drilldown/pair-0000${k}.model-b.png` },
  metrics: { 'A<b>': { l1Hole: 12.3456, l1: 1.5, psnr: 22.222, ssim: 0.91234 }, B: { l1Hole: null, l1: 0, psnr: 100, ssim: 1 } },
});

const drilldown: Drilldown = {
  format: 'pconv-bench/drilldown@1',
  masksSha256: 'm',
  models: ['A<b>', 'B'],
  metric: 'l1Hole',
  perSide: 3,
  groups: [
    {
      bin: '(0.01, 0.1]',
      binIndex: 0,
      border: 'border',
      picks: [
        { model: 'A<b>', worst: [2], best: [1] },
        { model: 'B', worst: [1], best: [] },
      ],
    },
  ],
  pairs: [pair(1), pair(2)],
};
const images = Object.fromEntries(
  [pair(1), pair(2)].flatMap((p) => [p.input, p.mask, p.target, ...Object.values(p.outputs)]).map((path) => [path, `data:image/png;base64,${path}`]),
);

describe('renderDrilldownSection', () => {
  test('each pair once, in the order the models pick them, tagged by every model that picked it; names escaped; metrics under each output', () => {
    const html = renderDrilldownSection({ drilldown, images, linkFullSize: true, pairsPage: 'pairs.html' });
    expect(html.indexOf('id="pair-00002"')).toBeLessThan(html.indexOf('id="pair-00001"'));
    expect(html.match(/<tr id="pair-0000\d"/g)).toHaveLength(2);
    expect(html).toContain('<span class="pick worst">A&lt;b&gt;: worst 1</span>');
    expect(html).toContain('<span class="pick best">A&lt;b&gt;: best 1</span><span class="pick worst">B: worst 1</span>');
    expect(html).not.toContain('A<b>');
    expect(html).toContain('hole L1 12.346<br>L1 1.500<br>PSNR 22.22<br>SSIM 0.9123');
    expect(html).toContain('hole L1 -<br>L1 0.000<br>PSNR 100.00');
    expect(html).toContain('<span class="m">hole 7.3%</span>');
    expect(html).toContain('<a href="drilldown/pair-00001.model-b.png" title="full size"><img src="data:image/png;base64,drilldown/pair-00001.model-b.png"');
    expect(html).toContain('<a id="pairs-link" href="pairs.html">');
    expect(html).toContain('<h3 id="drilldown-0-border">(0.01, 0.1], border</h3>');
  });

  test('without full-size links (the editor panel) the pictures are not links; neither a drill-down nor a reason: no section', () => {
    const html = renderDrilldownSection({ drilldown, images });
    expect(html).toContain('<img src="data:image/png;base64,drilldown/pair-00001.input.png"');
    expect(html).not.toContain('<a href=');
    expect(html).not.toContain('pairs-link');
    expect(renderDrilldownSection({ images })).toBe('');
    expect(renderDrilldownSection({ images, unavailable: 'evaluated <before>' })).toContain('<p id="drilldown-unavailable">evaluated &lt;before&gt;</p>');
  });
});
