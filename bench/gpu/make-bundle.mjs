#!/usr/bin/env node
// Packs what pconv-bench needs on a GPU machine that has no Node.js and no package registry (the
// lent H100/H200 machines): one esbuild bundle of the CLI, the Dawn for Node binary of linux-x64,
// this machine's Node binary, the Vulkan/GL loader packages (apt-get download, Debian/Ubuntu amd64)
// and a setup.sh that unpacks them there. Files over 1 MiB travel xz-compressed (setup.sh unpacks
// every *.xz beside itself): the device takes 64 MiB for the working tree and carried paths together.
// Only the webgpu backend works from the bundle (wasm's .wasm files are not packed: `--backend
// webgpu`, never auto, there), and models run forward on tfjs (`--inference tfjs`: ONNX Runtime's
// 46 MB library is not packed).
//
// Two modes:
//   (default)   for `pconv-bench bench` (bench/gpu/device-bench.sh): stubs stand in for the native
//               image libraries, which the bench never calls.
//   --pipeline  for the whole `pconv-bench run` (bench/gpu/device-pipeline.sh): the real sharp with
//               its libvips (decoding photos, writing masks and samples), @napi-rs/canvas with Skia
//               (the report's chart PNGs), Chart.js's browser build (inlined in the report), and the
//               worker threads of mask generation and scoring as files of their own.
// Usage, from the project root, after `npm run build`:
//   node bench/gpu/make-bundle.mjs [.gpu-carry] [--pipeline]
// (.gpu-carry is git-ignored; name it in the device tool's `carry`). On the GPU machine, from the
// project root:  source .gpu-carry/setup.sh && node .gpu-carry/pconv.mjs run ... --backend webgpu
// (docs/profile-webgpu.md, "How to run it" and "Running the whole pipeline on a lent GPU").
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values: flags, positionals } = parseArgs({ options: { pipeline: { type: 'boolean', default: false } }, allowPositionals: true });
const dest = resolve(root, positionals[0] ?? '.gpu-carry');
const LIMIT_BYTES = 64 * 2 ** 20;
const COMPRESS_OVER_BYTES = 2 ** 20;
if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
const dawn = join(root, 'node_modules/webgpu/dist/linux-x64/dawn.node');
if (!existsSync(dawn)) throw new Error('node_modules/webgpu is missing: `npm ci` installs it (an optional dependency)');
mkdirSync(dest, { recursive: true });
// Rebuilt every time, so that a carry made in one mode holds nothing of the other; node.xz and debs/ are kept.
for (const built of ['node_modules', 'dist']) rmSync(join(dest, built), { recursive: true, force: true });

const xz = (bytes) => execFileSync('xz', ['-T2', '-6', '-c'], { input: bytes, maxBuffer: 512 * 2 ** 20 });
/** Writes `bytes` to `path`, as `path.xz` when large; drops the other form, so a rebuilt carry holds one. */
function writeCarried(path, bytes) {
  mkdirSync(dirname(path), { recursive: true });
  const small = bytes.length <= COMPRESS_OVER_BYTES;
  rmSync(small ? `${path}.xz` : path, { force: true });
  writeFileSync(small ? path : `${path}.xz`, small ? bytes : xz(bytes));
}

