import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Chart.js's UMD build as text, for pages that inline it (the run report, the comparison) so that
 * they draw their charts offline, from file:, with nothing beside them.
 */
export function chartJsSource(): Promise<string> {
  const require = createRequire(import.meta.url);
  return readFile(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

/** Script text made safe inside <script>...</script>: a "</script" in it would end the element early. */
export function inlineScriptText(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script');
}
