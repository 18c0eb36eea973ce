/**
 * The classical floor of the evaluation: OpenCV's Telea inpainting (radius 3), through
 * @opencvjs/node, a maintained WebAssembly build of OpenCV 4.13 with the photo module (the common
 * opencv.js builds leave inpaint out). Not learned, no training: what any model must beat.
 */
export type Inpainter = (image: Float32Array, valid: Float32Array, width: number, height: number) => Float32Array;

interface OpenCv {
  Mat: new (rows: number, cols: number, type: number) => OpenCvMat;
  CV_8UC3: number;
  CV_8UC1: number;
  INPAINT_TELEA: number;
  inpaint(src: OpenCvMat, mask: OpenCvMat, dst: OpenCvMat, radius: number, flags: number): void;
}
interface OpenCvMat {
  data: Uint8Array;
  delete(): void;
}

let loading: Promise<OpenCv> | undefined;

async function openCv(): Promise<OpenCv> {
  // A CommonJS package: its exports arrive as the default export.
  type Module = { loadOpenCV?: () => Promise<OpenCv>; default?: { loadOpenCV: () => Promise<OpenCv> } };
  loading ??= import('@opencvjs/node').then((m: Module) =>
    (m.loadOpenCV ?? m.default?.loadOpenCV ?? (() => Promise.reject(new Error('@opencvjs/node has no loadOpenCV'))))(),
  );
  return loading;
}

export const TELEA_RADIUS = 3;

/** Telea inpainting of HWC RGB images on [0, 1]; hole pixels of the input are never read. */
export async function teleaInpainter(radius = TELEA_RADIUS): Promise<Inpainter> {
  const cv = await openCv();
  return (image, valid, width, height) => {
    const src = new cv.Mat(height, width, cv.CV_8UC3);
    const mask = new cv.Mat(height, width, cv.CV_8UC1);
    const dst = new cv.Mat(height, width, cv.CV_8UC3);
    try {
      for (let p = 0; p < width * height; p++) {
        const known = (valid[p] as number) >= 0.5;
        mask.data[p] = known ? 0 : 255;
        for (let c = 0; c < 3; c++) src.data[p * 3 + c] = known ? Math.round((image[p * 3 + c] as number) * 255) : 0;
      }
      cv.inpaint(src, mask, dst, radius, cv.INPAINT_TELEA);
      return Float32Array.from(dst.data, (v) => v / 255);
    } finally {
      src.delete();
      mask.delete();
      dst.delete();
    }
  };
}
