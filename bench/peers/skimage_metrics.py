#!/usr/bin/env python3
"""Reference metric values for test/eval/metrics.test.ts, computed independently with scikit-image.

Run: /usr/bin/python3 bench/peers/skimage_metrics.py test/fixtures/metrics
(Debian: apt-get install python3-skimage). Prints JSON; the test holds a copy of these numbers.
"""
import json
import sys

import numpy as np
from skimage.io import imread
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

folder = sys.argv[1]


def load(name):
    img = imread(f'{folder}/{name}').astype(np.float64) / 255.0
    return img[..., :3] if img.ndim == 3 else img


mask = load('mask.png')
mask = mask[..., 0] if mask.ndim == 3 else mask
valid = (mask >= 0.5).astype(np.float64)[..., None]
results = {}
for a, b in [('a.png', 'b.png'), ('a.png', 'c.png'), ('b.png', 'c.png')]:
    x, y = load(a), load(b)
    d = np.abs(x - y)
    hole = 1 - valid
    results[f'{a}|{b}'] = {
        'l1': float(d.mean() * 100),
        'l1Hole': float((d * hole).sum() / (hole.sum() * 3) * 100),
        'psnr': float(peak_signal_noise_ratio(x, y, data_range=1.0)),
        'ssim': float(structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=-1)),
    }
print(json.dumps(results, indent=1))
