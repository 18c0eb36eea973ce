import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, test } from 'vitest';
import { generateBinnedMask } from '../../src/core/masks/binned-mask.js';
import { binsFromEdges, PAPER_BIN_EDGES } from '../../src/core/masks/bins.js';
import { HOLE } from '../../src/core/masks/mask-image.js';
import { shapeSourceFor } from '../../src/core/masks/shape-source-for.js';
import { Rng } from '../../src/core/rng.js';
import type { Inpainter } from '../../src/eval/inpainter.js';
import { teleaInpainter, teleaInpainterOpenCv } from '../../src/eval/telea.js';
import { teleaFmmInpainter, teleaInpaintRgb8 } from '../../src/eval/telea-fmm.js';
import { repoRoot } from '../helpers/run-cli.js';

/** An 8-bit RGB image and its holes (1 = hole), as bytes. */
interface Case {
  name: string;
  width: number;
  height: number;
  rgb: Uint8Array;
  hole: Uint8Array;
}

let openCv: Inpainter;
let ours: Inpainter;
beforeAll(async () => {
  openCv = await teleaInpainterOpenCv(3);
  ours = teleaFmmInpainter(3);
}, 60_000);

/** Bytes that differ between our output and OpenCV's, both through the Inpainter contract. */
function mismatches(c: Case, radius = 3, reference: Inpainter = openCv, port: Inpainter = ours): number {
  const n = c.width * c.height;
  const image = new Float32Array(n * 3);
  const valid = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    valid[p] = c.hole[p] ? 0 : 1;
    for (let k = 0; k < 3; k++) image[p * 3 + k] = (c.rgb[p * 3 + k] as number) / 255;
  }
  const a = reference(image, valid, c.width, c.height);
  const b = radius === 3 ? port(image, valid, c.width, c.height) : teleaFmmInpainter(radius)(image, valid, c.width, c.height);
  let bad = 0;
  for (let q = 0; q < a.length; q++) if (Math.round((a[q] as number) * 255) !== Math.round((b[q] as number) * 255)) bad++;
  return bad;
}

function noiseImage(rng: Rng, width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let q = 0; q < rgb.length; q++) rgb[q] = rng.int(0, 255);
  return rgb;
}

/** Smooth colour ramps with a few hard edges: gradients that Telea's gradient term follows. */
function rampImage(rng: Rng, width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  const a = [rng.next() * 9, rng.next() * 9, rng.next() * 9];
  const b = [rng.next() * 9, rng.next() * 9, rng.next() * 9];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const edge = x + y > (width + height) / 2 ? 60 : 0;
      for (let k = 0; k < 3; k++) rgb[(y * width + x) * 3 + k] = Math.round(x * (a[k] as number) + y * (b[k] as number) + edge) % 256;
    }
  }
  return rgb;
}

function blobs(rng: Rng, width: number, height: number, count: number, maxRadius: number): Uint8Array {
  const hole = new Uint8Array(width * height);
  for (let b = 0; b < count; b++) {
    const cx = rng.next() * width;
    const cy = rng.next() * height;
    const r = 0.5 + rng.next() * maxRadius;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) hole[y * width + x] = 1;
  }
  return hole;
}

function speckles(rng: Rng, width: number, height: number, ratio: number): Uint8Array {
  const hole = new Uint8Array(width * height);
  for (let p = 0; p < hole.length; p++) if (rng.next() < ratio) hole[p] = 1;
  return hole;
}

/** Masks from the project's own generator (the paper's shapes), steered into a hole-ratio bin. */
function generatedMask(width: number, height: number, binIndex: number, border: boolean, seed: number): Uint8Array {
  const source = shapeSourceFor({ kind: 'pconv-keras', sizeFactor: 0.03, minThickness: 3, lines: true, circles: true, ellipses: true }, width, height);
  const bin = binsFromEdges(PAPER_BIN_EDGES)[binIndex];
  if (!bin) throw new Error(`no bin ${binIndex}`);
  const target = { bin, rule: '(lo,hi]' as const, subset: border ? ('border' as const) : ('no-border' as const), margin: Math.max(1, Math.floor(width / 64)) };
  const { mask } = generateBinnedMask(source, width, height, target, seed, { maxShapes: 5000, maxAttempts: 20 });
  return Uint8Array.from(mask.data, (v) => (v === HOLE ? 1 : 0));
}

