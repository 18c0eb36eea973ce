/**
 * The classical floor of the evaluation: OpenCV's Telea inpainting (radius 3). Not learned, no
 * training: what any model must beat. Scored with our TypeScript port (telea-fmm.ts), which gives
 * the same output bytes as OpenCV 4.13's cv.inpaint (test/eval/telea-fmm.test.ts compares them on
 * several hundred images and masks), so the row keeps OpenCV's name; at 512x512 it takes about
 * 0.7x the time of the cv.inpaint call alone and under 0.3x that of teleaInpainterOpenCv
 * (bench:telea). OpenCV itself stays available through @opencvjs/node, a maintained WebAssembly
 * build with the photo module (the common opencv.js builds leave inpaint out), as the reference.
 */
import { TELEA_RADIUS } from '../protocol/scorer-names.js';
import type { Inpainter } from './inpainter.js';
import { teleaFmmInpainter } from './telea-fmm.js';

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

/** Telea inpainting of HWC RGB images on [0, 1]; hole pixels of the input are never read. */
export async function teleaInpainter(radius = TELEA_RADIUS): Promise<Inpainter> {
  return teleaFmmInpainter(radius);
}

/** OpenCV's own Telea (WebAssembly), the reference that teleaInpainter reproduces byte for byte. */
export async function teleaInpainterOpenCv(radius = TELEA_RADIUS): Promise<Inpainter> {
  const cv = await openCv();
  return (image, valid, width, height) => {
    const src = new cv.Mat(height, width, cv.CV_8UC3);
    const mask = new cv.Mat(height, width, cv.CV_8UC1);
    const dst = new cv.Mat(height, width, cv.CV_8UC3);
    try {
      // Each read of a Mat's .data makes a new view of the wasm heap: take them once.
      const srcData = src.data;
      const maskData = mask.data;
      for (let p = 0; p < width * height; p++) {
        const known = (valid[p] as number) >= 0.5;
        maskData[p] = known ? 0 : 255;
        for (let c = 0; c < 3; c++) srcData[p * 3 + c] = known ? Math.round((image[p * 3 + c] as number) * 255) : 0;
      }
      cv.inpaint(src, mask, dst, radius, cv.INPAINT_TELEA);
      const dstData = dst.data;
      const out = new Float32Array(dstData.length);
      for (let i = 0; i < out.length; i++) out[i] = (dstData[i] as number) / 255;
      return out;
    } finally {
      src.delete();
      mask.delete();
      dst.delete();
    }
  };
}
