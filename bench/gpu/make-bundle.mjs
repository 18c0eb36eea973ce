#!/usr/bin/env node
// Packs what `pconv-bench bench --backend webgpu` needs on a GPU machine that has no Node.js and no
// package registry (the lent H100/H200 machines): one esbuild bundle of the CLI, the Dawn for Node
// binary of linux-x64, and stubs for the native image libraries that the bench never calls.
// Only the webgpu backend works from the bundle (wasm's .wasm files are not packed: `--backend
// webgpu`, never auto, there). It also packs this machine's Node binary (xz), the Vulkan/GL loader packages (apt-get download,
// Debian/Ubuntu amd64) and a setup.sh that unpacks them there.
// Usage, from the project root, after `npm run build`:  node bench/gpu/make-bundle.mjs [.gpu-carry]
// (.gpu-carry is git-ignored; name it in the device tool's `carry`). On the GPU machine, from the project root:
//   source .gpu-carry/setup.sh && node .gpu-carry/pconv.mjs bench --backend webgpu ...
// (bench/gpu/device-bench.sh does the whole comparison there; docs/profile-webgpu.md).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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
for (const script of ['profile-webgpu', 'check-webgpu-kernels']) bundle(join(root, 'bench/gpu', `${script}.mjs`), `${script}.mjs`);
// Plain Node, no imports: copied as it is.
copyFileSync(join(root, 'bench/gpu/summarize-cpuprofile.mjs'), join(dest, 'summarize-cpuprofile.mjs'));

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
// Node itself: the GPU machines have none.
if (!existsSync(join(dest, 'node.xz'))) writeFileSync(join(dest, 'node.xz'), execFileSync('xz', ['-T2', '-6', '-c', process.execPath], { maxBuffer: 512 * 2 ** 20 }));
// The Vulkan loader (Dawn needs libvulkan.so.1) and GL dispatch libraries, as Debian packages
// unpacked there; the NVIDIA driver itself is on the machine.
const debs = join(dest, 'debs');
mkdirSync(debs, { recursive: true });
if (!readdirSync(debs).some((name) => name.startsWith('libvulkan1_'))) {
  try {
    execFileSync('apt-get', ['-oAPT::Architecture=amd64', 'download', 'libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'], {
      cwd: debs,
      stdio: 'inherit',
    });
  } catch (error) {
    console.warn(`could not download the Vulkan loader packages (${error.message}); put libvulkan1_*.deb in ${debs} by hand`);
  }
}
writeFileSync(
  join(dest, 'setup.sh'),
  `# Source this on the GPU machine, from the project root: source ${relative(root, dest)}/setup.sh
_carry=$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)
for f in "$_carry"/debs/*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=\${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
[ -x /tmp/node/bin/node ] || { mkdir -p /tmp/node/bin && xz -dc "$_carry/node.xz" > /tmp/node/bin/node && chmod +x /tmp/node/bin/node; }
export PATH=/tmp/node/bin:$PATH
for f in $(find "$_carry" -name '*.node.xz'); do [ -f "\${f%.xz}" ] || xz -dc "$f" > "\${f%.xz}"; done
node --version && { nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true; }
`,
);
console.log(execFileSync('du', ['-sh', dest], { encoding: 'utf8' }).trim());
