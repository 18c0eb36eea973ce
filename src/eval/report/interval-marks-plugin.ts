import type { Chart, Plugin } from 'chart.js';

/**
 * A Chart.js plugin of our own for means with intervals (Chart.js has no error bars, and the
 * plugins that add them are larger than this and another dependency to keep offline). Each
 * dataset is a floating-bar dataset whose bars span the 95% interval; the plugin reads extra
 * arrays from the dataset and draws, per bar:
 * - `means[i]`: a thick line across the bar at the mean (a crossbar), so the mean shows even where
 *   the interval has no width (one pair);
 * - `perSeed[i]`: a hollow dot per seed's value, spread across the bar's width;
 * - `noise[i]`: behind the bar, a grey band from -noise to +noise around 0 (the seed-to-seed
 *   spread), so a mean outside it is larger than what the seed alone moves it by.
 * With `options.plugins.intervalMarks.zeroLine`, a line at 0 behind everything.
 *
 * The same function draws the page's charts in the browser and the PNGs in Node: its source is
 * inlined into the page (INTERVAL_MARKS_PLUGIN_SOURCE), so it must use nothing from outside its
 * own body (no imports, no module-level names; types only).
 */
export interface IntervalMarksOptions {
  readonly zeroLine?: boolean;
  /** Decimals of the tables, for the page's tooltips. */
  readonly digits?: number;
}

export function createIntervalMarksPlugin(): Plugin<'bar', IntervalMarksOptions> {
  type Marks = { means?: (number | null)[]; perSeed?: ((number | null)[] | null)[]; noise?: (number | null)[]; borderColor?: unknown };
  type Bar = { x: number; width: number };
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  /** Each visible dataset with its bars, clipped to the plot area while `draw` runs. */
  const eachBar = (chart: Chart, draw: (marks: Marks, bar: Bar, i: number) => void) => {
    const { ctx, chartArea } = chart;
    ctx.save();
    ctx.beginPath();
    ctx.rect(chartArea.left, chartArea.top, chartArea.right - chartArea.left, chartArea.bottom - chartArea.top);
    ctx.clip();
    chart.data.datasets.forEach((dataset, d) => {
      if (!chart.isDatasetVisible(d)) return;
      chart.getDatasetMeta(d).data.forEach((element, i) => {
        const bar = element.getProps(['x', 'width'], true) as unknown as Bar;
        if (finite(bar.x) && finite(bar.width)) draw(dataset as unknown as Marks, bar, i);
      });
    });
    ctx.restore();
  };
  return {
    id: 'intervalMarks',
    beforeDatasetsDraw(chart, _args, options) {
      const { ctx, chartArea } = chart;
      const y = chart.scales.y;
      if (!y) return;
      if (options.zeroLine) {
        // On a pixel's centre: a 1 px line between two rows would be drawn as two grey ones.
        const zero = Math.round(y.getPixelForValue(0)) + 0.5;
        if (zero >= chartArea.top && zero <= chartArea.bottom) {
          ctx.save();
          ctx.strokeStyle = '#333333';
          ctx.lineWidth = 1;
          ctx.beginPath();
          ctx.moveTo(chartArea.left, zero);
          ctx.lineTo(chartArea.right, zero);
          ctx.stroke();
          ctx.restore();
        }
      }
      eachBar(chart, (marks, bar, i) => {
        const noise = marks.noise?.[i];
        if (!finite(noise) || noise <= 0) return;
        const pad = Math.max(3, bar.width * 0.2);
        const top = y.getPixelForValue(noise);
        ctx.fillStyle = 'rgba(0, 0, 0, 0.13)';
        ctx.fillRect(bar.x - bar.width / 2 - pad, top, bar.width + 2 * pad, y.getPixelForValue(-noise) - top);
      });
    },
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      const y = chart.scales.y;
      if (!y) return;
      eachBar(chart, (marks, bar, i) => {
        const colour = typeof marks.borderColor === 'string' ? marks.borderColor : '#000000';
        const mean = marks.means?.[i];
        if (finite(mean)) {
          ctx.strokeStyle = colour;
          ctx.lineWidth = 3;
          ctx.beginPath();
          ctx.moveTo(bar.x - bar.width / 2, y.getPixelForValue(mean));
          ctx.lineTo(bar.x + bar.width / 2, y.getPixelForValue(mean));
          ctx.stroke();
        }
        const seeds = marks.perSeed?.[i] ?? [];
        seeds.forEach((value, k) => {
          if (!finite(value)) return;
          ctx.beginPath();
          ctx.arc(bar.x - bar.width / 2 + (bar.width * (k + 1)) / (seeds.length + 1), y.getPixelForValue(value), 3, 0, 2 * Math.PI);
          ctx.fillStyle = '#ffffff';
          ctx.fill();
          ctx.strokeStyle = colour;
          ctx.lineWidth = 1.5;
          ctx.stroke();
        });
      });
    },
  };
}

/** The plugin as a script expression, for the page: the same code as createIntervalMarksPlugin runs in Node. */
export const INTERVAL_MARKS_PLUGIN_SOURCE = `(${createIntervalMarksPlugin.toString()})()`;
