import * as tf from '@tensorflow/tfjs';

/**
 * The NHWC convolution's geometry for both tf-op forms of its input gradient (this file's and
 * shared/conv2d-backprop-input-forward-conv.ts'), which need the same stride along both axes.
 */
export function equalStrideConv2DInfo(
  caller: string,
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  if (info.strideWidth !== info.strideHeight) throw new Error(`${caller}: strides must be equal, not ${info.strideHeight}x${info.strideWidth}`);
  return info;
}

/**
 * Conv2DBackpropInput as one plain matrix product and a col2im, for layers whose filter is much
 * larger than their activations (the UNet's deepest layers: 3x3x1024x512 at 4x4 px). The
 * convolution form (shared/conv2d-backprop-input-forward-conv.ts) has to transpose that filter and XNNPACK packs
 * it again on every call, which there costs more than the arithmetic; here the filter is read as
 * it is stored:
 *
 *   P[(kh, kw, c), (b, i, j)] = sum over o of W[kh, kw, c, o] * dy[b, i, j, o]     (W2d . dyT)
 *   dx[b, i*s + kh - top, j*s + kw - left, c] += P[(kh, kw, c), (b, i, j)]        (col2im)
 *
 * Only the dy side (dyT, [O, B*OH*OW], small here) is transposed and packed. The col2im adds the
 * k*k taps, each a zero-padded shift of one [C, B, OH, OW] block; with stride s the taps of each
 * phase (kh mod s, kw mod s) are summed on the phase's grid and depthToSpace interleaves them.
 */
export function conv2dBackpropInputByMatMul(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const info = equalStrideConv2DInfo('conv2dBackpropInputByMatMul', inputShape, filter.shape, strides, pad, dimRoundingMode);
  const s = info.strideHeight;
  const [kh, kw, inChannels, outChannels] = filter.shape;
  const [batch, height, width] = inputShape;
  const { outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  // The padded input grid every tap lands in, in whole phases: [0, rows) x [0, cols).
  const rows = Math.ceil(Math.max((outHeight - 1) * s + kh, top + height) / s);
  const cols = Math.ceil(Math.max((outWidth - 1) * s + kw, left + width) / s);
  return tf.tidy(() => {
    const positions = batch * outHeight * outWidth;
    const dyT = tf.transpose(tf.reshape(dy, [positions, outChannels]));
    const p = tf.reshape(tf.matMul(tf.reshape(filter, [kh * kw * inChannels, outChannels]) as tf.Tensor2D, dyT as tf.Tensor2D), [
      kh * kw,
      inChannels,
      batch,
      outHeight,
      outWidth,
    ]);
    const phases: tf.Tensor[] = [];
    for (let rh = 0; rh < s; rh++) {
      for (let rw = 0; rw < s; rw++) {
        const shifted: tf.Tensor[] = [];
        for (let ih = rh; ih < kh; ih += s) {
          for (let iw = rw; iw < kw; iw += s) {
            const [dh, dw] = [Math.floor(ih / s), Math.floor(iw / s)];
            const tap = tf.reshape(tf.slice(p, [ih * kw + iw, 0, 0, 0, 0], [1, -1, -1, -1, -1]), [inChannels, batch, outHeight, outWidth]);
            shifted.push(
              tf.pad(tap, [
                [0, 0],
                [0, 0],
                [dh, rows - outHeight - dh],
                [dw, cols - outWidth - dw],
              ]),
            );
          }
        }
        const sum = shifted.length === 0 ? tf.zeros([inChannels, batch, rows, cols]) : shifted.length === 1 ? (shifted[0] as tf.Tensor) : tf.addN(shifted);
        phases.push(tf.transpose(sum, [1, 2, 3, 0]));
      }
    }
    const grid = s === 1 ? (phases[0] as tf.Tensor4D) : tf.depthToSpace(tf.concat(phases, 3) as tf.Tensor4D, s);
    return tf.slice(grid, [0, top, left, 0], [-1, height, width, -1]) as tf.Tensor4D;
  });
}
