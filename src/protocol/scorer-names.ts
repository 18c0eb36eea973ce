import type { ModelKindName } from './run-layout.js';

/** The radius of the Telea row (OpenCV's cv.inpaint, src/eval/telea.ts): its name states it. */
export const TELEA_RADIUS = 3;

/**
 * The names of the results' rows: models first, PConv the reference of paired differences. Here,
 * below the config, so that the config can refuse a published model named like a built-in row.
 */
export const MODEL_NAMES: Record<ModelKindName, string> = { pconv: 'PConv', conv: 'Conv (baseline)' };
export const TELEA_NAME = `Telea (OpenCV, radius ${TELEA_RADIUS})`;
