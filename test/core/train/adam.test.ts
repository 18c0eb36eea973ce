import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { setupBackend } from '../../../src/core/engine/backend.js';
import { ADAM_UPDATE } from '../../../src/core/engine/shared/adam-update.js';
import { Rng } from '../../../src/core/rng.js';
import { Adam } from '../../../src/core/train/adam.js';

const SHAPES: Record<string, number[]> = { 'conv/kernel': [3, 3, 5, 7], 'conv/bias': [7], 'bn/gamma': [13], 'dense/kernel': [33, 3] };

function values(shape: number[], seed: number, scale: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => (rng.next() < 0.1 ? 0 : rng.uniform(-scale, scale)));
}

function makeVariables(): Map<string, tf.Variable> {
  return new Map(Object.entries(SHAPES).map(([key, shape], i) => [key, variableOf(tf.tensor(values(shape, 100 + i, 1), shape), key)]));
}

/** A variable holding `initial`'s values; `initial` is disposed (the variable keeps the data). */
function variableOf(initial: tf.Tensor, key: string): tf.Variable {
  const variable = tf.variable(initial, true, `${key}-${Math.random()}`);
  initial.dispose();
  return variable;
}

/** Gradients of step t; 'bn/gamma' has none on even steps (a frozen or unused weight). */
function makeGrads(t: number): Map<string, tf.Tensor> {
  return new Map(
    Object.entries(SHAPES)
      .filter(([key]) => key !== 'bn/gamma' || t % 2 === 1)
      .map(([key, shape], i) => [key, tf.tensor(values(shape, 1000 * t + i, 10 ** ((i % 3) - 2)), shape)]),
  );
}

function read(tensors: ReadonlyMap<string, tf.Tensor>): Record<string, number[]> {
  return Object.fromEntries([...tensors].map(([key, t]) => [key, [...t.dataSync()]]));
}

/** Runs steps [from, to) with a fresh gradient each; returns the kernels the last step ran. */
async function run(adam: Adam, variables: Map<string, tf.Variable>, from: number, to: number): Promise<string[]> {
  let kernels: string[] = [];
  for (let t = from; t < to; t++) {
    const grads = makeGrads(t);
    kernels = (await tf.profile(() => adam.apply(variables, grads))).kernelNames;
    tf.dispose([...grads.values()]);
  }
  return kernels;
}

describe.each(['cpu', 'wasm'])('Adam on %s', (backend) => {
  beforeAll(async () => {
    await setupBackend(backend as 'cpu' | 'wasm');
  });

  test('the fused kernel and the tf-op form give the same bits over 6 steps; state, restore and dispose as before', async () => {
    const start = tf.memory().numTensors;
    const [fusedVars, opsVars] = [makeVariables(), makeVariables()];
    const fused = new Adam(2e-4);
    const ops = new Adam(2e-4);
    ops.useFusedKernel = false;

    const fusedKernels = await run(fused, fusedVars, 1, 7);
    const opsKernels = await run(ops, opsVars, 1, 7);
    expect(fusedKernels).toContain(ADAM_UPDATE);
    expect(fusedKernels).not.toContain('Sqrt');
    expect(opsKernels).not.toContain(ADAM_UPDATE);
    expect(opsKernels).toContain('Sqrt');

    // toEqual uses Object.is per element: the same floats, signs of zero included.
    expect(read(fusedVars)).toEqual(read(opsVars));
    const [a, b] = [fused.state(), ops.state()];
    expect(a.t).toBe(6);
    expect(b.t).toBe(6);
    expect(read(a.m)).toEqual(read(b.m));
    expect(read(a.v)).toEqual(read(b.v));
    expect([...a.m.keys()].sort()).toEqual(Object.keys(SHAPES).sort());

    // Two moments per variable are the only tensors Adam keeps.
    const vars = Object.keys(SHAPES).length;
    expect(tf.memory().numTensors).toBe(start + 2 * vars + 2 * 2 * vars);

    // A resumed optimizer (state copied as a checkpoint would restore it) continues exactly.
    const resumed = new Adam(2e-4);
    resumed.restore({ t: a.t, m: new Map([...a.m].map(([k, t]) => [k, t.clone()])), v: new Map([...a.v].map(([k, t]) => [k, t.clone()])) });
    const resumedVars = new Map([...fusedVars].map(([key, v]) => [key, variableOf(v.clone(), key)]));
    await run(fused, fusedVars, 7, 10);
    await run(resumed, resumedVars, 7, 10);
    await run(ops, opsVars, 7, 10);
    expect(read(resumedVars)).toEqual(read(fusedVars));
    expect(read(opsVars)).toEqual(read(fusedVars));
    expect(read(resumed.state().m)).toEqual(read(fused.state().m));
    expect(read(resumed.state().v)).toEqual(read(fused.state().v));

    for (const adam of [fused, ops, resumed]) {
      adam.dispose();
      expect(adam.state().t).toBe(0);
      expect(adam.state().m.size).toBe(0);
    }
    tf.dispose([...fusedVars.values(), ...opsVars.values(), ...resumedVars.values()]);
    expect(tf.memory().numTensors).toBe(start);
  });

  test('a step leaks no tensors and leaves gradients and moments of the previous step disposed', async () => {
    const variables = makeVariables();
    const adam = new Adam(1e-3);
    await run(adam, variables, 1, 2);
    const after1 = tf.memory().numTensors;
    const previous = [...adam.state().m.values()];
    await run(adam, variables, 2, 5);
    expect(tf.memory().numTensors).toBe(after1);
    expect(previous.every((t) => t.isDisposed)).toBe(true);
    adam.dispose();
    tf.dispose([...variables.values()]);
  });
});
