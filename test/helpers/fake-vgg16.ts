import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { VGG16_LAYERS } from '../../src/core/model/vgg16-features.js';
import { Rng } from '../../src/core/rng.js';

/** VGG16-shaped weights (block1 to block3) with small random values: the layout is real, the values are not. */
export function fakeVgg16(seed: number): Map<string, { kernel: Float32Array; bias: Float32Array; cin: number; cout: number }> {
  const rng = new Rng(seed);
  return new Map(
    VGG16_LAYERS.map(([name, cin, cout]) => {
      const scale = Math.sqrt(2 / (9 * cin));
      const kernel = Float32Array.from({ length: 9 * cin * cout }, () => rng.uniform(-scale, scale));
      const bias = Float32Array.from({ length: cout }, () => rng.uniform(-0.1, 0.1));
      return [name, { kernel, bias, cin, cout }];
    }),
  );
}

/** Writes them as Keras 2 does: layer groups with a weight_names attribute and kernel:0 / bias:0 datasets. */
export async function writeKerasH5(path: string, weights: ReturnType<typeof fakeVgg16>): Promise<void> {
  await h5wasm.ready;
  const file = new h5wasm.File(path, 'w');
  file.create_attribute('layer_names', ['input_1', ...weights.keys()]);
  for (const [name, w] of weights) {
    const group = file.create_group(name);
    group.create_attribute('weight_names', [`${name}/kernel:0`, `${name}/bias:0`]);
    const inner = group.create_group(name);
    inner.create_dataset({ name: 'kernel:0', data: w.kernel, shape: [3, 3, w.cin, w.cout] });
    inner.create_dataset({ name: 'bias:0', data: w.bias, shape: [w.cout] });
  }
  file.close();
}

/** Writes them as a TensorFlow.js layers model: model.json with a weights manifest and one .bin shard. */
export async function writeTfjsModel(dir: string, weights: ReturnType<typeof fakeVgg16>): Promise<string> {
  const entries = [...weights].flatMap(([name, w]) => [
    { name: `${name}/kernel`, shape: [3, 3, w.cin, w.cout], dtype: 'float32', data: w.kernel },
    { name: `${name}/bias`, shape: [w.cout], dtype: 'float32', data: w.bias },
  ]);
  const bin = Buffer.concat(entries.map((e) => Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength)));
  await writeFile(join(dir, 'group1-shard1of1.bin'), bin);
  const manifest = {
    format: 'layers-model',
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: entries.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }],
  };
  const path = join(dir, 'model.json');
  await writeFile(path, JSON.stringify(manifest));
  return path;
}
