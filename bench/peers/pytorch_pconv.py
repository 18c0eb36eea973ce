#!/usr/bin/env python3
"""PyTorch peer of `pconv-bench bench`: the same PConv UNet, loss, optimiser and sizes, timed the
same way, printing the same JSON shape (src/protocol/bench.ts, BenchResultSchema) on stdout.

The network follows src/core/model/{partial-conv,unet,freezable-batch-norm}.ts layer by layer:
encoder of stride-2 partial convolutions (kernels 7, 5, 5, then 3; channels base * 2^(i-1) capped
at max), batch norm from e2, ReLU; decoder of nearest x2 upsampling of features and mask, concat
[skip, upsampled], 3x3 partial convolution, batch norm and LeakyReLU 0.2 except the last layer
(3 channels, linear, or the 1x1 + sigmoid head). TensorFlow's 'same' padding (extra pixel at the
bottom/right for stride 2) is reproduced, so shapes and arithmetic match ours. The partial
convolution has NVIDIA's semantics: S = valid inputs per window over all channels, ratio
k*k*Cin/(S+1e-8) where S > 0, bias added, output and mask zeroed where S = 0, mask path without
gradient. Loss l1 = valid + 6 x hole; full = eq. 7 with VGG16 block1-3 at random He-uniform weights
(the bench's default: same FLOPs as ImageNet weights), torch preprocessing. Adam (lr 2e-4), float32.

Usage: /usr/bin/python3 bench/peers/pytorch_pconv.py --size 64 --batch 4 --loss l1 [--threads 2]
       python3 bench/peers/pytorch_pconv.py --device cuda --size 512 --batch 4   (GPU; fp32, TF32 off
       unless --tf32: issue 7's GPU target is against fp32)
Needs Debian's python3-torch (apt-get install python3-torch), or any PyTorch with CUDA for --device cuda.
"""
import argparse
import json
import math
import os
import platform
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def default_levels(size):
    """The paper's depth rule, as src/bench/bench-config.ts: a 2x2 bottleneck, at most 8 levels."""
    levels = 0
    while size % 2 ** (levels + 1) == 0 and size // 2 ** (levels + 1) >= 2:
        levels += 1
    return min(levels, 8)


def same_padding(size, k, stride):
    """TensorFlow's 'same' padding of one axis: (before, after); after gets the odd pixel."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def conv_same(x, weight, stride):
    """conv2d with TensorFlow 'same' padding: the conv's own symmetric padding when it matches, else F.pad."""
    k = weight.shape[-1]
    top, bottom = same_padding(x.shape[2], k, stride)
    left, right = same_padding(x.shape[3], k, stride)
    if top == bottom and left == right:
        return F.conv2d(x, weight, stride=stride, padding=(top, left))
    return F.conv2d(F.pad(x, (left, right, top, bottom)), weight, stride=stride)


class PartialConv2d(nn.Module):
    def __init__(self, cin, cout, k, stride, eps=1e-8):
        super().__init__()
        self.k, self.stride, self.cin, self.cout, self.eps = k, stride, cin, cout, eps
        self.weight = nn.Parameter(torch.empty(cout, cin, k, k))
        nn.init.xavier_uniform_(self.weight)  # Glorot uniform, as ours
        self.bias = nn.Parameter(torch.zeros(cout))
        self.register_buffer("ones", torch.ones(1, cin, k, k), persistent=False)

    def forward(self, x, mask):
        with torch.no_grad():
            valid = conv_same(mask, self.ones, self.stride)
            updated = valid.clamp(0, 1)
            ratio = (self.k * self.k * self.cin) / (valid + self.eps) * updated
        raw = conv_same(x * mask, self.weight, self.stride)
        y = (raw * ratio + self.bias.view(1, -1, 1, 1)) * updated
        return y, updated.expand(-1, self.cout, -1, -1)


def encoder_channels(base, cap, level):
    return min(base * 2 ** (level - 1), cap)


