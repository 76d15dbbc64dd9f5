#!/usr/bin/python3
"""Export the larger ImageNet-shaped models bench/engine times, into a build directory.

    /usr/bin/python3 tools/make_bench_models.py --out build/bench-models

Writes mobilenet_v2.onnx and resnet18.onnx (torchvision, weights=None, torch.manual_seed(0)
init, eval mode, fixed input [1,3,224,224], opset 13) and for each a reference pair
NAME.input.npy / NAME.output.npy (randn input, seed 0; PyTorch logits), so the bench can check
the engine's answer before timing it. Random weights time exactly like trained ones; they are
not committed (ResNet-18 is 45 MB) and take ~20 s to make. Idempotent: existing files are kept.

Needs Debian's python3-torch, python3-torchvision, python3-onnx, python3-numpy
(deploy/install-deps.sh --fixtures).
"""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures  # noqa: E402  (export + its checks and graph clean-up)

MODELS = {
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(weights=None),
    "resnet18": lambda: torchvision.models.resnet18(weights=None),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, build in MODELS.items():
        path = os.path.join(args.out, name + ".onnx")
        if all(os.path.exists(os.path.join(args.out, name + suffix))
               for suffix in (".onnx", ".input.npy", ".output.npy")):
            print("make_bench_models: %s present" % path)
            continue
        torch.manual_seed(0)
        model = build().eval()
        x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
        make_fixtures.export(model, x, path + ".tmp", dynamic_batch=False)
        make_fixtures.save_ref(args.out, name, model, x.numpy())
        os.replace(path + ".tmp", path)
        print("make_bench_models: wrote %s" % path)


if __name__ == "__main__":
    main()
