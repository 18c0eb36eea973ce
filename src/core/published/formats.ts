import { UserError } from '../errors.js';
import { PUBLISHED_FORMATS, type PublishedFormat, type PublishedModel } from './published-model.js';

/** One loader per format: reads the weights file, checks its architecture, builds the network. */
type Loader = (file: string) => Promise<PublishedModel>;

const LOADERS: Partial<Record<PublishedFormat, () => Promise<Loader>>> = {
  // Each format registers its loader here, imported lazily (TensorFlow.js, h5wasm load with it).
  'pconv-keras-h5': () => import('./pconv-keras/load.js').then((m) => m.loadPconvKeras),
  'pytorch-pconv': () => import('./pytorch-pconv/load.js').then((m) => m.loadPytorchPconv),
};

/** Loads a published model's weights file in the given format. */
export async function loadPublishedModel(format: string, file: string): Promise<PublishedModel> {
  if (!PUBLISHED_FORMATS.includes(format as PublishedFormat)) {
    throw new UserError('MODEL_FORMAT_UNKNOWN', `${format} is not a model format pconv-bench reads`, {
      hint: `Use one of ${PUBLISHED_FORMATS.join(', ')}.`,
    });
  }
  const loader = LOADERS[format as PublishedFormat];
  if (!loader) throw new Error(`no loader registered for ${format}`);
  return (await loader())(file);
}