class PConvUNet(nn.Module):
    def __init__(self, levels, base, cap, head):
        super().__init__()
        kernel = lambda level: 7 if level == 1 else 5 if level <= 3 else 3  # noqa: E731
        self.enc = nn.ModuleList()
        self.enc_bn = nn.ModuleList()
        cin = 3
        for level in range(1, levels + 1):
            cout = encoder_channels(base, cap, level)
            self.enc.append(PartialConv2d(cin, cout, kernel(level), 2))
            self.enc_bn.append(nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1) if level > 1 else nn.Identity())
            cin = cout
        self.dec = nn.ModuleList()
        self.dec_bn = nn.ModuleList()
        for level in range(levels - 1, -1, -1):
            skip = 3 if level == 0 else encoder_channels(base, cap, level)
            cout = 3 if level == 0 else encoder_channels(base, cap, level)
            self.dec.append(PartialConv2d(skip + cin, cout, 3, 1))
            self.dec_bn.append(nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1) if level > 0 else nn.Identity())
            cin = cout
        self.head = nn.Conv2d(3, 3, 1) if head == "sigmoid" else None
        if self.head is not None:
            nn.init.xavier_uniform_(self.head.weight)
            nn.init.zeros_(self.head.bias)

    def forward(self, x, mask):
        skips = [(x, mask)]
        for conv, bn in zip(self.enc, self.enc_bn):
            x, mask = conv(x, mask)
            x = F.relu(bn(x))
            skips.append((x, mask))
        skips.pop()
        last = len(self.dec) - 1
        for i, (conv, bn) in enumerate(zip(self.dec, self.dec_bn)):
            skip_x, skip_m = skips.pop()
            up_x = F.interpolate(x, scale_factor=2, mode="nearest")
            up_m = F.interpolate(mask, scale_factor=2, mode="nearest")
            x, mask = conv(torch.cat([skip_x, up_x], 1), torch.cat([skip_m, up_m], 1))
            if i < last:
                x = F.leaky_relu(bn(x), 0.2)
        if self.head is not None:
            x = torch.sigmoid(self.head(x))
        return x


VGG16_LAYERS = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256)]


