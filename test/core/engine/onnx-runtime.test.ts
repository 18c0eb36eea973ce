import { availableParallelism } from 'node:os';
import { describe, expect, test } from 'vitest';
import { loadOnnxRuntime, onnxThreads } from '../../../src/core/engine/onnx-runtime.js';

describe('onnxThreads', () => {
  test('one per core unless PCONV_ONNX_THREADS says otherwise', () => {
    expect(onnxThreads({})).toBe(availableParallelism());
    expect(onnxThreads({ PCONV_ONNX_THREADS: '' })).toBe(availableParallelism());
    expect(onnxThreads({ PCONV_ONNX_THREADS: '3' })).toBe(3);
  });

  test.each(['0', '-1', '1.5', 'two'])('PCONV_ONNX_THREADS=%s is refused with a hint', (value) => {
    expect(() => onnxThreads({ PCONV_ONNX_THREADS: value })).toThrow(
      expect.objectContaining({ code: 'BAD_ENV', hint: expect.stringContaining('PCONV_ONNX_THREADS=1') }),
    );
  });
});

describe('loadOnnxRuntime', () => {
  test('loads the bundled CPU library and names its version and threads', async () => {
    const runtime = await loadOnnxRuntime();
    if (typeof runtime === 'string') throw new Error(runtime);
    expect(runtime.version).toMatch(/^onnxruntime-node \d+\.\d+\.\d+ \(CPU, \d+ threads?\)$/);
  });
});
