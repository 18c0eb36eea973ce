import { z } from 'zod';

/**
 * masks/manifest.json: one entry per mask file, for generated and imported sets alike. Files are
 * 8-bit greyscale PNG, 255 = valid, 0 = hole; holeRatio is measured on the written file.
 */
export const MaskEntrySchema = z.strictObject({
  file: z.string().describe('Path relative to the manifest folder, with "/" separators.'),
  width: z.int().min(1),
  height: z.int().min(1),
  holeRatio: z.number().min(0).max(1),
  bin: z.string().describe('Label of the bin, e.g. "(0.1, 0.2]".'),
  binIndex: z.int().min(0),
  border: z.enum(['border', 'no-border']),
  generator: z.string().describe('pconv-keras, strokes, or "import".'),
  seed: z.int().min(0).nullable().describe('Seed that regenerates this mask alone; null for imported masks.'),
  source: z.string().optional().describe('Imported masks: the original file, relative to the import folder.'),
  sha256: z.string().length(64).describe('Hash of the PNG file.'),
});
export type MaskEntry = z.infer<typeof MaskEntrySchema>;

export const MaskManifestSchema = z.strictObject({
  format: z.literal('pconv-bench/masks@1'),
  width: z.int().min(1),
  height: z.int().min(1),
  binRule: z.enum(['(lo,hi]', '[lo,hi)']),
  bins: z.array(z.strictObject({ lo: z.number(), hi: z.number(), label: z.string() })),
  borderMargin: z.int().min(0),
  /** Everything that determines the files; equal hashes mean equal files. */
  settings: z.record(z.string(), z.unknown()),
  settingsHash: z.string(),
  counts: z.array(z.strictObject({ bin: z.string(), border: z.enum(['border', 'no-border']), count: z.int().min(0) })),
  skipped: z.array(z.strictObject({ file: z.string(), reason: z.string() })),
  /** Present on one shard of a set made with --shard i/n; `pconv-bench merge` joins the shards. */
  shard: z.strictObject({ index: z.int().min(0), count: z.int().min(1) }).optional(),
  masks: z.array(MaskEntrySchema),
});
export type MaskManifest = z.infer<typeof MaskManifestSchema>;
