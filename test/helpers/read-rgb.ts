import sharp from 'sharp';

/** Decodes an image file to RGB float32 HWC on [0, 1], and a mask file to HxW (1 = white). */
export async function readRgb(path: string): Promise<{ data: Float32Array; width: number; height: number }> {
  const { data, info } = await sharp(path).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data: Float32Array.from(data, (v) => v / 255), width: info.width, height: info.height };
}

export async function readMaskFloat(path: string): Promise<Float32Array> {
  const { data } = await sharp(path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return Float32Array.from(data, (v) => (v >= 128 ? 1 : 0));
}
