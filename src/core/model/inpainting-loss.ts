import * as tf from '@tensorflow/tfjs';

/** Weights of the loss terms (docs/science.md, "The loss"; the paper's eq. 7: 1, 6, 0.05, 120, 0.1). */
export interface LossWeights {
  readonly valid: number;
  readonly hole: number;
  readonly perceptual: number;
  readonly style: number;
  readonly tv: number;
}

/** Frozen features of an image batch in [0, 1] (VGG16 pool1..pool3); preprocessing happens inside. */
export type FeatureExtractor = (images: tf.Tensor4D) => tf.Tensor4D[];

export interface LossTerms {
  readonly total: tf.Scalar;
  readonly valid: tf.Scalar;
  readonly hole: tf.Scalar;
  readonly perceptual: tf.Scalar;
  readonly styleOut: tf.Scalar;
  readonly styleComp: tf.Scalar;
  readonly tv: tf.Scalar;
}

export const LOSS_TERM_NAMES = ['total', 'valid', 'hole', 'perceptual', 'styleOut', 'styleComp', 'tv'] as const;

/**
 * Gram matrix per sample, normalised as in the paper: G = F^T F / (C * H * W), shape [B, C, C].
 */
export function gramMatrix(features: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, height, width, channels] = features.shape;
    const flat = tf.reshape(features, [batch, height * width, channels]) as tf.Tensor3D;
    return tf.div(tf.matMul(flat, flat, true, false), channels * height * width) as tf.Tensor3D;
  });
}

/**
 * P of the TV term: the hole region grown by one pixel (3x3), 1 inside, 0 outside. `mask` is 1 = valid.
 */
export function dilatedHoles(mask: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const holes = tf.sub(1, mask) as tf.Tensor4D;
    return tf.cast(tf.greater(tf.maxPool(holes, 3, 1, 'same'), 0), 'float32') as tf.Tensor4D;
  });
}

/**
 * The paper's loss (eq. 1-7). All means are over every element (batch, pixels, channels), as the
 * paper's 1/N normalisations. The TV term follows the paper: differences of the composite between
 * neighbours that both lie in P, summed and divided by the composite's element count.
 * A term whose weight is exactly 0 is not computed and reads 0 in the returned terms (and so in
 * the training log): e.g. the l1 configs (valid + 6 x hole) compute no composite, TV or VGG16
 * pass. Its weighted contribution would be 0 anyway, so the total and every gradient are the
 * same. Perceptual and style terms need `features` when their weight is above 0.
 * `mask` is [B, H, W, 1] or [B, H, W, 3], 1 = valid.
 */
export function inpaintingLoss(yTrue: tf.Tensor4D, yPred: tf.Tensor4D, mask: tf.Tensor4D, weights: LossWeights, features?: FeatureExtractor): LossTerms {
  return tf.tidy(() => {
    const m = mask.shape[3] === yTrue.shape[3] ? mask : (tf.tile(mask, [1, 1, 1, yTrue.shape[3]]) as tf.Tensor4D);
    const diff = tf.sub(yPred, yTrue);
    const zero = tf.scalar(0);
    const valid = weights.valid === 0 ? zero : (tf.mean(tf.abs(tf.mul(m, diff))) as tf.Scalar);
    const hole = weights.hole === 0 ? zero : (tf.mean(tf.abs(tf.mul(tf.sub(1, m), diff))) as tf.Scalar);
    const needsComposite = weights.tv !== 0 || weights.perceptual !== 0 || weights.style !== 0;
    const comp = needsComposite ? (tf.add(tf.mul(m, yTrue), tf.mul(tf.sub(1, m), yPred)) as tf.Tensor4D) : undefined;
    const tv = comp && weights.tv !== 0 ? totalVariation(comp, dilatedHoles(m)) : zero;
    let perceptual: tf.Scalar = zero;
    let styleOut: tf.Scalar = zero;
    let styleComp: tf.Scalar = zero;
    if (comp && (weights.perceptual !== 0 || weights.style !== 0)) {
      if (!features) throw new Error('inpaintingLoss: a perceptual or style weight other than 0 needs a feature extractor (VGG16)');
      const batch = yTrue.shape[0];
      // One pass through the extractor for all three images.
      const all = features(tf.concat([yPred, comp, yTrue], 0) as tf.Tensor4D);
      const parts = all.map((f) => tf.split(f, [batch, batch, batch], 0) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]);
      const l1 = (a: tf.Tensor, b: tf.Tensor) => tf.mean(tf.abs(tf.sub(a, b))) as tf.Scalar;
      if (weights.perceptual !== 0) perceptual = tf.addN(parts.map(([out, cmp, gt]) => tf.add(l1(out, gt), l1(cmp, gt)))) as tf.Scalar;
      if (weights.style !== 0) {
        // Each ground truth's Gram matrix once, for both style terms.
        const grams = parts.map(([out, cmp, gt]) => [gramMatrix(out), gramMatrix(cmp), gramMatrix(gt)] as const);
        styleOut = tf.addN(grams.map(([out, , gt]) => l1(out, gt))) as tf.Scalar;
        styleComp = tf.addN(grams.map(([, cmp, gt]) => l1(cmp, gt))) as tf.Scalar;
      }
    }
    const total = tf.addN([
      tf.mul(weights.valid, valid),
      tf.mul(weights.hole, hole),
      tf.mul(weights.perceptual, perceptual),
      tf.mul(weights.style, tf.add(styleOut, styleComp)),
      tf.mul(weights.tv, tv),
    ]) as tf.Scalar;
    return { total, valid, hole, perceptual, styleOut, styleComp, tv };
  });
}

/** Sum of |differences| between vertical and horizontal neighbours both in P, over the element count. */
function totalVariation(image: tf.Tensor4D, p: tf.Tensor4D): tf.Scalar {
  const [b, h, w, c] = image.shape;
  const rows = (t: tf.Tensor4D, from: number) => tf.slice(t, [0, from, 0, 0], [b, h - 1, w, c]);
  const cols = (t: tf.Tensor4D, from: number) => tf.slice(t, [0, 0, from, 0], [b, h, w - 1, c]);
  const vertical = tf.sum(tf.mul(tf.mul(rows(p, 0), rows(p, 1)), tf.abs(tf.sub(rows(image, 1), rows(image, 0)))));
  const horizontal = tf.sum(tf.mul(tf.mul(cols(p, 0), cols(p, 1)), tf.abs(tf.sub(cols(image, 1), cols(image, 0)))));
  return tf.div(tf.add(vertical, horizontal), b * h * w * c) as tf.Scalar;
}
