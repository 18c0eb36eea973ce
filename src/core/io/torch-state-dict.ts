import { type FileHandle, open } from 'node:fs/promises';
import { PickleFormatError, PickleTruncatedError, type UnpickleHooks, UnsupportedOpcodeError, unpickle } from './pickle-reader.js';
import { looksLikeZip, readAt, ZipFormatError, ZipReader } from './zip-reader.js';

/**
 * Reads tensors of a PyTorch state dict saved by torch.save, without Python: the zip format
 * (PyTorch 1.6 and later: `<name>/data.pkl` and one raw little-endian member per storage under
 * `<name>/data/`) and the legacy format before it (five pickles in a row, then the storages, each
 * after its int64 element count), which is what torchvision's older weights such as
 * vgg16-397923af.pth (2017) are. Only the tensors asked for are read from disk.
 */

/** What is wrong with a file, in words that finish "<file> is not usable: ...". */
export class TorchFileError extends Error {}

export interface TorchStateDict {
  /** Every tensor of the state dict and its shape, in the file's order. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** The requested tensors' values as float32, row-major (C order) whatever their strides. */
  readonly values: ReadonlyMap<string, Float32Array>;
  readonly format: 'zip' | 'legacy';
}

/**
 * A PyTorch convolution weight [out, in, kh, kw] (OIHW, row-major) as a TensorFlow kernel
 * [kh, kw, in, out] (HWIO): the same values, moved. `shape` is the weight's, as the state dict lists it.
 */
export function oihwToHwio(values: Float32Array, shape: readonly [number, number, number, number]): Float32Array {
  const [out, inp, kh, kw] = shape;
  const taps = kh * kw;
  if (values.length !== out * inp * taps) throw new Error(`${values.length} values for a convolution weight of shape [${shape.join(', ')}]`);
  const hwio = new Float32Array(values.length);
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inp; i++) {
      const from = (o * inp + i) * taps;
      for (let t = 0; t < taps; t++) hwio[(t * inp + i) * out + o] = values[from + t] as number;
    }
  }
  return hwio;
}

/** The legacy format's first pickle, torch.serialization.MAGIC_NUMBER. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

interface StorageType {
  readonly storageType: string;
  readonly dtype: string;
  readonly itemSize: number;
}

const STORAGE_TYPES: Record<string, [string, number]> = {
  FloatStorage: ['float32', 4],
  DoubleStorage: ['float64', 8],
  HalfStorage: ['float16', 2],
  BFloat16Storage: ['bfloat16', 2],
  LongStorage: ['int64', 8],
  IntStorage: ['int32', 4],
  ShortStorage: ['int16', 2],
  CharStorage: ['int8', 1],
  ByteStorage: ['uint8', 1],
  BoolStorage: ['bool', 1],
};

interface StorageRef {
  readonly key: string;
  readonly type: StorageType;
  /** Elements before this storage's first one in its root storage (legacy views), else 0. */
  readonly viewOffset: number;
}

interface TensorRef {
  readonly storage: StorageRef;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
}

function isStorageType(value: unknown): value is StorageType {
  return typeof value === 'object' && value !== null && 'storageType' in value;
}

function isTensorRef(value: unknown): value is TensorRef {
  return typeof value === 'object' && value !== null && 'storage' in value && 'stride' in value;
}

function intList(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v) && v >= 0)) throw new TorchFileError(`a tensor's ${what} is not a list of integers`);
  return value as number[];
}

function rebuildTensor(storage: unknown, offset: unknown, shape: unknown, stride: unknown): TensorRef {
  if (typeof storage !== 'object' || storage === null || !('key' in storage)) throw new TorchFileError('a tensor is built from something other than a storage');
  if (!Number.isInteger(offset) || (offset as number) < 0) throw new TorchFileError('a tensor has an invalid storage offset');
  const s = intList(shape, 'shape');
  const st = intList(stride, 'stride');
  if (s.length !== st.length) throw new TorchFileError(`a tensor has ${s.length} dimensions but ${st.length} strides`);
  return { storage: storage as StorageRef, offset: offset as number, shape: s, stride: st };
}

