import type { Drilldown, DrilldownPair, PairMetrics } from '../../protocol/drilldown.js';
import { METRIC_DIRECTION, METRIC_NAMES } from '../../protocol/results.js';
import { escapeHtml } from './escape-html.js';

/**
 * The report's drill-down section: per bin and border subset, the pairs some model did worst or
 * best on (drilldown.json), each once, with its masked input, mask, every model's composite (with
 * its metrics on the pair) and the ground truth. No I/O, no node:* imports (the extension renders
 * the report too).
 */
export interface DrilldownSectionInput {
  /** The drill-down, or why there is none; neither: no section (the editor's panel). */
  readonly drilldown?: Drilldown;
  readonly unavailable?: string;
  /** Relative picture path -> what an <img> loads (a thumbnail's data: URI in the CLI's report). */
  readonly images: Readonly<Record<string, string>>;
  /** Link each picture to its full-size file beside the page (the CLI's report lives in the run folder). */
  readonly linkFullSize?: boolean;
  /** The table of every pair, relative to the report. */
  readonly pairsPage?: string;
}

const SHORT_LABELS = { l1Hole: 'hole L1', l1: 'L1', psnr: 'PSNR', ssim: 'SSIM' } as const;
/** What ranks the pairs, in the section's sentence. */
const RANK_LABELS = { l1Hole: 'L1 in the holes (x100)', l1: 'L1 over the whole image (x100)', psnr: 'PSNR', ssim: 'SSIM' } as const;
const SHORT_DIGITS = { l1Hole: 3, l1: 3, psnr: 2, ssim: 4 } as const;

/** The anchor of pair k's row: pairs.html links to it. */
export function drilldownAnchor(k: number): string {
  return `pair-${String(k).padStart(5, '0')}`;
}

function metricsText(m: PairMetrics | undefined): string {
  if (!m) return '<span class="m">not scored</span>';
  return `<span class="m">${METRIC_NAMES.map((metric) => {
    const v = m[metric];
    return `${SHORT_LABELS[metric]} ${v === null ? '-' : v.toFixed(SHORT_DIGITS[metric])}`;
  }).join('<br>')}</span>`;
}

export function renderDrilldownSection(input: DrilldownSectionInput): string {
  const { drilldown } = input;
  if (!drilldown && input.unavailable === undefined) return '';
  const pairsLink = input.pairsPage
    ? ` <a id="pairs-link" href="${escapeHtml(input.pairsPage)}">Every pair in one table, sortable by any metric of any model.</a>`
    : '';
  if (!drilldown)
    return `<h2 id="drilldown">Worst and best pairs</h2>\n<p id="drilldown-unavailable">${escapeHtml(input.unavailable ?? '')}</p>\n<p>${pairsLink}</p>`;
  const metric = RANK_LABELS[drilldown.metric];
  const better = METRIC_DIRECTION[drilldown.metric] === 'lower' ? 'lower is better' : 'higher is better';
  const picture = (path: string | undefined, label: string) => {
    if (!path || !input.images[path]) return '<span class="missing">-</span>';
    const img = `<img src="${input.images[path]}" alt="${escapeHtml(label)}" width="128" height="128" loading="lazy">`;
    return input.linkFullSize ? `<a href="${escapeHtml(path)}" title="full size">${img}</a>` : img;
  };
  const pairsByK = new Map(drilldown.pairs.map((p) => [p.k, p]));
  const groups = drilldown.groups.map((group) => {
    // Rows in the order models pick them, worst before best; a pair picked again gains a tag.
    const rows = new Map<number, { pair: DrilldownPair; tags: string[] }>();
    for (const picks of group.picks) {
      for (const [side, ks] of [
        ['worst', picks.worst],
        ['best', picks.best],
      ] as const) {
        ks.forEach((k, i) => {
          const pair = pairsByK.get(k);
          if (!pair) return;
          const row = rows.get(k) ?? { pair, tags: [] };
          row.tags.push(`<span class="pick ${side}">${escapeHtml(picks.model)}: ${side} ${i + 1}</span>`);
          rows.set(k, row);
        });
      }
    }
    const subset = group.border === 'border' ? 'border' : 'no border';
    const body = [...rows.values()].map(({ pair, tags }) => {
      const label = `pair ${pair.k}`;
      const outputs = drilldown.models.map((model) => `<td>${picture(pair.outputs[model], `${model}, ${label}`)}${metricsText(pair.metrics[model])}</td>`);
      return `<tr id="${drilldownAnchor(pair.k)}" data-k="${pair.k}"><th scope="row">${label}<span class="tags">${tags.join('')}</span><span class="m">hole ${(pair.holeRatio * 100).toFixed(1)}%</span></th><td>${picture(pair.input, `masked input, ${label}`)}</td><td>${picture(pair.mask, `mask, ${label}`)}</td>${outputs.join('')}<td>${picture(pair.target, `ground truth, ${label}`)}</td></tr>`;
    });
    const head = `<tr><th>pair</th><th>masked input</th><th>mask</th>${drilldown.models.map((m) => `<th>${escapeHtml(m)}</th>`).join('')}<th>ground truth</th></tr>`;
    return `<h3 id="drilldown-${group.binIndex}-${group.border}">${escapeHtml(group.bin)}, ${subset}</h3>
<div class="table-wrap"><table class="drilldown" data-bin="${escapeHtml(group.bin)}" data-border="${group.border}"><thead>${head}</thead><tbody>
${body.join('\n')}
</tbody></table></div>`;
  });
  return `<h2 id="drilldown">Worst and best pairs</h2>
<p>In each bin and subset, each model's ${drilldown.perSide} worst and ${drilldown.perSide} best pairs by ${escapeHtml(metric)} (${better}; equal scores by pair index; a group of fewer than ${2 * drilldown.perSide} scored pairs gives its worse half to "worst"), each pair once with every model's output composited with the known pixels and its metrics on that pair (L1 x100).${input.linkFullSize ? ' Click a picture for its full size.' : ''}${pairsLink}</p>
${groups.join('\n')}`;
}
