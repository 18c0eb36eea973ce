/**
 * An inpainting function: HWC RGB on [0, 1] and a validity mask (1 = known pixel, one value per
 * pixel) in, the image with its holes filled out. Telea's two forms (telea.ts: OpenCV's, and our
 * port in telea-fmm.ts) are ones; the scoring threads take one.
 */
export type Inpainter = (image: Float32Array, valid: Float32Array, width: number, height: number) => Float32Array;
