import { open, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { UserError } from '../errors.js';
import { kerasLayersGroup, openHdf5File } from '../io/hdf5-file.js';
import { oihwToHwio, readTorchStateDict, TorchFileError } from '../io/torch-state-dict.js';
import { looksLikeZip } from '../io/zip-reader.js';
import { type ConvWeights, VGG16_LAYERS, type Vgg16Weights, type VggLayerName, vgg16Layers } from './vgg16-features.js';

export interface LoadVgg16Options {
  /** Channels of blocks 1 to 3; only tests change them, to keep their weight files small. */
  readonly widths?: readonly [number, number, number];
}

/** Where torchvision's VGG16 keeps each convolution in `features` (ReLUs and pools sit between). */
const TORCHVISION_INDEX: Record<VggLayerName, number> = {
  block1_conv1: 0,
  block1_conv2: 2,
  block2_conv1: 5,
  block2_conv2: 7,
  block3_conv1: 10,
  block3_conv2: 12,
  block3_conv3: 14,
};

/**
 * Reads VGG16 weights (block1 to block3) from a file the user already has, chosen by content:
 * - PyTorch's state dict, e.g. torchvision's vgg16-397923af.pth (zip or legacy torch.save format,
 *   read by our own zip and pickle readers; weights go with `torch` preprocessing);
 * - Keras' HDF5 weights, e.g. vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 (`caffe`
 *   preprocessing), or PConv-Keras' pytorch_to_keras_vgg16.h5, PyTorch's weights saved in the same
 *   Keras layout (`torch` preprocessing); read with h5wasm;
 * - a TensorFlow.js layers model (model.json and its .bin shards).
 * Every problem names the file and what is missing or wrong.
 */
export async function loadVgg16Weights(path: string, options: LoadVgg16Options = {}): Promise<Vgg16Weights> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) {
    throw new UserError('VGG_WEIGHTS_MISSING', `VGG16 weights file ${path} ${info ? 'is not a file' : 'does not exist'}`, {
      hint: "Point loss.vgg.weights at torchvision's vgg16-397923af.pth, Keras' vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 or a TensorFlow.js model.json, or set loss.perceptual and loss.style to 0.",
    });
  }
  const layers = vgg16Layers(options.widths ?? [64, 128, 256]);
  const format = await weightsFormat(path);
  if (format === 'torch') return fromTorch(path, layers);
  const raw = format === 'tfjs' ? await fromTfjs(path) : await fromHdf5(path);
  const weights = new Map<VggLayerName, ConvWeights>();
  for (const [name, cin, cout] of layers) {
    const layer = raw.get(name);
    if (!layer) throw invalid(path, `it has no layer ${name} (found: ${[...raw.keys()].slice(0, 8).join(', ') || 'none'})`);
    if (layer.kernel.length !== 9 * cin * cout || layer.bias.length !== cout) {
      throw invalid(path, `${name} holds ${layer.kernel.length} kernel and ${layer.bias.length} bias values, not 3x3x${cin}x${cout} and ${cout}`);
    }
    weights.set(name, layer);
  }
  return weights;
}

/** The weights file's format: a PyTorch file by its bytes (zip, or legacy pickle), tfjs by name, else HDF5. */
async function weightsFormat(path: string): Promise<'torch' | 'tfjs' | 'hdf5'> {
  if (extname(path).toLowerCase() === '.json') return 'tfjs';
  const file = await open(path, 'r');
  const head = Buffer.alloc(4);
  try {
    await file.read(head, 0, 4, 0);
  } finally {
    await file.close();
  }
  const pickle = head[0] === 0x80 && head[2] === 0x8a;
  if (looksLikeZip(head) || pickle || ['.pth', '.pt'].includes(extname(path).toLowerCase())) return 'torch';
  return 'hdf5';
}

function invalid(path: string, why: string): UserError {
  return new UserError('VGG_WEIGHTS_INVALID', `${path} is not usable VGG16 weights: ${why}`, {
    hint: "Use torchvision's vgg16-397923af.pth, Keras' VGG16 notop weights (TensorFlow dim ordering) or a TensorFlow.js VGG16 layers model.",
  });
}

