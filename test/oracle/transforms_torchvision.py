"""Applies torchvision 0.14's deterministic transform cores to small images, for
test/transforms.test.ts. Reads a JSON list of cases on stdin; writes a JSON list of results
(flat float lists and shapes). Each case: {"op", "shape": [c, h, w], "data": [...], ...}."""
import json
import sys

import torch
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode


def run(case):
    img = torch.tensor(case["data"], dtype=torch.float32).reshape(case["shape"])
    op = case["op"]
    if op == "pad":
        out = F.pad(img, case["padding"], fill=case["fill"], padding_mode=case["mode"])
    elif op == "crop":
        out = F.crop(img, case["top"], case["left"], case["h"], case["w"])
    elif op == "center_crop":
        out = F.center_crop(img, case["size"])
    elif op == "resize":
        out = F.resize(img, case["size"], interpolation=InterpolationMode.BILINEAR, antialias=False)
    elif op == "hflip":
        out = F.hflip(img)
    elif op == "vflip":
        out = F.vflip(img)
    elif op == "rotate":
        fill = [float(case["fill"])] * img.shape[0]
        out = F.rotate(img, case["angle"], interpolation=InterpolationMode.NEAREST, fill=fill)
    elif op == "affine":
        fill = [float(case["fill"])] * img.shape[0]
        out = F.affine(img, angle=case["angle"], translate=case["translate"], scale=case["scale"],
                       shear=case["shear"], interpolation=InterpolationMode.NEAREST, fill=fill)
    elif op == "brightness":
        out = F.adjust_brightness(img, case["factor"])
    elif op == "contrast":
        out = F.adjust_contrast(img, case["factor"])
    elif op == "saturation":
        out = F.adjust_saturation(img, case["factor"])
    elif op == "hue":
        out = F.adjust_hue(img, case["factor"])
    elif op == "grayscale":
        out = F.rgb_to_grayscale(img, case["channels"])
    elif op == "normalize":
        out = F.normalize(img, case["mean"], case["std"])
    else:
        raise ValueError(op)
    return {"shape": list(out.shape), "data": out.flatten().tolist()}


print(json.dumps([run(c) for c in json.load(sys.stdin)]))