// The CLI as one file, in DEST/dist/: cli/version.ts reads ../../package.json from its own file,
// which from there is the project's. tfjs-core and every backend must be one instance, so they are
// bundled; native addons travel as their packages.
const natives = ['webgpu', 'sharp', 'onnxruntime-node', '@napi-rs/canvas', '@opencvjs/node', 'h5wasm'];
const bundled = join(dest, '.bundled');
mkdirSync(bundled, { recursive: true });
function bundle(from, to) {
  const out = join(bundled, to.replaceAll('/', '_'));
  execFileSync(
    join(root, 'node_modules/.bin/esbuild'),
    [
      from,
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--target=node20',
      `--outfile=${out}`,
      ...natives.map((name) => `--external:${name}`),
      // Bundled CommonJS dependencies call require(): give the ESM bundle one.
      "--banner:js=import { createRequire as __pconvCreateRequire } from 'node:module'; const require = __pconvCreateRequire(import.meta.url);",
      '--log-level=warning',
    ],
    { stdio: 'inherit' },
  );
  writeCarried(join(dest, to), readFileSync(out));
}
const entry = join(bundled, 'entry.mjs');
writeFileSync(entry, `import { main } from ${JSON.stringify(join(root, 'dist/cli/main.js'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`);
bundle(entry, 'dist/pconv.mjs');
// Its workers are found beside it (new URL('./mask-worker.js', import.meta.url)); ESM whatever the root package.json says.
writeFileSync(join(dest, 'dist/package.json'), `${JSON.stringify({ type: 'module' })}\n`);
writeFileSync(join(dest, 'pconv.mjs'), "// The CLI bundle lives in dist/ (see make-bundle.mjs); this keeps `node .gpu-carry/pconv.mjs` working.\nawait import('./dist/pconv.mjs');\n");
for (const script of ['profile-webgpu', 'check-webgpu-kernels']) bundle(join(root, 'bench/gpu', `${script}.mjs`), `${script}.mjs`);
if (flags.pipeline) {
  bundle(join(root, 'dist/core/masks/mask-worker.js'), 'dist/mask-worker.js');
  bundle(join(root, 'dist/eval/score-worker.js'), 'dist/score-worker.js');
}
rmSync(bundled, { recursive: true, force: true });
// Plain Node, no imports: copied as they are.
copyFileSync(join(root, 'bench/gpu/summarize-cpuprofile.mjs'), join(dest, 'summarize-cpuprofile.mjs'));

const modules = join(dest, 'node_modules');
const webgpu = join(modules, 'webgpu');
mkdirSync(join(webgpu, 'dist/linux-x64'), { recursive: true });
for (const file of ['index.js', 'package.json']) copyFileSync(join(root, 'node_modules/webgpu', file), join(webgpu, file));
writeCarried(join(webgpu, 'dist/linux-x64/dawn.node'), readFileSync(dawn));

if (flags.pipeline) {
  for (const name of ['sharp', '@napi-rs/canvas']) carryPackage(name);
  // The report inlines Chart.js's browser build, found with require.resolve('chart.js') (which
  // needs the file its "require" export names); the charts' own code is in the bundle.
  const chart = join(modules, 'chart.js');
  for (const file of ['package.json', 'LICENSE.md', 'dist/chart.cjs', 'dist/chart.umd.min.js'])
    writeCarried(join(chart, file), readFileSync(join(root, 'node_modules/chart.js', file)));
} else {
  // The bench touches no image files; these stand in for the native image libraries so the bundle loads.
  const stub = (name, body) => {
    mkdirSync(join(modules, name), { recursive: true });
    writeFileSync(join(modules, name, 'package.json'), JSON.stringify({ name, type: 'module', main: 'index.js' }));
    writeFileSync(join(modules, name, 'index.js'), body);
  };
  const fail = (name) => `() => { throw new Error('${name} is not in the GPU bundle (bench/gpu/make-bundle.mjs; --pipeline packs it)'); }`;
  stub('sharp', `export default ${fail('sharp')};\n`);
  stub('@napi-rs/canvas', `export const createCanvas = ${fail('@napi-rs/canvas')};\n`);
}

/**
 * Copies an installed package into DEST/node_modules with its dependencies and those of its
 * optional dependencies that are the linux-x64 glibc builds (sharp's and libvips', Skia's), minus
 * sources, headers and type declarations.
 */
