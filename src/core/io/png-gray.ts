import { constants, crc32, deflateSync } from 'node:zlib';

/**
 * Encodes an 8-bit greyscale image as PNG.
 *
 * Why not sharp here: masks are written by the thousand and must be byte-identical for the same
 * seed. This encoder depends only on Node's zlib, is about three times faster than sharp for masks
 * (docs/benchmark-history.md), and its bytes do not change when libvips/libspng are upgraded. Rows are stored
 * unfiltered and deflated with the run-length strategy (as OpenCV writes PNGs by default): a mask
 * is long runs of 0 and 255, which RLE compresses to a few KB four times faster than the default
 * strategy. sharp still decodes every mask we read.
 */
export function encodeGreyPng(pixels: Uint8Array, width: number, height: number): Buffer {
  if (pixels.length !== width * height) throw new RangeError(`encodeGreyPng: ${pixels.length} bytes for ${width}x${height}`);
  const stride = width + 1;
  const raw = scratch(stride * height);
  for (let y = 0; y < height; y++) {
    const out = y * stride;
    raw[out] = 0; // filter type None
    raw.set(pixels.subarray(y * width, (y + 1) * width), out + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // colour type: greyscale
  // compression, filter and interlace methods stay 0
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 6, strategy: constants.Z_RLE })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

let scratchBuffer = Buffer.alloc(0);

/** One reusable buffer for the filtered rows: encoding is synchronous, and masks come by the thousand. */
function scratch(size: number): Buffer {
  if (scratchBuffer.length < size) scratchBuffer = Buffer.alloc(size);
  return scratchBuffer.subarray(0, size);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
