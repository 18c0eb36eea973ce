/**
 * Known pixels from the image, the prediction elsewhere (HWC RGB arrays, `valid` HxW with
 * 1 = valid): the composite output every metric is computed on, in evaluation and in training's
 * validation alike.
 */
export function compositeArrays(image: Float32Array, output: Float32Array, valid: Float32Array): Float32Array {
  const out = new Float32Array(image.length);
  for (let p = 0; p < valid.length; p++) {
    const known = (valid[p] as number) >= 0.5;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = known ? (image[p * 3 + c] as number) : (output[p * 3 + c] as number);
  }
  return out;
}
