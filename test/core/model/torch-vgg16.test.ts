import { readFileSync } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { readTorchStateDict } from '../../../src/core/io/torch-state-dict.js';
import { ZipReader } from '../../../src/core/io/zip-reader.js';
import { loadVgg16Weights } from '../../../src/core/model/load-vgg16-weights.js';
import { vgg16FeatureExtractor } from '../../../src/core/model/vgg16-features.js';
import { repoRoot } from '../../helpers/run-cli.js';
import { useTempDirs } from '../../helpers/temp-dir.js';

/** Written by test/fixtures/vgg/make_vgg_fixture.py with PyTorch: narrow VGG16s and torch's pool features. */
const fixtures = join(repoRoot, 'test/fixtures/vgg');
interface Expected {
  readonly torch: string;
  readonly input: { readonly shape: [number, number, number, number]; readonly values: number[] };
  readonly files: Record<string, { readonly widths: [number, number, number]; readonly pools: { shape: number[]; values: number[] }[] }>;
}
const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as Expected;
const tempDir = useTempDirs();

beforeAll(async () => {
  await setupBackend('wasm');
});

describe("VGG16 from PyTorch's .pth files", () => {
  test.each(Object.keys(expected.files))('%s: block1..block3 pools equal torch forward of the same file', async (name) => {
    const { widths, pools } = expected.files[name] as Expected['files'][string];
    const weights = await loadVgg16Weights(join(fixtures, name), { widths });
    const extract = vgg16FeatureExtractor(weights, 'torch');
    // The script fed torch (x - mean) / std of this NCHW input; the extractor normalises NHWC x itself.
    const images = tf.transpose(tf.tensor4d(expected.input.values, expected.input.shape), [0, 2, 3, 1]) as tf.Tensor4D;
    const ours = extract(images);
    expect(ours.map((t) => t.shape)).toEqual(pools.map((p) => p.shape));
    for (const [i, pool] of pools.entries()) {
      const got = (ours[i] as tf.Tensor).dataSync();
      const scale = Math.max(...pool.values.map(Math.abs));
      const worst = Math.max(...pool.values.map((v, j) => Math.abs(v - (got[j] as number))));
      // float32 sums in another order than torch's: differences of a few ulps of the largest feature.
      expect(worst, `pool${i + 1}: largest |feature| ${scale}`).toBeLessThan(1e-5);
      expect(scale).toBeGreaterThan(0.1);
    }
    tf.dispose([images, ...ours]);
    extract.dispose();
  });

  test('the reader lists every tensor with its shape, extra keys included, and reads only those asked for', async () => {
    const dict = await readTorchStateDict(join(fixtures, 'vgg16-narrow.pth'), () => true);
    expect(dict.format).toBe('zip');
    expect(dict.shapes.get('features.0.weight')).toEqual([4, 3, 3, 3]);
    expect(dict.shapes.get('classifier.6.bias')).toEqual([3]);
    const legacy = await readTorchStateDict(join(fixtures, 'vgg16-narrow-2017.pth'), (n) => n === 'features.14.bias');
    expect(legacy.format).toBe('legacy');
    expect([...legacy.values.keys()]).toEqual(['features.14.bias']);
    // A key beyond block3, saved as zeros, as the real file's classifier is there too.
    expect([...(dict.values.get('classifier.6.bias') as Float32Array)]).toEqual([0, 0, 0]);
  });

  test('a deflated copy of the archive reads to the same weights', async () => {
    const zip = join(fixtures, 'vgg16-narrow.pth');
    const deflated = join(await tempDir(), 'deflated.pth');
    await writeFile(deflated, await rezip(zip, true));
    const a = await loadVgg16Weights(zip, { widths: [4, 8, 16] });
    const b = await loadVgg16Weights(deflated, { widths: [4, 8, 16] });
    for (const [layer, w] of a) {
      expect(b.get(layer)?.kernel).toEqual(w.kernel);
      expect(b.get(layer)?.bias).toEqual(w.bias);
    }
  });
});

