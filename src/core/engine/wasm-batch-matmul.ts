import * as tf from '@tensorflow/tfjs';

/**
 * BatchMatMul for the wasm backend as XNNPACK matrix products. tfjs-backend-wasm 4.22 sends only a
 * plain product (one matrix each side, no transpose) to XNNPACK; a batch of matrices or a
 * transposed operand goes to a scalar C++ loop, ~25x slower here (1.3 GFLOP/s against 36). The
 * full loss's Gram matrices (F^T F per image) and their gradients are all of that kind: 21% of a
 * 64 px training step (docs/profile-wasm.md).
 *
 * Here each product of the batch becomes one plain product: the operands cut out per batch index
 * (a heap copy, wasm-copy-kernels.ts), transposed where asked (tfjs' Transpose, a copy of one
 * operand: O(rows * cols) against the product's O(rows * inner * cols)), multiplied by the
 * original kernel's XNNPACK path, and concatenated. Each output element is the same dot product
 * in XNNPACK's summation order whatever the batch, which the tests compare with the cpu backend.
 */
export function batchMatMulAsPlainProducts(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  return tf.tidy(() => {
    const batchA = a.shape.slice(0, -2);
    const batchB = b.shape.slice(0, -2);
    const countA = batchA.reduce((x, y) => x * y, 1);
    const countB = batchB.reduce((x, y) => x * y, 1);
    const outBatch = countA >= countB ? batchA : batchB;
    const count = Math.max(countA, countB);
    const a3 = tf.reshape(a, [countA, a.shape.at(-2) as number, a.shape.at(-1) as number]);
    const b3 = tf.reshape(b, [countB, b.shape.at(-2) as number, b.shape.at(-1) as number]);
    const operand = (t: tf.Tensor, n: number, i: number, transpose: boolean) => {
      const matrix = tf.reshape(n === 1 ? t : tf.slice(t, [i, 0, 0], [1, -1, -1]), t.shape.slice(1));
      return transpose ? tf.transpose(matrix) : matrix;
    };
    // One operand shared by the whole batch is transposed once.
    const sharedA = countA === 1 ? operand(a3, 1, 0, transposeA) : undefined;
    const sharedB = countB === 1 ? operand(b3, 1, 0, transposeB) : undefined;
    const products: tf.Tensor[] = [];
    for (let i = 0; i < count; i++) {
      const ai = sharedA ?? operand(a3, countA, i, transposeA);
      const bi = sharedB ?? operand(b3, countB, i, transposeB);
      products.push(tf.matMul(ai as tf.Tensor2D, bi as tf.Tensor2D));
    }
    const first = products[0] as tf.Tensor;
    const joined = products.length === 1 ? first : tf.concat(products, 0);
    return tf.reshape(joined, [...outBatch, first.shape[0] as number, first.shape[1] as number]);
  });
}

let registered = false;

/**
 * Replaces the wasm backend's BatchMatMul (once). Plain products still go to the original (its
 * XNNPACK path), and so do what this does not cover: other dtypes, and batch shapes that
 * broadcast other than "equal, or one side a single matrix". Call before tf.setBackend('wasm').
 */
export function registerWasmBatchMatMul(): void {
  if (registered) return;
  const original = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (!original) throw new Error('registerWasmBatchMatMul: import @tensorflow/tfjs-backend-wasm first');
  registered = true;
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (params) => {
      const { a, b } = params.inputs as { a: tf.Tensor; b: tf.Tensor };
      const { transposeA, transposeB } = params.attrs as unknown as tf.BatchMatMulAttrs;
      const countA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
      const countB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
      const plain = !transposeA && !transposeB && countA === 1 && countB === 1;
      const sameBatch = a.shape.slice(0, -2).join() === b.shape.slice(0, -2).join();
      const covered = a.dtype === 'float32' && b.dtype === 'float32' && (sameBatch || countA === 1 || countB === 1);
      if (plain || !covered) return original.kernelFunc(params);
      // A Tensor returned from a kernel is used as the output as it is (tfjs engine.runKernelFunc).
      return batchMatMulAsPlainProducts(a, b, transposeA, transposeB) as unknown as tf.TensorInfo;
    },
  });
}