function carryPackage(name, seen = new Set()) {
  if (seen.has(name)) return;
  seen.add(name);
  const from = join(root, 'node_modules', name);
  const to = join(modules, name);
  const skipped = (path) => /(^|\/)(src|include)$/.test(path) || /\.d\.[cm]?ts$|\.map$|(^|\/)sbom\.cdx\.json$/.test(path);
  const walk = (dir) => {
    for (const entry of readdirSync(join(from, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (skipped(path)) continue;
      if (entry.isDirectory()) walk(path);
      else writeCarried(join(to, path), readFileSync(join(from, path)));
    }
  };
  walk('');
  const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  const optional = Object.keys(pkg.optionalDependencies ?? {}).filter((dep) => /-linux-x64(-gnu)?$/.test(dep));
  for (const dep of [...Object.keys(pkg.dependencies ?? {}), ...optional]) carryPackage(dep, seen);
}

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
// A package already installed at the same version is not unpacked again (a machine that has it,
// such as a CPU machine trying the device scripts, keeps its files untouched). Every *.xz but
// node.xz unpacks beside itself, again only when newer than what is there.
writeFileSync(
  join(dest, 'setup.sh'),
  `# Source this on the GPU machine, from the project root: source ${relative(root, dest)}/setup.sh
_carry=$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)
for f in "$_carry"/debs/*.deb; do
  [ "$(dpkg-query -W -f='\${Version}' "$(dpkg-deb -f "$f" Package)" 2>/dev/null)" = "$(dpkg-deb -f "$f" Version)" ] || dpkg -x "$f" /
done; ldconfig
export VK_DRIVER_FILES=\${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
[ -x /tmp/node/bin/node ] || { mkdir -p /tmp/node/bin && xz -dc "$_carry/node.xz" > /tmp/node/bin/node && chmod +x /tmp/node/bin/node; }
export PATH=/tmp/node/bin:$PATH
for f in $(find "$_carry" -name '*.xz' ! -path "$_carry/node.xz"); do
  [ -f "\${f%.xz}" ] && [ ! "$f" -nt "\${f%.xz}" ] || xz -dc "$f" > "\${f%.xz}"
done
node --version && { nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true; }
`,
);

// What travels, by part. The device takes 64 MiB in all: the working tree (tracked files and
// untracked ones git does not ignore) and the carried paths together.
const sizeOf = (path) => {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  return stat.isDirectory() ? readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0) : stat.size;
};
const parts = {
  'node.xz': ['node.xz'],
  debs: ['debs'],
  'webgpu (Dawn)': ['node_modules/webgpu'],
  'CLI bundle and workers': ['dist', 'pconv.mjs'],
  'bench scripts': ['profile-webgpu.mjs', 'profile-webgpu.mjs.xz', 'check-webgpu-kernels.mjs', 'check-webgpu-kernels.mjs.xz', 'summarize-cpuprofile.mjs'],
  'sharp + libvips': ['node_modules/sharp', 'node_modules/@img', 'node_modules/detect-libc', 'node_modules/semver'],
  '@napi-rs/canvas (Skia)': ['node_modules/@napi-rs'],
  'chart.js': ['node_modules/chart.js'],
};
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const counted = Object.values(parts)
  .flat()
  .reduce((sum, path) => sum + sizeOf(join(dest, path)), 0);
const carried = sizeOf(dest);
const tree = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 })
  .split('\0')
  .filter(Boolean)
  .reduce((sum, file) => sum + sizeOf(join(root, file)), 0);
for (const [part, paths] of Object.entries(parts)) console.log(`${part.padEnd(26)} ${mib(paths.reduce((sum, path) => sum + sizeOf(join(dest, path)), 0))}`);
console.log(`${'other'.padEnd(26)} ${mib(carried - counted)}`);
console.log(`${`carried (${relative(root, dest)})`.padEnd(26)} ${mib(carried)}`);
console.log(`${'working tree'.padEnd(26)} ${mib(tree)}`);
console.log(`${'what travels'.padEnd(26)} ${mib(carried + tree)} of ${mib(LIMIT_BYTES)}`);
if (carried + tree >= LIMIT_BYTES) {
  console.error(`the working tree and ${relative(root, dest)} are over the device's 64 MiB: carry less, or ignore large untracked files`);
  process.exitCode = 1;
}