/** The globals a state dict of tensors refers to; every other name is refused, naming it. */
function findGlobal(module: string, name: string): unknown {
  const qualified = `${module}.${name}`;
  switch (qualified) {
    case 'collections.OrderedDict':
      return (items?: unknown) => new Map(Array.isArray(items) ? (items as [unknown, unknown][]) : []);
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2':
      return (storage: unknown, offset: unknown, shape: unknown, stride: unknown) => rebuildTensor(storage, offset, shape, stride);
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return (data: unknown) => data;
  }
  if (module === 'torch' && name in STORAGE_TYPES) {
    const [dtype, itemSize] = STORAGE_TYPES[name] as [string, number];
    return { storageType: name, dtype, itemSize } satisfies StorageType;
  }
  if (module.startsWith('torch.nn.') || module.startsWith('torchvision.') || module === '__main__') {
    throw new TorchFileError(`it holds a pickled Python object (${qualified}), not a state dict: save model.state_dict() instead of the model`);
  }
  throw new TorchFileError(`its pickle refers to ${qualified}, which a state dict of tensors does not hold`);
}

function storageHooks(storages: Map<string, StorageRef>): UnpickleHooks {
  return {
    findGlobal,
    persistentLoad(id: unknown): unknown {
      if (!Array.isArray(id) || id[0] !== 'storage') {
        const kind = Array.isArray(id) ? String(id[0]) : typeof id;
        throw new TorchFileError(`its pickle holds a persistent object of kind "${kind}"; only storages are read (save model.state_dict())`);
      }
      const [, type, key, , , view] = id as [string, unknown, unknown, unknown, unknown, unknown];
      if (!isStorageType(type) || typeof key !== 'string') throw new TorchFileError('its pickle holds a storage without a known type or key');
      if (Array.isArray(view)) {
        // Legacy files of PyTorch before 0.4: a view of a root storage, (view key, offset, size).
        const [viewKey, offset] = view as [unknown, unknown];
        if (typeof viewKey !== 'string' || !Number.isInteger(offset)) throw new TorchFileError('its pickle holds a damaged storage view');
        const ref = { key, type, viewOffset: offset as number };
        storages.set(key, { key, type, viewOffset: 0 });
        return ref;
      }
      const ref = { key, type, viewOffset: 0 };
      storages.set(key, ref);
      return ref;
    },
  };
}

function explainPickleError(error: unknown): never {
  if (error instanceof UnsupportedOpcodeError) throw new TorchFileError(`its pickle ${error.message}`);
  if (error instanceof PickleFormatError) throw new TorchFileError(`its pickle is damaged: it ${error.message}`);
  throw error;
}

/** The state dict in a pickled value: the value itself, or a checkpoint's "state_dict" / "model" entry. */
function tensorsOf(root: unknown): Map<string, TensorRef> {
  let dict = root;
  if (dict instanceof Map && ![...dict.values()].some(isTensorRef)) {
    const inner = dict.get('state_dict') ?? dict.get('model');
    if (inner instanceof Map) dict = inner;
  }
  if (!(dict instanceof Map)) throw new TorchFileError('it does not hold a dict of tensors (a state dict)');
  const tensors = new Map<string, TensorRef>();
  for (const [key, value] of dict) {
    if (typeof key === 'string' && isTensorRef(value)) tensors.set(key.startsWith('module.') ? key.slice('module.'.length) : key, value);
  }
  if (tensors.size === 0) throw new TorchFileError('it holds no tensors');
  return tensors;
}

