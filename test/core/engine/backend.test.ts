import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { backendOption } from '../../../src/cli/common-options.js';
import {
  activeBackendCapabilities,
  BACKEND_REQUESTS,
  backendRecord,
  onReferenceBackend,
  setupBackend,
  type TrainingMemoryInput,
} from '../../../src/core/engine/backend.js';
import { BACKEND_REQUESTS as CLI_REQUESTS } from '../../../src/core/engine/backend-requests.js';
import { WASM_HEAP_MAX_BYTES } from '../../../src/core/engine/wasm/memory.js';
import { repoRoot } from '../../helpers/run-cli.js';

// The paper UNet at 512 px, batch 6, full loss: far past the wasm heap (wasm/memory.test.ts).
const tooBig: TrainingMemoryInput = { kind: 'pconv', parameters: 32_000_000, baseChannels: 64, imageSize: 512, batchSize: 6, vggFeatures: true };

describe('backend capabilities', () => {
  test('the CLI lists the requests setupBackend takes', () => {
    expect(BACKEND_REQUESTS).toBe(CLI_REQUESTS);
    expect(backendOption.choices).toBe(CLI_REQUESTS);
  });

  test("the extension's pconvBench.backend setting offers the same requests (its package.json cannot import them)", () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'extension', 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { enum?: string[] }> } };
    };
    expect(manifest.contributes.configuration.properties['pconvBench.backend']?.enum).toEqual([...CLI_REQUESTS]);
  });

  test('cpu: portable, one thread, no heap ceiling, the reference', async () => {
    const cpu = await setupBackend('cpu');
    expect(cpu).toMatchObject({ name: 'cpu', portableCpu: true, threads: 1, heapLimitBytes: null, reference: true });
    expect(() => cpu.checkFits(tooBig)).not.toThrow();
    expect(activeBackendCapabilities()).toMatchObject({ portableCpu: true, threads: 1, heapLimitBytes: null, reference: true });
  });

  test('wasm: portable, its thread count, the heap ceiling and its refusal; the records keep what ran', async () => {
    const wasm = await setupBackend('wasm');
    expect(wasm).toMatchObject({ name: 'wasm', portableCpu: true, heapLimitBytes: WASM_HEAP_MAX_BYTES, reference: false });
    expect(wasm.threads).toBeGreaterThanOrEqual(1);
    expect(wasm.device).toContain(wasm.threads === 1 ? 'one thread' : `${wasm.threads} threads`);
    expect(() => wasm.checkFits(tooBig, 'bench', { size: '--size', batch: '--batch' })).toThrow(
      expect.objectContaining({ code: 'WASM_MEMORY', message: expect.stringMatching(/^bench at --size 512 with --batch 6/) }),
    );
    expect(() => wasm.checkFits({ ...tooBig, imageSize: 16, batchSize: 1, parameters: 1000 })).not.toThrow();
    expect(activeBackendCapabilities()).toMatchObject({ portableCpu: true, threads: wasm.threads, heapLimitBytes: WASM_HEAP_MAX_BYTES });
    expect(JSON.stringify(backendRecord(wasm))).toBe(JSON.stringify({ name: wasm.name, version: wasm.version, device: wasm.device, notes: wasm.notes }));
  });

  test('onReferenceBackend runs on cpu and gives the active backend back, also when the function throws', async () => {
    await setupBackend('wasm');
    await expect(onReferenceBackend(async () => tf.getBackend())).resolves.toBe('cpu');
    expect(tf.getBackend()).toBe('wasm');
    await expect(
      onReferenceBackend(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(tf.getBackend()).toBe('wasm');
  });
});
