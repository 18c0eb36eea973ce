#!/usr/bin/env python3
"""Peer for `npm run bench:eval`: the same per-image evaluation work in Python, on the same files.

For every <id>.png (ground truth) and <id>_mask000.png (white = hole) in a folder written by the
benchmark: OpenCV's Telea inpainting (radius 3), the composite, and the metrics (L1 in holes,
PSNR, SSIM with scikit-image's Gaussian setting). Prints JSON with the time of each part.
Debian: apt-get install python3-opencv python3-skimage.
"""
import glob
import json
import os
import sys
import time

import cv2
import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

folder = sys.argv[1]
cv2.setNumThreads(1)
ids = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(folder, '*.png')) if '_mask' not in p)
pairs = []
for i in ids:
    img = cv2.imread(os.path.join(folder, f'{i}.png'), cv2.IMREAD_COLOR)
    mask = cv2.imread(os.path.join(folder, f'{i}_mask000.png'), cv2.IMREAD_GRAYSCALE)
    pairs.append((img, (mask >= 128).astype(np.uint8) * 255))
t0 = time.perf_counter()
outs = [cv2.inpaint(np.where(m[..., None] > 0, 0, img).astype(np.uint8), m, 3, cv2.INPAINT_TELEA) for img, m in pairs]
t1 = time.perf_counter()
psnrs = []
for (img, m), out in zip(pairs, outs):
    gt = img[..., ::-1].astype(np.float64) / 255
    comp = np.where(m[..., None] > 0, out[..., ::-1].astype(np.float64) / 255, gt)
    hole = (m > 0)[..., None].astype(np.float64)
    _ = (np.abs(comp - gt) * hole).sum() / (hole.sum() * 3)
    psnrs.append(peak_signal_noise_ratio(gt, comp, data_range=1.0))
    structural_similarity(gt, comp, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=-1)
t2 = time.perf_counter()
n = len(pairs)
print(json.dumps({'peer': 'python: cv2 ' + cv2.__version__ + ', skimage', 'images': n, 'teleaMsPerImage': (t1 - t0) * 1000 / n, 'metricsMsPerImage': (t2 - t1) * 1000 / n, 'meanPsnrTelea': float(np.mean(psnrs))}))
