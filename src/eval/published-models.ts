import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { BUILT_IN_MODEL_NAMES, type ExperimentConfig } from '../core/config/schema.js';
import { UserError } from '../core/errors.js';
import type { PublishedFormat } from '../core/published/published-model.js';

/** A published model to score: the config's models: entries, and eval --model NAME=FORMAT:FILE. */
export interface PublishedModelSpec {
  readonly name: string;
  readonly format: PublishedFormat;
  /** Absolute path of the weights file. */
  readonly file: string;
}

/**
 * The published models an evaluation scores: the config's, then those given on the command line
 * (`extra`), every name unique and none a built-in row's.
 */
export function publishedModelsOf(config: ExperimentConfig, extra: readonly PublishedModelSpec[] = []): PublishedModelSpec[] {
  const all = [...(config.models ?? []), ...extra];
  const seen = new Set<string>();
  for (const model of all) {
    if (BUILT_IN_MODEL_NAMES.includes(model.name) || seen.has(model.name)) {
      throw new UserError('MODEL_NAME_TAKEN', `two models would be named ${JSON.stringify(model.name)}`, {
        hint: `Give each published model its own name, not one of ${[...BUILT_IN_MODEL_NAMES, ...seen].join(', ')}.`,
      });
    }
    seen.add(model.name);
  }
  return all;
}

const hashes = new Map<string, { key: string; sha256: Promise<string> }>();

/**
 * SHA-256 of a weights file, hashed once per process while its size and time stay the same (the
 * stage table and the scorers both ask). A missing file is the user's to fix.
 */
export async function weightsSha256(file: string, modelName: string): Promise<string> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(file);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      'MODEL_FILE_MISSING',
      `the weights of ${modelName}, ${file}, ${code === 'EISDIR' ? 'are a folder' : 'cannot be read'} (${code ?? error})`,
      {
        hint: 'Point models[].file (or --model NAME=FORMAT:FILE) at the weights file.',
        cause: error,
      },
    );
  }
  const key = `${info.size}|${info.mtimeMs}`;
  const known = hashes.get(file);
  if (known && known.key === key) return known.sha256;
  const sha256 = new Promise<string>((done, fail) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', fail)
      .on('end', () => done(hash.digest('hex')));
  });
  hashes.set(file, { key, sha256 });
  sha256.catch(() => hashes.delete(file));
  return sha256;
}

/** What ran a published model, as kept with its scores and shown in results.json's backend.inference. */
export function publishedEngineOf(format: PublishedFormat, backend: string): string {
  return `TensorFlow.js ${backend} (${format} weights)`;
}

/**
 * A published model ready to fill batches of pairs at data.imageSize, like openModelRunner for
 * our own: the caller composites and scores its raw output.
 */
export async function openPublishedRunner(
  config: ExperimentConfig,
  spec: PublishedModelSpec,
  backend: string,
): Promise<import('./model-runner.js').ModelRunner> {
  const { loadPublishedModel } = await import('../core/published/formats.js');
  const size = config.data.imageSize;
  const model = await loadPublishedModel(spec.format, spec.file);
  if (size % model.sizeMultiple !== 0) {
    model.dispose();
    throw new UserError(
      'MODEL_SIZE',
      `${spec.name} (${model.description}) takes images whose side is a multiple of ${model.sizeMultiple}, but data.imageSize is ${size}`,
      {
        hint: `Evaluate it on a config whose data.imageSize is a multiple of ${model.sizeMultiple} (e.g. ${Math.max(1, Math.round(size / model.sizeMultiple)) * model.sizeMultiple}).`,
      },
    );
  }
  const perImage = size * size * 3;
  const { concatFloat32 } = await import('../core/data/concat-float32.js');
  return {
    engine: publishedEngineOf(spec.format, backend),
    notes: [model.description],
    async predict(images, valid) {
      const data = await model.predict(concatFloat32(images), concatFloat32(valid), images.length, size);
      return images.map((_, i) => data.slice(i * perImage, (i + 1) * perImage));
    },
    async dispose() {
      model.dispose();
    },
  };
}