class RandomVgg16Features(nn.Module):
    """VGG16 block1..block3 (to pool3), frozen, random He-uniform weights and zero biases."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList()
        for cin, cout in VGG16_LAYERS:
            conv = nn.Conv2d(cin, cout, 3, padding=1)
            limit = math.sqrt(6 / (9 * cin))
            nn.init.uniform_(conv.weight, -limit, limit)
            nn.init.zeros_(conv.bias)
            conv.requires_grad_(False)
            self.convs.append(conv)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1), persistent=False)

    def forward(self, images):
        x = (images - self.mean) / self.std
        pools = []
        for i, conv in enumerate(self.convs):
            x = F.relu(conv(x))
            if i in (1, 3, 6):
                x = F.max_pool2d(x, 2, 2)
                pools.append(x)
        return pools


def gram(features):
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def inpainting_loss(y_true, y_pred, mask, weights, vgg):
    """src/core/model/inpainting-loss.ts; the l1 loss computes only its two terms."""
    m = mask.expand_as(y_true)
    diff = y_pred - y_true
    valid = (m * diff).abs().mean()
    hole = ((1 - m) * diff).abs().mean()
    total = weights["valid"] * valid + weights["hole"] * hole
    if vgg is None:
        return total
    comp = m * y_true + (1 - m) * y_pred
    p = (F.max_pool2d(1 - m, 3, 1, padding=1) > 0).float()
    b, c, h, w = comp.shape
    vertical = (p[:, :, :-1, :] * p[:, :, 1:, :] * (comp[:, :, 1:, :] - comp[:, :, :-1, :]).abs()).sum()
    horizontal = (p[:, :, :, :-1] * p[:, :, :, 1:] * (comp[:, :, :, 1:] - comp[:, :, :, :-1]).abs()).sum()
    tv = (vertical + horizontal) / (b * h * w * c)
    batch = y_true.shape[0]
    perceptual = 0.0
    style_out = 0.0
    style_comp = 0.0
    for f in vgg(torch.cat([y_pred, comp, y_true], 0)):
        out, cmp, gt = torch.split(f, batch, 0)
        perceptual = perceptual + (out - gt).abs().mean() + (cmp - gt).abs().mean()
        g_gt = gram(gt)
        style_out = style_out + (gram(out) - g_gt).abs().mean()
        style_comp = style_comp + (gram(cmp) - g_gt).abs().mean()
    return total + weights["perceptual"] * perceptual + weights["style"] * (style_out + style_comp) + weights["tv"] * tv


def synthetic_batch(size, count, seed):
    """Random pixels and three random rectangular holes per image, as src/bench/synthetic-batch.ts."""
    rng = np.random.default_rng(seed)
    images = rng.random((count, 3, size, size), dtype=np.float32)
    masks = np.ones((count, 1, size, size), dtype=np.float32)
    for b in range(count):
        for _ in range(3):
            h = int(rng.integers(1, max(1, size // 3) + 1))
            w = int(rng.integers(1, max(1, size // 3) + 1))
            top = int(rng.integers(0, size - h + 1))
            left = int(rng.integers(0, size - w + 1))
            masks[b, 0, top : top + h, left : left + w] = 0
    return torch.from_numpy(images), torch.from_numpy(masks)


def timing(samples):
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "samples": samples}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--loss", choices=["l1", "full"], default="l1")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--levels", type=int)
    parser.add_argument("--base-channels", type=int, default=64)
    parser.add_argument("--max-channels", type=int, default=512)
    parser.add_argument("--head", choices=["none", "sigmoid"], default="none")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch.set_num_threads (default: all cores)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--tf32", action="store_true", help="allow TF32 in cuDNN and cuBLAS (default: strict fp32)")
    args = parser.parse_args()
    levels = args.levels if args.levels is not None else default_levels(args.size)
    if not 2 <= levels <= 8 or args.size % 2**levels != 0:
        sys.exit(f"error: --size {args.size} does not fit a UNet of {levels} levels (a multiple of 2^levels, levels 2..8)")
    if args.repeats < 1 or args.warmup < 0:
        sys.exit("error: --repeats must be >= 1 and --warmup >= 0")

    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    if args.device == "cuda":
        if not torch.cuda.is_available():
            sys.exit("error: --device cuda: this PyTorch sees no CUDA device")
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
    weights = (
        {"valid": 1.0, "hole": 6.0, "perceptual": 0.0, "style": 0.0, "tv": 0.0}
        if args.loss == "l1"
        else {"valid": 1.0, "hole": 6.0, "perceptual": 0.05, "style": 120.0, "tv": 0.1}
    )
    learning_rate = 2e-4
    model = PConvUNet(levels, args.base_channels, args.max_channels, args.head).to(device)
    vgg = RandomVgg16Features().to(device) if args.loss == "full" else None
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, betas=(0.9, 0.999), eps=1e-8)
    images, masks = (t.to(device) for t in synthetic_batch(args.size, args.batch, args.seed))

    def model_inputs():
        # As modelInputs('pconv'): the image with holes zeroed, the mask on all three channels.
        return images * masks, masks.expand(-1, 3, -1, -1)

    model.train()
    step_ms = []
    last_loss = float("nan")
    for i in range(args.warmup + args.repeats):
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        x, m = model_inputs()
        loss = inpainting_loss(images, model(x, m), masks, weights, vgg)
        loss.backward()
        optimizer.step()
        last_loss = loss.item()
        ms = (time.perf_counter() - t0) * 1000
        if i >= args.warmup:
            step_ms.append(ms)

    model.eval()
    inference_ms = []
    with torch.no_grad():
        for i in range(args.warmup + args.repeats):
            t0 = time.perf_counter()
            x, m = model_inputs()
            model(x, m).clamp(0, 1).cpu().numpy()
            ms = (time.perf_counter() - t0) * 1000
            if i >= args.warmup:
                inference_ms.append(ms)

    if args.device == "cuda":
        precision = "TF32 allowed" if args.tf32 else "fp32, TF32 off"
        device_name = f"{torch.cuda.get_device_name(device)}, PyTorch eager (CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, {precision})"
        framework_memory = {"peakDeviceBytes": torch.cuda.max_memory_allocated(device)}
    else:
        device_name = "CPU, PyTorch eager (oneDNN/OpenMP)"
        framework_memory = {}
    trainable = sum(p.numel() for p in model.parameters())
    statistics_count = sum(b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))
    step = timing(step_ms)
    inference = timing(inference_ms)
    result = {
        "tool": "pytorch",
        "framework": f"torch {torch.__version__}",
        "backend": {"name": args.device, "version": f"torch {torch.__version__}", "device": device_name, "threads": torch.get_num_threads()},
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count() or 1, "runtime": f"Python {platform.python_version()}"},
        "settings": {
            "size": args.size,
            "batch": args.batch,
            "loss": args.loss,
            "levels": levels,
            "baseChannels": args.base_channels,
            "maxChannels": args.max_channels,
            "head": args.head,
            "warmup": args.warmup,
            "repeats": args.repeats,
            "vgg": "VGG16 block1-3, random He-uniform weights (same shapes and FLOPs as ImageNet weights), torch preprocessing"
            if vgg is not None
            else None,
            "lossWeights": weights,
            "learningRate": learning_rate,
        },
        "parameters": {"trainable": trainable, "total": trainable + statistics_count},
        "train": {
            "msPerStep": step,
            "stepsPerSecond": 1000 / step["median"],
            "imagesPerSecond": 1000 * args.batch / step["median"],
            "lastLoss": last_loss,
        },
        "inference": {"msPerBatch": inference, "imagesPerSecond": 1000 * args.batch / inference["median"]},
        "memory": {"peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "framework": framework_memory, "tensorsLeakedPerStep": None},
        "seconds": time.perf_counter() - started,
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
