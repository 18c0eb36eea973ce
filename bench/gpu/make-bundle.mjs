#!/usr/bin/env node
// Packs what `pconv-bench bench --backend webgpu` needs on a GPU machine that has no Node.js and no
// package registry (the lent H100/H200 machines): one esbuild bundle of the CLI, the Dawn for Node
// binary of linux-x64, and stubs for the native image libraries that the bench never calls.
// Usage, from the project root, after `npm run build`:
//   ../shared/gpu/make-carry.sh .gpu-carry     (Node binary, Vulkan loaders, setup.sh; once)
//   node bench/gpu/make-bundle.mjs .gpu-carry
// On the GPU machine: `source .gpu-carry/setup.sh && node .gpu-carry/pconv.mjs bench --backend webgpu ...`
// (bench/gpu/device-bench.sh does the whole comparison there).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dest = resolve(root, process.argv[2] ?? '.gpu-carry');
if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
const dawn = join(root, 'node_modules/webgpu/dist/linux-x64/dawn.node');
if (!existsSync(dawn)) throw new Error('node_modules/webgpu is missing: `npm ci` installs it (an optional dependency)');
mkdirSync(dest, { recursive: true });

// The CLI as one file. tfjs-core and every backend must be one instance, so they are bundled;
// Dawn (a native addon found relative to its own index.js) travels as its package.
const entry = join(dest, 'entry.mjs');
writeFileSync(entry, `import { main } from ${JSON.stringify(join(root, 'dist/cli/main.js'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`);
const natives = ['webgpu', 'sharp', 'onnxruntime-node', '@napi-rs/canvas', '@opencvjs/node', 'h5wasm'];
const bundle = (from, to) =>
  execFileSync(
    join(root, 'node_modules/.bin/esbuild'),
    [
      from,
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--target=node20',
      `--outfile=${join(dest, to)}`,
      ...natives.map((name) => `--external:${name}`),
      // Bundled CommonJS dependencies call require(): give the ESM bundle one.
      "--banner:js=import { createRequire as __pconvCreateRequire } from 'node:module'; const require = __pconvCreateRequire(import.meta.url);",
      '--log-level=warning',
    ],
    { stdio: 'inherit' },
  );
bundle(entry, 'pconv.mjs');
for (const script of ['profile-webgpu', 'check-webgpu-kernels']) {
  const from = join(root, 'bench/gpu', `${script}.mjs`);
  if (existsSync(from)) bundle(from, `${script}.mjs`);
}

const modules = join(dest, 'node_modules');
const webgpu = join(modules, 'webgpu');
mkdirSync(join(webgpu, 'dist/linux-x64'), { recursive: true });
for (const file of ['index.js', 'package.json']) copyFileSync(join(root, 'node_modules/webgpu', file), join(webgpu, file));
// setup.sh (make-carry.sh) unpacks every *.node.xz beside itself.
writeFileSync(join(webgpu, 'dist/linux-x64/dawn.node.xz'), execFileSync('xz', ['-T2', '-6', '-c', dawn], { maxBuffer: 256 * 2 ** 20 }));

// The bench touches no image files; these stand in for the native image libraries so the bundle loads.
const stub = (name, body) => {
  mkdirSync(join(modules, name), { recursive: true });
  writeFileSync(join(modules, name, 'package.json'), JSON.stringify({ name, type: 'module', main: 'index.js' }));
  writeFileSync(join(modules, name, 'index.js'), body);
};
const fail = (name) => `() => { throw new Error('${name} is not in the GPU bundle (bench/gpu/make-bundle.mjs)'); }`;
stub('sharp', `export default ${fail('sharp')};\n`);
stub('@napi-rs/canvas', `export const createCanvas = ${fail('@napi-rs/canvas')};\n`);
console.log(execFileSync('du', ['-sh', dest], { encoding: 'utf8' }).trim());
