#!/usr/bin/env python3
"""Peer for `npm run bench:masks`: PConv-Keras' mask recipe in Python with OpenCV, writing PNGs.

Modes:
  unbinned   the recipe as PConv-Keras runs it (randint(1, 20) lines, circles and ellipses each),
             one PNG per mask: the figure the issue quotes (about 1,400 masks/s here).
  rejection  binned the obvious way: draw whole masks until one lands in the wanted bin and
             border subset; reports draws per mask. Capped by --max-draws per mask.
Prints one JSON object. Run with Debian's python3-opencv (apt-get install python3-opencv).
"""
import argparse
import json
import os
import random
import tempfile
import time

import cv2
import numpy as np

BINS = [(0.01, 0.1), (0.1, 0.2), (0.2, 0.3), (0.3, 0.4), (0.4, 0.5), (0.5, 0.6)]


def draw(width, height, rnd):
    """PConv-Keras' MaskGenerator._generate_mask: drawn shapes are holes (1), returned as 255 = valid."""
    img = np.zeros((height, width), np.uint8)
    size = int((width + height) * 0.03)
    for _ in range(rnd.randint(1, 20)):
        x1, x2 = rnd.randint(1, width), rnd.randint(1, width)
        y1, y2 = rnd.randint(1, height), rnd.randint(1, height)
        cv2.line(img, (x1, y1), (x2, y2), 1, rnd.randint(3, size))
    for _ in range(rnd.randint(1, 20)):
        x1, y1 = rnd.randint(1, width), rnd.randint(1, height)
        cv2.circle(img, (x1, y1), rnd.randint(3, size), 1, -1)
    for _ in range(rnd.randint(1, 20)):
        x1, y1 = rnd.randint(1, width), rnd.randint(1, height)
        s1, s2 = rnd.randint(1, width), rnd.randint(1, height)
        a1, a2, a3 = rnd.randint(3, 180), rnd.randint(3, 180), rnd.randint(3, 180)
        cv2.ellipse(img, (x1, y1), (s1, s2), a1, a2, a3, 1, rnd.randint(3, size))
    return (1 - img) * 255


def touches_border(mask, margin):
    return bool((mask[:margin] == 0).any() or (mask[-margin:] == 0).any() or (mask[:, :margin] == 0).any() or (mask[:, -margin:] == 0).any())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument('--count', type=int, default=1200, help='masks in all (rejection: split evenly over 6 bins x 2 subsets)')
    parser.add_argument('--mode', choices=['unbinned', 'rejection'], default='unbinned')
    parser.add_argument('--margin', type=int, default=8)
    parser.add_argument('--max-draws', type=int, default=2000)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    rnd = random.Random(args.seed)
    out = tempfile.mkdtemp(prefix='opencv-masks-')
    draws = 0
    failed = 0
    start = time.perf_counter()
    if args.mode == 'unbinned':
        for i in range(args.count):
            cv2.imwrite(os.path.join(out, f'{i:05d}.png'), draw(args.size, args.size, rnd))
            draws += 1
        written = args.count
    else:
        per_cell = max(1, args.count // (len(BINS) * 2))
        written = 0
        for lo, hi in BINS:
            for border in (False, True):
                for i in range(per_cell):
                    for _ in range(args.max_draws):
                        mask = draw(args.size, args.size, rnd)
                        draws += 1
                        ratio = float((mask == 0).mean())
                        if lo < ratio <= hi and touches_border(mask, args.margin) == border:
                            cv2.imwrite(os.path.join(out, f'{lo}-{border}-{i:05d}.png'), mask)
                            written += 1
                            break
                    else:
                        failed += 1
    seconds = time.perf_counter() - start
    print(json.dumps({
        'peer': 'python-opencv', 'opencv': cv2.__version__, 'mode': args.mode, 'size': args.size,
        'masks': written, 'failed': failed, 'draws': draws, 'drawsPerMask': draws / max(1, written),
        'seconds': seconds, 'masksPerSecond': written / seconds,
    }))


if __name__ == '__main__':
    main()
