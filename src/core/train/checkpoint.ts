import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { makeStagingDir, replaceDir, writeFileAtomic } from '../io/atomic.js';
import { sha256Of } from '../io/stable-json.js';

/**
 * A checkpoint folder: checkpoint.json (what, where, how far, and a table of tensors) and
 * tensors.bin (every tensor as little-endian float32, one after another). Written into a staging
 * folder and renamed into place, so a crash leaves the previous checkpoint whole.
 */
export const CheckpointMetaSchema = z.object({
  format: z.literal('pconv-bench/checkpoint@1'),
  model: z.enum(['pconv', 'conv']),
  /** The phase in progress (or just finished) and the global step count done. */
  phase: z.union([z.literal(1), z.literal(2)]),
  step: z.int().min(0),
  phaseFinished: z.boolean(),
  seed: z.int(),
  optimizer: z.object({ kind: z.literal('adam'), t: z.int().min(0), learningRate: z.number() }),
  configHash: z.string(),
  backend: z.object({ name: z.string(), version: z.string(), device: z.string() }),
  createdAt: z.string(),
  tensorsSha256: z.string(),
  tensors: z.array(z.object({ key: z.string(), shape: z.array(z.int().min(0)), offset: z.int().min(0), length: z.int().min(0) })),
  config: z.record(z.string(), z.unknown()),
});
export type CheckpointMeta = z.infer<typeof CheckpointMetaSchema>;

export interface LoadedCheckpoint {
  readonly meta: CheckpointMeta;
  readonly tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>;
}

const META = 'checkpoint.json';
const DATA = 'tensors.bin';

export async function saveCheckpoint(
  dir: string,
  meta: Omit<CheckpointMeta, 'tensors' | 'tensorsSha256' | 'format'>,
  tensors: ReadonlyMap<string, tf.Tensor>,
): Promise<void> {
  const table: CheckpointMeta['tensors'] = [];
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [key, tensor] of tensors) {
    const values = (await tensor.data()) as Float32Array;
    table.push({ key, shape: [...tensor.shape], offset, length: values.length });
    parts.push(values);
    offset += values.length;
  }
  const data = new Float32Array(offset);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  const bytes = new Uint8Array(data.buffer);
  const full: CheckpointMeta = { format: 'pconv-bench/checkpoint@1', ...meta, tensorsSha256: sha256Of(bytes), tensors: table };
  const staging = await makeStagingDir(dir);
  await writeFileAtomic(join(staging, DATA), bytes);
  await writeFileAtomic(join(staging, META), `${JSON.stringify(full, null, 1)}\n`);
  await replaceDir(staging, dir);
}

/** Reads a checkpoint; a missing, truncated or altered one is a clear error. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const corrupt = (why: string) =>
    new UserError('CHECKPOINT_CORRUPT', `checkpoint ${dir} is damaged: ${why}`, {
      hint: 'Delete the folder and resume from an earlier checkpoint, or train again.',
    });
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
    throw new UserError('CHECKPOINT_MISSING', `no checkpoint at ${dir}`, {
      hint: 'Train first (pconv-bench train <config>), or point --checkpoint at a checkpoint folder.',
    });
  }
  let metaText: string;
  try {
    metaText = await readFile(join(dir, META), 'utf8');
  } catch {
    throw corrupt(`${META} is missing`);
  }
  let meta: CheckpointMeta;
  try {
    meta = CheckpointMetaSchema.parse(JSON.parse(metaText));
  } catch (error) {
    throw corrupt(`${META} is not a valid checkpoint description (${(error as Error).message.split('\n')[0]})`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, DATA));
  } catch {
    throw corrupt(`${DATA} is missing`);
  }
  if (sha256Of(bytes) !== meta.tensorsSha256) throw corrupt(`${DATA} does not match its recorded hash (truncated or altered)`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const entry of meta.tensors) {
    if (entry.offset + entry.length > all.length) throw corrupt(`tensor ${entry.key} lies past the end of ${DATA}`);
    tensors.set(entry.key, { shape: entry.shape, values: all.subarray(entry.offset, entry.offset + entry.length) });
  }
  return { meta, tensors };
}
