import type { ModelKind } from '../core/model/unet.js';
import { TELEA_RADIUS } from './telea.js';

/** The names of the results' rows: models first, PConv the reference of paired differences. */
export const MODEL_NAMES: Record<ModelKind, string> = { pconv: 'PConv', conv: 'Conv (baseline)' };
export const TELEA_NAME = `Telea (OpenCV, radius ${TELEA_RADIUS})`;
