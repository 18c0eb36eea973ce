import { describe, expect, test } from 'vitest';
import { OnnxGraph } from '../../../src/core/onnx/onnx-graph.js';

/**
 * The bytes of a small graph that uses every kind of field the writer writes (int, float, ints with
 * a negative value, string attributes; float32 and int64 initializers; fixed and named dims), as
 * the hand-written protocol-buffer encoder wrote them before OnnxGraph moved to
 * @bufbuild/protobuf's wire writer. Exported models must stay byte-identical.
 */
const KNOWN_BYTES =
  '0808120b70636f6e762d62656e636842040a0010113a90020a200a01780a0773686170655f311209726573686170655f322207526573686170650a6d0a09726573686170655f320a03775f33' +
  '120667656d6d5f34220447656d6d2a0f0a05616c706861150000c03fa001012a0d0a067472616e73421800a001022a190a047065726d40ffffffffffffffffff01400040ac02a001072a120a' +
  '046d6f646522076e656172657374a0010312046d61696e2a1f08021007420773686170655f314a10ffffffffffffffff04000000000000002a1d0804080110014203775f334a100000003f00' +
  '0080bf000000406f12833a5a1c0a017812170a15080112110a0312014e0a0208020a0208020a02080162190a0667656d6d5f34120f0a0d080112090a0312014e0a020801';

function smallGraph(): OnnxGraph {
  const g = new OnnxGraph();
  const x = g.input('x', ['N', 2, 2, 1]);
  const shape = g.constant('shape', [2], BigInt64Array.of(-1n, 4n));
  const flat = g.node('Reshape', [x, shape]);
  const w = g.constant('w', [4, 1], Float32Array.of(0.5, -1, 2, 1e-3));
  const y = g.node('Gemm', [flat, w], { alpha: { float: 1.5 }, transB: { int: 0 }, perm: { ints: [-1, 0, 300] }, mode: { string: 'nearest' } });
  g.output(y, ['N', 1]);
  return g;
}

describe('OnnxGraph.toBytes', () => {
  test('writes the same bytes as the hand-written encoder did', () => {
    expect(Buffer.from(smallGraph().toBytes()).toString('hex')).toBe(KNOWN_BYTES);
  });

  test('ir_version 8 and the producer first; a negative int64 as ten bytes; the graph (272 bytes) with a two-byte length', () => {
    const bytes = smallGraph().toBytes();
    expect([...bytes.subarray(0, 4)]).toEqual([0x08, 0x08, 0x12, 0x0b]);
    expect(Buffer.from(bytes.subarray(4, 15)).toString()).toBe('pconv-bench');
    expect(Buffer.from(bytes).indexOf(Buffer.from([0x3a, 0x90, 0x02]))).toBe(21);
    expect(Buffer.from(bytes).indexOf(Buffer.from([0x40, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBeGreaterThan(0);
  });
});
