#!/usr/bin/env python3
"""Peer for `npm run bench:scale`: Telea + metrics per pair with multiprocessing, on the same pairs.

Reads every <id>.png (ground truth, 8-bit RGB) and <id>_mask000.png (white = hole) of a folder
written by the benchmark, then scores each pair as the evaluator's score pool does: OpenCV's
Telea inpainting (radius 3), the composite (known pixels from the ground truth), L1 in the holes
and over the image (x100), PSNR on [0, 1] and scikit-image's SSIM in its Gaussian setting.
Pairs are loaded before the pool forks (the workers inherit them), and one untimed task per
process warms the pool up, so the time printed is the scoring alone.
Usage: scale_peer.py DIR --processes N. Prints one JSON line.
Debian: apt-get install python3-opencv python3-skimage.
"""
import argparse
import glob
import json
import multiprocessing
import os
import sys
import time

import cv2
import numpy as np
import skimage
from skimage.metrics import structural_similarity

PAIRS = []


def load(folder):
    ids = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(folder, '*.png')) if '_mask' not in p)
    for i in ids:
        bgr = cv2.imread(os.path.join(folder, f'{i}.png'), cv2.IMREAD_COLOR)
        mask = cv2.imread(os.path.join(folder, f'{i}_mask000.png'), cv2.IMREAD_GRAYSCALE)
        PAIRS.append((bgr, ((mask >= 128) * 255).astype(np.uint8)))


def single_thread():
    # One process per core: OpenCV's own threads would compete with the other processes.
    cv2.setNumThreads(1)


def score(i):
    bgr, hole = PAIRS[i]
    out = cv2.inpaint(np.where(hole[..., None] > 0, 0, bgr).astype(np.uint8), hole, 3, cv2.INPAINT_TELEA)
    gt = bgr[..., ::-1].astype(np.float64) / 255
    holes = hole > 0
    comp = np.where(holes[..., None], out[..., ::-1].astype(np.float64) / 255, gt)
    diff = np.abs(comp - gt)
    n_holes = int(holes.sum())
    l1_hole = float(diff[holes].sum() / (n_holes * 3) * 100) if n_holes > 0 else None
    l1 = float(diff.mean() * 100)
    mse = float(np.mean((comp - gt) ** 2))
    psnr = min(100.0, 10 * np.log10(1 / max(mse, 1e-300)))
    ssim = structural_similarity(gt, comp, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=-1)
    return l1_hole, l1, psnr, float(ssim)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('folder')
    parser.add_argument('--processes', type=int, default=1)
    args = parser.parse_args()
    single_thread()
    load(args.folder)
    n = len(PAIRS)
    if n == 0:
        raise SystemExit(f'no pairs in {args.folder}')
    with multiprocessing.get_context('fork').Pool(args.processes, initializer=single_thread) as pool:
        pool.map(score, range(min(args.processes, n)), chunksize=1)
        t0 = time.perf_counter()
        results = pool.map(score, range(n), chunksize=1)
        seconds = time.perf_counter() - t0
    print(json.dumps({
        'peer': f'Python {".".join(map(str, sys.version_info[:3]))}, cv2 {cv2.__version__}, skimage {skimage.__version__}',
        'processes': args.processes,
        'pairs': n,
        'seconds': seconds,
        'pairsPerSecond': n / seconds,
        'meanPsnr': float(np.mean([r[2] for r in results])),
        'meanSsim': float(np.mean([r[3] for r in results])),
        'meanL1Hole': float(np.mean([r[0] for r in results if r[0] is not None])),
    }))


if __name__ == '__main__':
    main()