/** torchvision's layout: features.N.weight [out, in, 3, 3] and features.N.bias [out]; kernels become [3, 3, in, out]. */
async function fromTorch(path: string, layers: ReturnType<typeof vgg16Layers>): Promise<Vgg16Weights> {
  const wanted = new Set(Object.values(TORCHVISION_INDEX).flatMap((i) => [`features.${i}.weight`, `features.${i}.bias`]));
  let dict: Awaited<ReturnType<typeof readTorchStateDict>>;
  try {
    dict = await readTorchStateDict(path, (name) => wanted.has(name));
  } catch (error) {
    if (error instanceof TorchFileError) throw invalid(path, error.message);
    throw error;
  }
  if (dict.shapes.has('features.1.running_mean')) {
    throw invalid(path, "it is VGG16 with batch norm (torchvision's vgg16_bn); the loss uses plain VGG16 (vgg16-397923af.pth)");
  }
  const weights = new Map<VggLayerName, ConvWeights>();
  for (const [name, cin, cout] of layers) {
    const index = TORCHVISION_INDEX[name];
    const expected = { weight: [cout, cin, 3, 3], bias: [cout] };
    const values: Record<'weight' | 'bias', Float32Array> = { weight: new Float32Array(), bias: new Float32Array() };
    for (const part of ['weight', 'bias'] as const) {
      const key = `features.${index}.${part}`;
      const shape = dict.shapes.get(key);
      if (!shape) {
        const found = [...dict.shapes.keys()].slice(0, 8).join(', ');
        throw invalid(path, `it has no ${key} (${name}; torchvision's VGG16 keeps block1-3 in features.0, 2, 5, 7, 10, 12, 14; found: ${found})`);
      }
      if (shape.join('x') !== expected[part].join('x')) {
        throw invalid(path, `${key} (${name}) has shape [${shape.join(', ')}], not [${expected[part].join(', ')}]`);
      }
      values[part] = dict.values.get(key) as Float32Array;
    }
    weights.set(name, { kernel: oihwToHwio(values.weight, [cout, cin, 3, 3]), bias: values.bias });
  }
  return weights;
}

interface H5Group {
  keys(): string[];
  get(path: string): H5Group | H5Dataset | null;
  attrs: Record<string, { value: unknown }>;
}
interface H5Dataset {
  shape: number[];
  value: unknown;
}

async function fromHdf5(path: string): Promise<Map<string, ConvWeights>> {
  const file = await openHdf5File(path, (why) => invalid(path, why));
  try {
    const root = kerasLayersGroup(file) as unknown as H5Group;
    const out = new Map<string, ConvWeights>();
    for (const [name] of VGG16_LAYERS) {
      const group = root.keys().includes(name) ? (root.get(name) as H5Group) : undefined;
      if (!group) continue;
      const datasets = collectDatasets(group);
      const kernel = datasets.find((d) => d.shape.length === 4);
      const bias = datasets.find((d) => d.shape.length === 1);
      if (kernel && bias)
        out.set(name, { kernel: Float32Array.from(kernel.value as ArrayLike<number>), bias: Float32Array.from(bias.value as ArrayLike<number>) });
    }
    return out;
  } finally {
    file.close();
  }
}

/** Datasets under a layer group, following its weight_names attribute when present. */
function collectDatasets(group: H5Group): H5Dataset[] {
  const names = group.attrs.weight_names?.value;
  if (Array.isArray(names)) return names.map((n) => group.get(String(n))).filter((d): d is H5Dataset => d !== null && 'shape' in d);
  const found: H5Dataset[] = [];
  for (const key of group.keys()) {
    const child = group.get(key);
    if (!child) continue;
    if ('shape' in child && Array.isArray(child.shape)) found.push(child as H5Dataset);
    else found.push(...collectDatasets(child as H5Group));
  }
  return found;
}

interface TfjsManifest {
  weightsManifest?: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
}

async function fromTfjs(path: string): Promise<Map<string, ConvWeights>> {
  let manifest: TfjsManifest;
  try {
    manifest = JSON.parse(await readFile(path, 'utf8')) as TfjsManifest;
  } catch (error) {
    throw invalid(path, `model.json cannot be read (${(error as Error).message})`);
  }
  if (!Array.isArray(manifest.weightsManifest)) throw invalid(path, 'model.json has no weightsManifest');
  const values = new Map<string, Float32Array>();
  for (const group of manifest.weightsManifest) {
    const shards = await Promise.all(group.paths.map((p) => readFile(join(dirname(path), p)).catch(() => undefined)));
    if (shards.some((s) => !s)) throw invalid(path, `a weight shard of ${group.paths.join(', ')} is missing beside model.json`);
    const bytes = Buffer.concat(shards as Buffer[]);
    let offset = 0;
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      if (w.dtype !== 'float32') throw invalid(path, `weight ${w.name} is ${w.dtype}; only float32 is supported`);
      values.set(w.name, new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + count * 4)));
      offset += count * 4;
    }
  }
  const out = new Map<string, ConvWeights>();
  for (const [name] of VGG16_LAYERS) {
    const kernel = [...values].find(([key]) => key.startsWith(`${name}/`) && key.includes('kernel'))?.[1];
    const bias = [...values].find(([key]) => key.startsWith(`${name}/`) && key.includes('bias'))?.[1];
    if (kernel && bias) out.set(name, { kernel, bias });
  }
  return out;
}
