import { type PconvKerasSettings, pconvKerasSource } from './pconv-keras-source.js';
import type { ShapeSource } from './shape-source.js';
import { STROKE_PRESETS, type StrokesSettings, strokesSource } from './strokes-source.js';

/**
 * What a config's masks.generator holds (core/config/schema.ts checks the YAML into this shape):
 * PConv-Keras' recipe, or one of LaMa's stroke presets with some of its settings set on top.
 */
export type MaskGenerator =
  | ({ readonly kind: 'pconv-keras' } & PconvKerasSettings)
  | ({ readonly kind: 'strokes'; readonly preset: keyof typeof STROKE_PRESETS } & { readonly [K in keyof StrokesSettings]?: StrokesSettings[K] | undefined });

/** The shape source that a config's masks.generator names. */
export function shapeSourceFor(generator: MaskGenerator, width: number, height: number): ShapeSource {
  switch (generator.kind) {
    case 'pconv-keras':
      return pconvKerasSource(generator, width, height);
    case 'strokes':
      return strokesSource(strokesSettingsOf(generator), width, height);
  }
}

/** A strokes generator's settings: its preset, with the keys the config sets on top. */
export function strokesSettingsOf(generator: Extract<MaskGenerator, { kind: 'strokes' }>): StrokesSettings {
  const { kind: _kind, preset, ...overrides } = generator;
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return { ...STROKE_PRESETS[preset], ...defined };
}