/** Reads a tensor's elements in row-major order from the bytes of its storage (`base` = element 0 of `bytes`). */
function gather(tensor: TensorRef, bytes: Buffer, base: number, available: number, name: string): Float32Array {
  const { shape, stride } = tensor;
  const count = shape.reduce((a, b) => a * b, 1);
  const start = tensor.storage.viewOffset + tensor.offset;
  const last = count === 0 ? start : start + shape.reduce((sum, size, d) => sum + (size - 1) * (stride[d] as number), 0);
  if (last >= available) throw new TorchFileError(`${name} reaches element ${last} of a storage of ${available}: the file is truncated or damaged`);
  const { dtype, itemSize } = tensor.storage.type;
  const read =
    dtype === 'float32'
      ? (i: number) => bytes.readFloatLE((i - base) * itemSize)
      : dtype === 'float64'
        ? (i: number) => bytes.readDoubleLE((i - base) * itemSize)
        : undefined;
  if (!read) throw new TorchFileError(`${name} is ${dtype}; only float32 and float64 weights are read (save them with .float())`);
  const out = new Float32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  let source = start;
  for (let i = 0; i < count; i++) {
    out[i] = read(source);
    // Step the multi-index like an odometer, moving the source by each dimension's stride.
    for (let d = shape.length - 1; d >= 0; d--) {
      const size = shape[d] as number;
      const step = stride[d] as number;
      if ((index[d] as number) + 1 < size) {
        index[d] = (index[d] as number) + 1;
        source += step;
        break;
      }
      index[d] = 0;
      source -= (size - 1) * step;
    }
  }
  return out;
}

/** Extent in elements of what a tensor reads from its storage, from its first element. */
function span(tensor: TensorRef): [number, number] {
  const start = tensor.storage.viewOffset + tensor.offset;
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  if (count === 0) return [start, start];
  return [start, start + tensor.shape.reduce((sum, size, d) => sum + (size - 1) * (tensor.stride[d] as number), 0) + 1];
}

/**
 * Reads a .pth/.pt file's state dict: the shape of every tensor, and the values of those `wanted`
 * accepts. Throws TorchFileError for anything it cannot read, saying what.
 */
export async function readTorchStateDict(path: string, wanted: (name: string) => boolean): Promise<TorchStateDict> {
  const file = await open(path, 'r');
  try {
    const head = await readAt(file, 0, 16);
    if (looksLikeZip(head)) return await readZip(file, wanted);
    if (head[0] === 0x80 && head[2] === 0x8a) return await readLegacy(file, wanted);
    if (head.length >= 16) {
      const tar = await readAt(file, 257, 5);
      if (tar.toString('latin1') === 'ustar')
        throw new TorchFileError("it is a tar archive, PyTorch's format before 0.1.10: load it with torch.load and save it again");
    }
    throw new TorchFileError('it is neither a zip archive (PyTorch 1.6 and later) nor a legacy PyTorch pickle');
  } finally {
    await file.close();
  }
}

async function readZip(file: FileHandle, wanted: (name: string) => boolean): Promise<TorchStateDict> {
  let zip: ZipReader;
  try {
    zip = await ZipReader.open(file);
  } catch (error) {
    if (error instanceof ZipFormatError) throw new TorchFileError(`the zip archive ${error.message}`);
    throw error;
  }
  const pickles = [...zip.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1)
    throw new TorchFileError(`it is a zip archive but ${pickles.length ? 'holds several' : 'holds no'} <name>/data.pkl, as torch.save writes`);
  const prefix = (pickles[0] as string).slice(0, -'data.pkl'.length);
  const member = async (name: string) => {
    const entry = zip.entries.get(prefix + name);
    if (!entry) return undefined;
    try {
      return await zip.read(entry);
    } catch (error) {
      if (error instanceof ZipFormatError) throw new TorchFileError(`the zip archive ${error.message}`);
      throw error;
    }
  };
  const byteOrder = (await member('byteorder'))?.toString('latin1');
  if (byteOrder !== undefined && byteOrder !== 'little') throw new TorchFileError(`its storages are ${byteOrder}-endian; only little-endian files are read`);
  const storages = new Map<string, StorageRef>();
  let root: unknown;
  try {
    root = unpickle((await member('data.pkl')) as Buffer, 0, storageHooks(storages)).value;
  } catch (error) {
    explainPickleError(error);
  }
  const tensors = tensorsOf(root);
  const cache = new Map<string, Buffer>();
  const values = new Map<string, Float32Array>();
  for (const [name, tensor] of tensors) {
    if (!wanted(name)) continue;
    const key = tensor.storage.key;
    let bytes = cache.get(key);
    if (!bytes) {
      bytes = await member(`data/${key}`);
      if (!bytes) throw new TorchFileError(`the zip archive has no ${prefix}data/${key}, the storage of ${name}`);
      cache.set(key, bytes);
    }
    values.set(name, gather(tensor, bytes, 0, Math.floor(bytes.length / tensor.storage.type.itemSize), name));
  }
  return { shapes: new Map([...tensors].map(([name, t]) => [name, t.shape])), values, format: 'zip' };
}

