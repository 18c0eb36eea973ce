import { kerasLayersGroup, openHdf5File } from '../../io/hdf5-file.js';

/**
 * Reads the weights of a Keras `model.save_weights` HDF5 file (Keras 2.x and tf.keras, h5 format)
 * with h5wasm: the root's layer_names attribute lists the model's layers in its topological order
 * (the order Keras' load_weights matches them by); each layer's group lists its weights in a
 * weight_names attribute, e.g. p_conv2d_49/img_kernel:0, stored at <layer>/<weight name>. A whole
 * saved model (model.save) keeps the same tree under model_weights/.
 *
 * A model trained on several GPUs (the seed's PConvUnet with gpus > 1 wraps its UNet in Keras'
 * multi_gpu_model) saves the whole UNet as one layer (e.g. model_1) whose weight_names carry the
 * inner layers' names (p_conv2d_1/img_kernel:0, stored at model_1/p_conv2d_1/img_kernel:0): such a
 * layer is read as its inner layers, so the loader sees the same list as from a single-GPU file.
 */
export interface KerasWeight {
  /** The weight's own name without the layer prefix and ':0', e.g. img_kernel, moving_mean. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export interface KerasLayer {
  readonly name: string;
  /** In weight_names order; empty for layers without weights (inputs, activations, concatenations). */
  readonly weights: readonly KerasWeight[];
}

/** Why a file is not readable Keras HDF5 weights; the loader turns it into a UserError. */
export class KerasH5Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KerasH5Error';
  }
}

/** All layers, in layer_names order. Throws KerasH5Error for a file that is not Keras weights. */
export async function readKerasWeights(path: string): Promise<KerasLayer[]> {
  const file = await openHdf5File(path, (why) => new KerasH5Error(why));
  try {
    const root = kerasLayersGroup(file);
    const names = stringList(root.attrs?.layer_names?.value);
    if (!names) {
      const found = root.keys?.().slice(0, 8).join(', ') || 'nothing';
      throw new KerasH5Error(`it is HDF5 but not Keras weights (no layer_names attribute; it holds ${found})`);
    }
    return names.flatMap((name) => {
      // A layer without weights may have no group (Keras writes an empty one; other writers skip it).
      const group = root.keys?.().includes(name) ? root.get?.(name) : undefined;
      if (!group?.keys) return [{ name, weights: [] }];
      const weightNames = stringList(group.attrs?.weight_names?.value) ?? [];
      const weights = weightNames.map((full) => {
        const data = group.get?.(full);
        if (!data || !Array.isArray(data.shape)) throw new KerasH5Error(`${name} lists weight ${full} but the file has no dataset ${name}/${full}`);
        let values: Float32Array;
        try {
          values = Float32Array.from(data.value as ArrayLike<number>);
        } catch (error) {
          throw new KerasH5Error(`${name}/${full} cannot be read (${(error as Error).message}); is the file truncated?`);
        }
        const count = data.shape.reduce((a, b) => a * b, 1);
        if (values.length !== count) throw new KerasH5Error(`${name}/${full} holds ${values.length} values, not ${count}`);
        return { full, weight: { name: (full.split('/').pop() ?? full).replace(/:\d+$/, ''), shape: data.shape, values } };
      });
      return innerLayers(name, weights) ?? [{ name, weights: weights.map((w) => w.weight) }];
    });
  } catch (error) {
    if (error instanceof KerasH5Error) throw error;
    throw new KerasH5Error(`HDF5 cannot read it (${(error as Error).message}); is the file truncated or damaged?`);
  } finally {
    file.close();
  }
}

/**
 * The inner layers of a nested model's layer, or undefined for an ordinary layer (whose weights are
 * named <layer>/<weight>:0, or have no layer part). Keras lists a nested model's trainable weights
 * before its non-trainable ones (a batch norm's moving statistics come last), so each inner layer
 * collects its weights wherever they are, and the inner layers keep the order in which they first
 * appear: the model's layer order, as every layer of the seed's UNet has a trainable weight.
 */
function innerLayers(name: string, weights: readonly { full: string; weight: KerasWeight }[]): KerasLayer[] | undefined {
  const prefixOf = (full: string) => full.slice(0, Math.max(0, full.lastIndexOf('/')));
  // A layer's own weights may also carry the scopes around it (outer/p_conv2d_1/img_kernel:0).
  const own = (prefix: string) => prefix === '' || prefix === name || prefix.endsWith(`/${name}`);
  if (weights.every(({ full }) => own(prefixOf(full)))) return undefined;
  const inner = new Map<string, KerasWeight[]>();
  for (const { full, weight } of weights) {
    const prefix = own(prefixOf(full)) ? name : prefixOf(full);
    inner.set(prefix, [...(inner.get(prefix) ?? []), weight]);
  }
  return [...inner].map(([innerName, innerWeights]) => ({ name: innerName, weights: innerWeights }));
}

/** An HDF5 string attribute as strings (one string, or an array of them; bytes decoded). */
function stringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return Array.from(value as ArrayLike<unknown>, (v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v)));
  }
  return undefined;
}