async function photo(index: number, width: number, height: number): Promise<Uint8Array> {
  const files = ['000_astronaut', '001_chelsea', '002_coffee', '003_rocket', '004_motorcycle_left', '008_camera', '009_coins'];
  const file = files[index % files.length] as string;
  return new Uint8Array(
    await sharp(join(repoRoot, 'data/photos', `${file}.png`))
      .resize(width, height, { fit: 'cover' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer(),
  );
}

describe('Telea port gives the same bytes as OpenCV 4.13 (WebAssembly) cv.inpaint', () => {
  test('every mask of a 3x3 image (none, all, all but one, corners, edges)', () => {
    const rng = new Rng(11);
    const rgb = noiseImage(rng, 3, 3);
    const failures: string[] = [];
    for (let bits = 0; bits < 512; bits++) {
      const hole = Uint8Array.from({ length: 9 }, (_, p) => (bits >> p) & 1);
      const bad = mismatches({ name: '3x3', width: 3, height: 3, rgb, hole });
      if (bad) failures.push(`mask ${bits}: ${bad} bytes`);
    }
    expect(failures).toEqual([]);
  });

  test('small and odd sizes, random images and masks', () => {
    const rng = new Rng(5);
    const failures: string[] = [];
    let cases = 0;
    for (let k = 0; k < 120; k++) {
      const width = rng.int(2, 70);
      const height = rng.int(2, 70);
      const rgb = k % 3 === 0 ? rampImage(rng, width, height) : noiseImage(rng, width, height);
      const kind = k % 4;
      const hole =
        kind === 0
          ? blobs(rng, width, height, rng.int(1, 4), Math.min(width, height) / 2)
          : kind === 1
            ? speckles(rng, width, height, rng.next() * 0.3)
            : kind === 2
              ? blobs(rng, width, height, rng.int(1, 12), 4)
              : speckles(rng, width, height, 0.5 + rng.next() * 0.5);
      const bad = mismatches({ name: `random ${k}`, width, height, rgb, hole });
      cases++;
      if (bad) failures.push(`case ${k} (${width}x${height}, kind ${kind}): ${bad} bytes`);
    }
    expect(cases).toBe(120);
    expect(failures).toEqual([]);
  });

  test('holes on the image border, single pixels, all but one pixel, no holes', () => {
    const rng = new Rng(9);
    const failures: string[] = [];
    const shapes: [string, (w: number, h: number) => Uint8Array][] = [
      ['left column', (w, h) => Uint8Array.from({ length: w * h }, (_, p) => (p % w < 3 ? 1 : 0))],
      ['right column', (w, h) => Uint8Array.from({ length: w * h }, (_, p) => (p % w >= w - 2 ? 1 : 0))],
      ['top rows', (w, h) => Uint8Array.from({ length: w * h }, (_, p) => (p < 2 * w ? 1 : 0))],
      ['bottom row', (w, h) => Uint8Array.from({ length: w * h }, (_, p) => (p >= (h - 1) * w ? 1 : 0))],
      ['frame', (w, h) => Uint8Array.from({ length: w * h }, (_, p) => (p % w === 0 || p % w === w - 1 || p < w || p >= (h - 1) * w ? 1 : 0))],
      ['corners', (w, h) => Uint8Array.from({ length: w * h }, (_, p) => ([0, w - 1, (h - 1) * w, h * w - 1].includes(p) ? 1 : 0))],
      ['one pixel', (w, h) => Uint8Array.from({ length: w * h }, (_, p) => (p === Math.floor(h / 2) * w + Math.floor(w / 3) ? 1 : 0))],
      ['all but one', (w, h) => Uint8Array.from({ length: w * h }, (_, p) => (p === Math.floor(h / 3) * w + Math.floor(w / 2) ? 0 : 1))],
      ['all', (w, h) => new Uint8Array(w * h).fill(1)],
      ['none', (w, h) => new Uint8Array(w * h)],
      ['big blob', (w, h) => blobs(rng, w, h, 1, Math.max(w, h))],
    ];
    for (const [name, make] of shapes) {
      for (const [width, height] of [
        [2, 2],
        [5, 4],
        [17, 9],
        [40, 33],
      ] as const) {
        const bad = mismatches({ name, width, height, rgb: noiseImage(rng, width, height), hole: make(width, height) });
        if (bad) failures.push(`${name} ${width}x${height}: ${bad} bytes`);
      }
    }
    expect(failures).toEqual([]);
  });

  test('flat images (exact means round half to even after the +0.5)', () => {
    const rng = new Rng(13);
    const failures: string[] = [];
    for (const value of [0, 1, 77, 101, 127, 128, 200, 254, 255]) {
      const width = 31;
      const height = 24;
      const rgb = new Uint8Array(width * height * 3).fill(value);
      const hole = blobs(rng, width, height, 3, 6);
      const bad = mismatches({ name: `flat ${value}`, width, height, rgb, hole });
      if (bad) failures.push(`flat ${value}: ${bad} bytes`);
    }
    expect(failures).toEqual([]);
  });

  test('photo crops with the generator masks, every paper bin', async () => {
    const failures: string[] = [];
    for (let k = 0; k < 24; k++) {
      const width = [64, 96, 127, 150][k % 4] as number;
      const height = [64, 81, 100, 128][(k >> 2) % 4] as number;
      const rgb = await photo(k, width, height);
      const hole = generatedMask(width, height, k % 6, k % 2 === 0, 100 + k);
      const bad = mismatches({ name: `photo ${k}`, width, height, rgb, hole });
      if (bad) failures.push(`photo ${k} ${width}x${height} bin ${k % 6}: ${bad} bytes`);
    }
    expect(failures).toEqual([]);
  }, 60_000);

  test('512x512 photos, paper-bin masks up to a hole ratio of 0.6', async () => {
    const failures: string[] = [];
    for (let k = 0; k < 8; k++) {
      const rgb = await photo(k, 512, 512);
      const hole = generatedMask(512, 512, k % 6, k % 2 === 1, 7 + k);
      const bad = mismatches({ name: `512 ${k}`, width: 512, height: 512, rgb, hole });
      if (bad) failures.push(`512 photo ${k} bin ${k % 6}: ${bad} bytes`);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  test('other radii', async () => {
    const rng = new Rng(21);
    const failures: string[] = [];
    for (const radius of [1, 2, 5, 8]) {
      const reference = await teleaInpainterOpenCv(radius);
      for (let k = 0; k < 5; k++) {
        const width = rng.int(10, 60);
        const height = rng.int(10, 60);
        const c = { name: `r${radius}`, width, height, rgb: rampImage(rng, width, height), hole: blobs(rng, width, height, rng.int(1, 6), 10) };
        const bad = mismatches(c, radius, reference);
        if (bad) failures.push(`radius ${radius} case ${k}: ${bad} bytes`);
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);
});

describe('Telea port', () => {
  test('teleaInpainter is the port', async () => {
    const rng = new Rng(3);
    const width = 20;
    const height = 16;
    const image = Float32Array.from({ length: width * height * 3 }, () => rng.int(0, 255) / 255);
    const valid = Float32Array.from(blobs(rng, width, height, 2, 5), (h) => 1 - h);
    const viaEval = (await teleaInpainter())(image, valid, width, height);
    expect(viaEval).toEqual(ours(image, valid, width, height));
  });

  test('leaves known pixels alone and changes nothing without holes', () => {
    const rng = new Rng(4);
    const width = 12;
    const height = 10;
    const rgb = noiseImage(rng, width, height);
    const hole = blobs(rng, width, height, 1, 3);
    const out = Uint8Array.from(rgb);
    teleaInpaintRgb8(out, hole, width, height);
    for (let p = 0; p < width * height; p++) if (!hole[p]) expect(out.subarray(p * 3, p * 3 + 3)).toEqual(rgb.subarray(p * 3, p * 3 + 3));
    const none = Uint8Array.from(rgb);
    teleaInpaintRgb8(none, new Uint8Array(width * height), width, height);
    expect(none).toEqual(rgb);
  });
});
