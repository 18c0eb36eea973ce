import * as tf from '@tensorflow/tfjs';
import { replaceKernel } from '../shared/replace-kernel.js';

/** Batch shapes this file multiplies itself: equal, or one side a single matrix (any rank of 1s). */
function isCovered(batchA: readonly number[], batchB: readonly number[]): boolean {
  const countA = tf.util.sizeFromShape([...batchA]);
  const countB = tf.util.sizeFromShape([...batchB]);
  return batchA.join() === batchB.join() || countA === 1 || countB === 1;
}

/**
 * BatchMatMul for the wasm backend as XNNPACK matrix products. tfjs-backend-wasm 4.22 sends only a
 * plain product (one matrix each side, no transpose) to XNNPACK; a batch of matrices or a
 * transposed operand goes to a scalar C++ loop, ~25x slower here (1.3 GFLOP/s against 36). The
 * full loss's Gram matrices (F^T F per image) and their gradients are all of that kind: 21% of a
 * 64 px training step (docs/profile-wasm.md).
 *
 * Here each product of the batch becomes one plain product: the operands cut out per batch index
 * (a heap copy, wasm/copy-kernels.ts), transposed where asked (tfjs' Transpose, a copy of one
 * operand: O(rows * cols) against the product's O(rows * inner * cols)), multiplied by the
 * original kernel's XNNPACK path, and concatenated. Each output element is the same dot product
 * in XNNPACK's summation order whatever the batch, which the tests compare with the cpu backend.
 *
 * The output's batch shape is the broadcast of the two (as tfjs gives it: a [M, K] x b [1, K, N]
 * is [1, M, N]). Only batch shapes where that broadcast is a plain pairing are accepted: equal
 * shapes (product i of a with product i of b) or one side a single matrix (shared by every
 * product); other broadcasts throw. An output with no elements (an empty batch, 0 rows or 0
 * columns) is an empty tensor of that shape, and an inner size of 0 gives zeros.
 */