describe('clear errors for .pth files', () => {
  const legacy = join(fixtures, 'vgg16-narrow-legacy.pth');

  test('a truncated zip, a truncated legacy file, and a file that is neither', async () => {
    const dir = await tempDir();
    const bytes = await readFile(join(fixtures, 'vgg16-narrow.pth'));
    await writeFile(join(dir, 'cut.pth'), bytes.subarray(0, bytes.length - 300));
    await expect(loadVgg16Weights(join(dir, 'cut.pth'))).rejects.toThrow(
      /cut\.pth is not usable VGG16 weights: the zip archive has no end-of-central-directory record: it is truncated or damaged/,
    );
    const old = await readFile(legacy);
    await writeFile(join(dir, 'cut-legacy.pth'), old.subarray(0, old.length - 100));
    await expect(loadVgg16Weights(join(dir, 'cut-legacy.pth'), { widths: [2, 4, 8] })).rejects.toThrow(
      /cut-legacy\.pth is not usable VGG16 weights: it is truncated/,
    );
    await writeFile(join(dir, 'text.pth'), 'just some text, not weights');
    await expect(loadVgg16Weights(join(dir, 'text.pth'))).rejects.toThrow(
      /text\.pth is not usable VGG16 weights: it is neither a zip archive \(PyTorch 1\.6 and later\) nor a legacy PyTorch pickle/,
    );
  });

  test('a damaged member is caught by its CRC-32', async () => {
    const dir = await tempDir();
    const bytes = Buffer.from(await readFile(join(fixtures, 'vgg16-narrow.pth')));
    const at = bytes.indexOf('features.0.bias');
    bytes.write('features.0.BIAS', at);
    await writeFile(join(dir, 'damaged.pth'), bytes);
    await expect(loadVgg16Weights(join(dir, 'damaged.pth'))).rejects.toThrow(/damaged\.pth .*vgg16-narrow\/data\.pkl damaged \(its CRC-32 does not match\)/);
  });

  test('missing keys and wrong shapes name the key and the layer', async () => {
    const dir = await tempDir();
    const old = Buffer.from(await readFile(legacy));
    // The legacy format has no checksums: rename a key in place.
    old.write('features.99.weight', old.indexOf('features.10.weight'));
    await writeFile(join(dir, 'renamed.pth'), old);
    await expect(loadVgg16Weights(join(dir, 'renamed.pth'), { widths: [2, 4, 8] })).rejects.toThrow(
      /renamed\.pth is not usable VGG16 weights: it has no features\.10\.weight \(block3_conv1; torchvision's VGG16 keeps block1-3 in features\.0, 2, 5, 7, 10, 12, 14; found: features\.0\.weight/,
    );
    await expect(loadVgg16Weights(join(fixtures, 'vgg16-narrow.pth'))).rejects.toThrow(
      /vgg16-narrow\.pth is not usable VGG16 weights: features\.0\.weight \(block1_conv1\) has shape \[4, 3, 3, 3\], not \[64, 3, 3, 3\]/,
    );
  });

  test('unsupported pickle opcodes and pickled Python objects are refused by name', async () => {
    const dir = await tempDir();
    const head = legacyHeader();
    // INT (protocol 0 text) is never written by torch.save.
    await writeFile(join(dir, 'opcode.pth'), Buffer.concat([head, Buffer.from([0x80, 0x02, 0x49]), Buffer.from('1\n.')]));
    await expect(loadVgg16Weights(join(dir, 'opcode.pth'))).rejects.toThrow(
      /opcode\.pth is not usable VGG16 weights: its pickle uses opcode 0x49 \('I'\) at byte \d+/,
    );
    await writeFile(join(dir, 'model.pth'), Buffer.concat([head, Buffer.from('\x80\x02ctorchvision.models.vgg\nVGG\n)\x81.', 'latin1')]));
    await expect(loadVgg16Weights(join(dir, 'model.pth'))).rejects.toThrow(
      /model\.pth is not usable VGG16 weights: it holds a pickled Python object \(torchvision\.models\.vgg\.VGG\), not a state dict/,
    );
  });
});

/** The three pickles that open a legacy file: magic number, protocol 1001, system info. */
function legacyHeader(): Buffer {
  return Buffer.from([
    ...[0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e],
    ...[0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e],
    ...[0x80, 0x02, 0x7d, 0x2e],
  ]);
}

/** The archive rewritten by a plain zip writer, every member deflated when `deflate`. */
async function rezip(path: string, deflate: boolean): Promise<Buffer> {
  const file = await open(path, 'r');
  const zip = await ZipReader.open(file);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of zip.entries.values()) {
    const data = await zip.read(entry);
    const stored = deflate ? deflateRawSync(data) : data;
    const name = Buffer.from(entry.name);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(deflate ? 8 : 0, 8);
    header.writeUInt32LE(crc32(data), 14);
    header.writeUInt32LE(stored.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(name.length, 26);
    locals.push(header, name, stored);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + stored.length;
  }
  await file.close();
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip.entries.size, 8);
  end.writeUInt16LE(zip.entries.size, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
