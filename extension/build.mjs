// Builds the extension into dist/: the host bundle (CommonJS for VS Code's extension host, 'vscode'
// left external), the three webview scripts (browser IIFEs), and the files the host reads at run
// time: Chart.js for the report and training panels and the config JSON Schema for yamlValidation.
// `node build.mjs --watch` rebuilds on change.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const watch = process.argv.includes('--watch');
const require = createRequire(import.meta.url);

const common = { bundle: true, sourcemap: true, logLevel: 'warning' };
const builds = [
  {
    ...common,
    entryPoints: { extension: join(root, 'src/host/extension.ts') },
    outdir: join(root, 'dist'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  {
    ...common,
    entryPoints: {
      inpaint: join(root, 'src/webview/inpaint/main.ts'),
      'report-bridge': join(root, 'src/webview/report/bridge.ts'),
      training: join(root, 'src/webview/training/main.ts'),
    },
    outdir: join(root, 'dist/webview'),
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: !watch,
  },
];

/** Files copied as they are: [source, destination under the extension]. */
const copies = [
  // The Chart.js build the CLI's report inlines (the root's chart.js, the same version).
  [join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'dist/media/chart.umd.min.js'],
  // The schema of the CLI this extension was built with: yamlValidation needs an extension-relative URL.
  [join(root, '../configs/experiment.schema.json'), 'schemas/experiment.schema.json'],
];

await rm(join(root, 'dist'), { recursive: true, force: true });
for (const [from, to] of copies) {
  await mkdir(dirname(join(root, to)), { recursive: true });
  await copyFile(from, join(root, to));
}
if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
  process.stdout.write('watching src/ for changes\n');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