export function batchMatMulAsPlainProducts(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  if (a.rank < 2 || b.rank < 2 || !isCovered(batchA, batchB)) {
    throw new Error(
      `batchMatMulAsPlainProducts: a [${a.shape}] and b [${b.shape}] must be matrices whose batch shapes are equal or one of them a single matrix`,
    );
  }
  const rows = (transposeA ? a.shape.at(-1) : a.shape.at(-2)) as number;
  const cols = (transposeB ? b.shape.at(-2) : b.shape.at(-1)) as number;
  const outShape = [...tf.backend_util.assertAndGetBroadcastShape(batchA, batchB), rows, cols];
  const count = tf.util.sizeFromShape(outShape.slice(0, -2));
  const inner = (transposeA ? a.shape.at(-2) : a.shape.at(-1)) as number;
  const innerB = (transposeB ? b.shape.at(-1) : b.shape.at(-2)) as number;
  if (inner !== innerB) {
    throw new Error(
      `Error in matMul: inner shapes (${inner}) and (${innerB}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  // tfjs-backend-wasm 4.22's plain product returns uninitialised memory for an inner size of 0
  // (XNNPACK refuses it); a sum over nothing is 0.
  if (tf.util.sizeFromShape(outShape) === 0 || inner === 0) return tf.zeros(outShape);
  return tf.tidy(() => {
    const countA = tf.util.sizeFromShape(batchA);
    const countB = tf.util.sizeFromShape(batchB);
    const a3 = tf.reshape(a, [countA, a.shape.at(-2) as number, a.shape.at(-1) as number]);
    const b3 = tf.reshape(b, [countB, b.shape.at(-2) as number, b.shape.at(-1) as number]);
    const operand = (t: tf.Tensor, n: number, i: number, transpose: boolean) => {
      const matrix = tf.reshape(n === 1 ? t : tf.slice(t, [i, 0, 0], [1, -1, -1]), t.shape.slice(1));
      return transpose ? tf.transpose(matrix) : matrix;
    };
    // One operand shared by the whole batch is transposed once. With equal batch shapes, or one
    // side a single matrix, product i of the broadcast batch (row-major) pairs a's i with b's i.
    const sharedA = countA === 1 ? operand(a3, 1, 0, transposeA) : undefined;
    const sharedB = countB === 1 ? operand(b3, 1, 0, transposeB) : undefined;
    const products: tf.Tensor[] = [];
    for (let i = 0; i < count; i++) {
      const ai = sharedA ?? operand(a3, countA, i, transposeA);
      const bi = sharedB ?? operand(b3, countB, i, transposeB);
      products.push(tf.matMul(ai as tf.Tensor2D, bi as tf.Tensor2D));
    }
    return tf.reshape(products.length === 1 ? (products[0] as tf.Tensor) : tf.concat(products, 0), outShape);
  });
}

/** tfjs-backend-wasm's own BatchMatMul, kept by registerWasmBatchMatMul for what we do not cover. */
let original: tf.KernelConfig | undefined;

/**
 * The [K, N] shape each right operand's data had in a plain product. tfjs-backend-wasm 4.22 caches
 * the XNNPACK operator (with B packed in it) under B's data id alone, and a reshape keeps the id:
 * multiplying by t as [6, 4] and then by a reshape of t to [4, 6] reused the [6, 4] operator and
 * returned garbage (test). A right operand seen before with another shape is copied first.
 */
const rightOperandShapes = new WeakMap<object, string>();

function plainProduct(kernel: tf.KernelConfig, params: Parameters<tf.KernelFunc>[0], b: tf.Tensor): ReturnType<tf.KernelFunc> {
  const shape = `${b.shape.at(-2)}x${b.shape.at(-1)}`;
  const seen = rightOperandShapes.get(b.dataId);
  if (seen === undefined) rightOperandShapes.set(b.dataId, shape);
  if (seen === undefined || seen === shape) return kernel.kernelFunc(params);
  const copy = tf.mul(b, 1);
  try {
    return kernel.kernelFunc({ ...params, inputs: { ...params.inputs, b: copy } });
  } finally {
    copy.dispose();
  }
}

/**
 * The kernel function registered for BatchMatMul on wasm (exported so that tests can tell it is
 * ours). Plain products still go to the original (its XNNPACK path), and so does what this does
 * not cover: other dtypes, and batch shapes that broadcast other than "equal, or one side a single
 * matrix" (tfjs 4.22's own kernels compute max(countA, countB) products there, right or wrong: a
 * [2, 1] batch against [2] gives 2 of the 4; we keep its behaviour rather than guess).
 */
export const wasmBatchMatMul: tf.KernelFunc = (params) => {
  if (!original) throw new Error('wasmBatchMatMul: call registerWasmBatchMatMul() first');
  const { a, b } = params.inputs as { a: tf.Tensor; b: tf.Tensor };
  const { transposeA, transposeB } = params.attrs as unknown as tf.BatchMatMulAttrs;
  const [batchA, batchB] = [a.shape.slice(0, -2), b.shape.slice(0, -2)];
  const inner = (transposeA ? a.shape.at(-2) : a.shape.at(-1)) as number;
  const single = tf.util.sizeFromShape(batchA) === 1 && tf.util.sizeFromShape(batchB) === 1;
  const plain = !transposeA && !transposeB && single && inner > 0;
  const covered = a.dtype === 'float32' && b.dtype === 'float32' && isCovered(batchA, batchB);
  if (plain) return plainProduct(original, params, b);
  if (!covered) return original.kernelFunc(params);
  // A Tensor returned from a kernel is used as the output as it is (tfjs engine.runKernelFunc).
  // Empty products are answered here too: tfjs-backend-wasm 4.22's kernel traps ("remainder by
  // zero") on a [0, M, K] x [K, N] product and returns uninitialised memory when K is 0.
  return batchMatMulAsPlainProducts(a, b, transposeA, transposeB) as unknown as tf.TensorInfo;
};

/** Replaces the wasm backend's BatchMatMul (once). Call before tf.setBackend('wasm'). */
export function registerWasmBatchMatMul(): void {
  if (original) return;
  original = replaceKernel(tf.BatchMatMul, 'wasm', wasmBatchMatMul, 'registerWasmBatchMatMul');
}