async function readLegacy(file: FileHandle, wanted: (name: string) => boolean): Promise<TorchStateDict> {
  const size = (await file.stat()).size;
  const storages = new Map<string, StorageRef>();
  let parsed: { root: unknown; keys: unknown; end: number } | undefined;
  // The pickles are small and come first; read more only when they run past what was read.
  for (let length = Math.min(size, 1 << 20); !parsed; length = Math.min(size, length * 4)) {
    const bytes = await readAt(file, 0, length);
    try {
      storages.clear();
      const hooks = storageHooks(storages);
      const magic = unpickle(bytes, 0, hooks);
      if (magic.value !== LEGACY_MAGIC) throw new TorchFileError('it starts as a pickle but not with PyTorch magic number');
      const version = unpickle(bytes, magic.end, hooks);
      if (version.value !== 1001) throw new TorchFileError(`it is a legacy PyTorch file of protocol ${String(version.value)}; only 1001 is read`);
      const info = unpickle(bytes, version.end, hooks);
      if (info.value instanceof Map && info.value.get('little_endian') === false)
        throw new TorchFileError('its storages are big-endian; only little-endian files are read');
      const root = unpickle(bytes, info.end, hooks);
      const keys = unpickle(bytes, root.end, hooks);
      parsed = { root: root.value, keys: keys.value, end: keys.end };
    } catch (error) {
      if (error instanceof PickleTruncatedError && length < size) continue;
      if (error instanceof PickleTruncatedError) throw new TorchFileError('it is truncated: it ends inside its pickles');
      explainPickleError(error);
    }
  }
  const tensors = tensorsOf(parsed.root);
  if (!Array.isArray(parsed.keys) || !parsed.keys.every((k) => typeof k === 'string')) throw new TorchFileError('its list of storages is damaged');
  // Each storage follows the previous one: its int64 element count, then its elements.
  const located = new Map<string, { at: number; count: number }>();
  let at = parsed.end;
  for (const key of parsed.keys as string[]) {
    const storage = storages.get(key);
    if (!storage) throw new TorchFileError(`its list of storages names ${key}, which no tensor uses`);
    const header = await readAt(file, at, 8);
    if (header.length < 8) throw new TorchFileError(`it is truncated: storage ${key} is missing`);
    const count = Number(header.readBigInt64LE(0));
    if (count < 0) throw new TorchFileError(`storage ${key} is damaged (its element count reads ${count})`);
    located.set(key, { at: at + 8, count });
    at += 8 + count * storage.type.itemSize;
  }
  if (at > size) throw new TorchFileError(`it is truncated: its storages need ${at} bytes, the file has ${size}`);
  const values = new Map<string, Float32Array>();
  for (const [name, tensor] of tensors) {
    if (!wanted(name)) continue;
    const where = located.get(tensor.storage.key);
    if (!where) throw new TorchFileError(`the storage of ${name} is not in the file`);
    const [first, end] = span(tensor);
    if (end > where.count) throw new TorchFileError(`${name} reaches element ${end - 1} of a storage of ${where.count}: the file is truncated or damaged`);
    const itemSize = tensor.storage.type.itemSize;
    const bytes = await readAt(file, where.at + first * itemSize, (end - first) * itemSize);
    values.set(name, gather(tensor, bytes, first, where.count, name));
  }
  return { shapes: new Map([...tensors].map(([name, t]) => [name, t.shape])), values, format: 'legacy' };
}
