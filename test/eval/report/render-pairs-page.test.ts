import { describe, expect, test } from 'vitest';
import { pairsTableData } from '../../../src/eval/report/pairs-table-data.js';
import { renderPairsPage } from '../../../src/eval/report/render-pairs-page.js';
import { syntheticRun } from '../../helpers/synthetic-runs.js';

const hostile = '</script><b>x</b>';
const run = syntheticRun('r', {
  pairs: [{ stamp: 'a', binIndex: 0, border: 'no-border' }],
  models: [{ name: hostile, kind: 'external', psnr: [20] }],
});

describe('renderPairsPage', () => {
  test('names are escaped in the markup and cannot end the data script; the rows are JSON in the page', () => {
    const html = renderPairsPage({
      title: 'pconv-bench: <r>: every pair',
      reportHref: 'index.html',
      table: pairsTableData({ models: [hostile], entries: run.entries, scores: run.scores, masksDir: 'masks' }),
    });
    expect(html).toContain('<title>pconv-bench: &lt;r&gt;: every pair</title>');
    expect(html).toContain('<th colspan="4">&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;</th>');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    const json = html.slice(html.indexOf('<script id="pairs-data" type="application/json">') + 48, html.indexOf('</script>'));
    expect(JSON.parse(json).rows).toEqual([[0, 0, 0.3, 'm0.png', 0, 2, 0.2, 20, 0.2]]);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/);
  });

  test('without a table the page says why, and links back to the report', () => {
    const html = renderPairsPage({ title: 't', reportHref: 'index.html', table: { unavailable: 'no <scores>' } });
    expect(html).toContain('<p id="pairs-unavailable">No table of pairs: no &lt;scores&gt;</p>');
    expect(html).toContain('<a href="index.html">the report</a>');
    expect(html).not.toContain('<script');
  });
});
