import { type MaskGenerator, strokesSettingsOf } from '../config/schema.js';
import { pconvKerasSource } from './pconv-keras-source.js';
import type { ShapeSource } from './shape-source.js';
import { strokesSource } from './strokes-source.js';

/** The shape source that a config's masks.generator names. */
export function shapeSourceFor(generator: MaskGenerator, width: number, height: number): ShapeSource {
  switch (generator.kind) {
    case 'pconv-keras':
      return pconvKerasSource(generator, width, height);
    case 'strokes':
      return strokesSource(strokesSettingsOf(generator), width, height);
  }
}
