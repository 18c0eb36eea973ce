import { createCanvas } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, registerables } from 'chart.js';

Chart.register(...registerables);

/** Paints the canvas white before drawing, so the PNG is readable on any background. */
const whiteBackground = {
  id: 'whiteBackground',
  beforeDraw(chart: Chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/**
 * Renders a Chart.js chart to PNG with @napi-rs/canvas (prebuilt, installs from npm alone; the
 * classic node-canvas cannot install here), for places where scripts do not run.
 */
export async function renderChartPng(config: ChartConfiguration, width = 640, height = 320): Promise<Buffer> {
  const canvas = createCanvas(width, height);
  const chart = new Chart(
    canvas as unknown as HTMLCanvasElement,
    {
      ...config,
      options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
      plugins: [...(config.plugins ?? []), whiteBackground],
    } as ChartConfiguration,
  );
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy();
  }
}
