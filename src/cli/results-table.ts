import type { Results } from '../protocol/results.js';
import { formatTable } from './format-table.js';

/** The per-bin table for a terminal: one line per model, bin and border subset. */
export function formatResultsTable(results: Results): string {
  const header = ['model', 'bin', 'border', 'n', 'L1 hole x100', 'PSNR', 'SSIM'];
  const fmt = (v: number | null, digits: number) => (v === null ? '-' : v.toFixed(digits));
  const rows = results.rows.map((r) => [
    r.model,
    r.bin,
    r.border,
    String(r.metrics.psnr.n),
    fmt(r.metrics.l1Hole.mean, 3),
    fmt(r.metrics.psnr.mean, 2),
    fmt(r.metrics.ssim.mean, 4),
  ]);
  return formatTable(header, rows);
}
