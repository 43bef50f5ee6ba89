#!/usr/bin/env python3
"""Deepfake Detector Studio: fine-tune the whole network with PyTorch, as fastai's `learn.fine_tune(epochs)` does.

Written into the run folder by `deepfake-studio train --engine torch`; a person can read it and run it again:

    python3 train.py train --config train-config.json --out <folder>

What it does (fastai lesson 2, without fastai):
  - the studio's own train/valid split, passed in as file lists (train-config.json), so runs are comparable;
  - every picture squish-resized to the model size (no crop), RGB 0..255;
  - augmentation of training batches: horizontal flip, small rotation and zoom, lighting (brightness/contrast);
  - the network (`architecture` in the config): torchvision's MobileNetV2 started from the studio's backbone (a tfjs
    Keras MobileNetV2: its weights are mapped here, with Keras' BatchNorm epsilon and its bottom/right padding of the
    stride-2 convolutions; no download), or torchvision's ResNet-18, ResNet-34 or EfficientNet-B0 started from their
    ImageNet weights, downloaded once from torchvision's own address into torch.hub's cache (TORCH_HOME), hash
    checked as they arrive; with fastai's head (concat pooling, BatchNorm, dropout, linear, ReLU, BatchNorm,
    dropout, linear);
  - one epoch with the body frozen (one-cycle, pct_start 0.99), then the whole network unfrozen for `epochs`
    epochs with discriminative learning rates lr/100 .. lr (one-cycle, pct_start 0.3), batch 32, AdamW;
  - one JSON line per epoch on stdout: epoch, train_loss, valid_loss, error_rate, seconds (and, before them, one
    `{"weights": ...}` line naming the ImageNet weights file a torchvision network started from);
  - model.onnx (opset 13): input `image` [N, H, W, 3] RGB 0..255 float, the scaling (Keras' x/127.5 - 1, or
    torchvision's x/255 then ImageNet mean/std per channel) and NHWC->NCHW inside the graph; outputs
    `probabilities` [N, classes] in labels order and `features` (the pooled head input).

`python3 train.py features --config train-config.json --input x.f32 --count N --out y.f32` writes the mapped body's
tap features (block_6_expand_relu avg+max, block_13_expand_relu avg+max, out_relu avg) for N×H×W×3 float32 input,
the studio's test that the mapping gives the tfjs backbone's own features.
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time
import urllib.error
import urllib.parse
import warnings

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torchvision
except ImportError as error:  # The studio checks first; this is for people running the script by hand.
    sys.stderr.write(f"This script needs PyTorch, torchvision and numpy ({error}). Install them: pip install torch torchvision "
                     "(or on Debian/Ubuntu: apt install python3-torch python3-torchvision).\n")
    sys.exit(3)


def log(message):
    sys.stderr.write(f"{message}\n")
    sys.stderr.flush()


# ---------------------------------------------------------------- weights of a tfjs Keras MobileNetV2

def read_tfjs_weights(model_json_path):
    """name -> float32 array, from a tfjs LayersModel folder (float32, float16 or uint8/uint16-quantized shards)."""
    with open(model_json_path, "r", encoding="utf-8") as handle:
        model = json.load(handle)
    folder = os.path.dirname(os.path.abspath(model_json_path))
    weights = {}
    for group in model["weightsManifest"]:
        data = b"".join(open(os.path.join(folder, os.path.basename(p)), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            count = int(np.prod(spec["shape"])) if spec["shape"] else 1
            quant = spec.get("quantization")
            dtype = quant["dtype"] if quant else spec["dtype"]
            np_dtype = {"float32": np.float32, "float16": np.float16, "uint8": np.uint8, "uint16": np.uint16, "int32": np.int32}[dtype]
            raw = np.frombuffer(data, dtype=np_dtype, count=count, offset=offset)
            offset += count * np.dtype(np_dtype).itemsize
            if quant and dtype in ("uint8", "uint16"):
                # tfjs' io.decodeWeights: v * scale + min, stored as float32.
                values = (raw.astype(np.float64) * quant["scale"] + quant["min"]).astype(np.float32)
            else:
                values = raw.astype(np.float32)
            weights[spec["name"]] = values.reshape(spec["shape"])
    return weights


def keras_prefixes():
    """torchvision MobileNetV2 `features` index -> Keras layer prefixes (expand, depthwise, project)."""
    blocks = {1: (None, "expanded_conv_depthwise", "expanded_conv_project")}
    for i in range(2, 18):
        k = i - 1
        blocks[i] = (f"block_{k}_expand", f"block_{k}_depthwise", f"block_{k}_project")
    return blocks


def keras_bn_name(conv_name):
    if conv_name == "Conv1":
        return "bn_Conv1"
    if conv_name == "Conv_1":
        return "Conv_1_bn"
    return f"{conv_name}_BN"


def find_weight(weights, layer, kind):
    """Keras names carry the layer name and the variable; tfjs may prefix a model scope."""
    for name, value in weights.items():
        if name == f"{layer}/{kind}" or name.endswith(f"/{layer}/{kind}"):
            return value
    raise SystemExit(f'The backbone has no weight "{layer}/{kind}": it is not a Keras MobileNetV2 (alpha 1.0) that this script can map onto torchvision\'s.')


def load_conv(conv, weights, layer, depthwise=False):
    kernel = find_weight(weights, layer, "depthwise_kernel" if depthwise else "kernel")
    # Keras HWIO (depthwise: H, W, C, multiplier) -> torch OIHW (depthwise: C, 1, H, W).
    array = kernel.transpose(2, 3, 0, 1) if depthwise else kernel.transpose(3, 2, 0, 1)
    if tuple(array.shape) != tuple(conv.weight.shape):
        raise ValueError(f"{layer}: Keras weights {kernel.shape} do not fit {tuple(conv.weight.shape)}")
    conv.weight.data.copy_(torch.from_numpy(np.ascontiguousarray(array)))


def load_bn(bn, weights, layer):
    bn.weight.data.copy_(torch.from_numpy(find_weight(weights, layer, "gamma")))
    bn.bias.data.copy_(torch.from_numpy(find_weight(weights, layer, "beta")))
    bn.running_mean.copy_(torch.from_numpy(find_weight(weights, layer, "moving_mean")))
    bn.running_var.copy_(torch.from_numpy(find_weight(weights, layer, "moving_variance")))
    bn.eps = 1e-3  # Keras' BatchNormalization epsilon (torch's default is 1e-5).


class KerasPad(nn.Module):
    """Keras pads a stride-2 'valid' conv by (0, 1) on even inputs: only bottom and right; torch pads both sides."""

    def __init__(self, conv):
        super().__init__()
        self.pad = nn.ZeroPad2d((0, 1, 0, 1))
        conv.padding = (0, 0)
        self.conv = conv

    def forward(self, x):
        return self.conv(self.pad(x))


def mobilenet_v2_from_keras(model_json_path):
    """torchvision's MobileNetV2 body (`features`) with the Keras weights of a tfjs MobileNetV2 (alpha 1.0)."""
    weights = read_tfjs_weights(model_json_path)
    net = torchvision.models.mobilenet_v2()
    features = net.features
    load_conv(features[0][0], weights, "Conv1")
    load_bn(features[0][1], weights, "bn_Conv1")
    features[0][0] = KerasPad(features[0][0])
    for index, (expand, depthwise, project) in keras_prefixes().items():
        layers = list(features[index].conv)
        at = 0
        if expand is not None:
            load_conv(layers[0][0], weights, expand)
            load_bn(layers[0][1], weights, keras_bn_name(expand))
            at = 1
        dw_block = layers[at]
        load_conv(dw_block[0], weights, depthwise, depthwise=True)
        load_bn(dw_block[1], weights, keras_bn_name(depthwise))
        if dw_block[0].stride == (2, 2):
            dw_block[0] = KerasPad(dw_block[0])
        load_conv(layers[at + 1], weights, project)
        load_bn(layers[at + 2], weights, keras_bn_name(project))
    load_conv(features[18][0], weights, "Conv_1")
    load_bn(features[18][1], weights, "Conv_1_bn")
    return features


def tap_features(features, x):
    """The studio's MobileNetV2 taps, in its order: block_6/13_expand_relu avg+max, out_relu avg."""
    parts = []
    for index, block in enumerate(features):
        if index in (7, 14):  # block_6 and block_13: their expand (conv[0]) output is the expand_relu.
            expanded = block.conv[0](x)
            parts += [expanded.mean(dim=(2, 3)), expanded.amax(dim=(2, 3))]
        x = block(x)
    parts.append(x.mean(dim=(2, 3)))
    return torch.cat(parts, dim=1)


# ---------------------------------------------------------------- torchvision networks with ImageNet weights

# architecture -> (torchvision builder, weights enum, where the body splits for discriminative learning rates:
# fastai's _resnet_split cuts after layer2; EfficientNet-B0's nine feature stages are cut in halves likewise).
TORCHVISION_NETWORKS = {
    "resnet18": ("resnet18", "ResNet18_Weights.IMAGENET1K_V1", 6),
    "resnet34": ("resnet34", "ResNet34_Weights.IMAGENET1K_V1", 6),
    "efficientnet_b0": ("efficientnet_b0", "EfficientNet_B0_Weights.IMAGENET1K_V1", 5),
}
# fastai's imagenet_stats, the normalisation these weights were trained with (on 0..1 pixels).
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
OFFLINE_HINT = "or fine-tune the default mobilenet_v2, which starts from the studio's own weights and works offline (train.torchBackbone, --torch-backbone)"


def imagenet_weights(architecture):
    """The state dict of torchvision's ImageNet weights: torch.hub's cache, else one download (hash checked)."""
    if not hasattr(torchvision.models, "get_weight"):
        raise SystemExit(f"{architecture} needs torchvision 0.13 or newer (this is {torchvision.__version__}): pip install -U torchvision, {OFFLINE_HINT}.")
    weights = torchvision.models.get_weight(TORCHVISION_NETWORKS[architecture][1])
    expected = weights.transforms()
    if [round(v, 3) for v in expected.mean] != IMAGENET_MEAN or [round(v, 3) for v in expected.std] != IMAGENET_STD:
        raise SystemExit(f"torchvision {torchvision.__version__} normalises {architecture}'s input with mean {expected.mean} and std {expected.std}, not ImageNet's as this script does; please report it.")
    url = weights.url
    folder = os.path.join(torch.hub.get_dir(), "checkpoints")
    file = os.path.join(folder, os.path.basename(urllib.parse.urlsplit(url).path))
    if os.path.exists(file):
        log(f"{architecture}: ImageNet weights from the cache, {file}")
    else:
        log(f"{architecture}: downloading its ImageNet weights once, {url} -> {folder}")
    try:
        # torchvision's own path (Weights.get_state_dict), with the hash in the file name checked on download.
        state = torch.hub.load_state_dict_from_url(url, progress=False, check_hash=True, map_location="cpu")
    except urllib.error.HTTPError as error:
        raise SystemExit(f"Cannot download the ImageNet weights of {architecture}: {url} answered HTTP {error.code}. Try again later, {OFFLINE_HINT}.")
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        host = urllib.parse.urlsplit(url).netloc
        raise SystemExit(f"Cannot download the ImageNet weights of {architecture}: {host} could not be reached (no network, or a proxy in the way). "
                         f"They are needed once: train with the network and they stay in {folder} (TORCH_HOME), or copy {os.path.basename(file)} there; {OFFLINE_HINT}.")
    except RuntimeError as error:
        if "hash" in str(error):
            raise SystemExit(f"The ImageNet weights of {architecture} downloaded from {url} are not the file torchvision names (their hash differs); nothing was kept. Try again, {OFFLINE_HINT}.")
        raise SystemExit(f"The cached ImageNet weights {file} cannot be read as {architecture} weights: delete the file and train again with the network, {OFFLINE_HINT}.")
    with open(file, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    print(json.dumps({"weights": {"architecture": architecture, "url": url, "file": file, "sha256": digest}}), flush=True)
    return state


def torchvision_body(architecture):
    """(body, channels, split): torchvision's network without its classifier, started from ImageNet weights."""
    builder, _, split = TORCHVISION_NETWORKS[architecture]
    net = getattr(torchvision.models, builder)()
    try:
        net.load_state_dict(imagenet_weights(architecture))
    except RuntimeError:
        raise SystemExit(f"The cached ImageNet weights of {architecture} do not fit torchvision's {architecture} (another network's file under its name?): delete the file named above and train again with the network, {OFFLINE_HINT}.")
    if architecture.startswith("resnet"):
        return nn.Sequential(*list(net.children())[:-2]), net.fc.in_features, split
    return net.features, net.classifier[-1].in_features, split


def input_scaling(config):
    """Per-channel (scale, offset) on 0..255 pixels: the Keras backbone's scalar one, or x/255 then ImageNet mean/std."""
    if config.get("architecture", "mobilenet_v2") == "mobilenet_v2":
        return [config["scaling"]["scale"]] * 3, [config["scaling"]["offset"]] * 3
    return [1 / (255 * s) for s in IMAGENET_STD], [-m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD)]


def build_body(config):
    """(body, channels, split) of the configured network."""
    architecture = config.get("architecture", "mobilenet_v2")
    if architecture == "mobilenet_v2":
        return mobilenet_v2_from_keras(config["backbone"]["modelJson"]), 1280, 10
    if architecture not in TORCHVISION_NETWORKS:
        raise SystemExit(f'This script knows no network "{architecture}": use mobilenet_v2, {", ".join(TORCHVISION_NETWORKS)}.')
    return torchvision_body(architecture)


# ---------------------------------------------------------------- data

def load_pictures(entries, size):
    """uint8 [N, 3, H, W] of every picture listed."""
    height, width = size
    out = torch.empty((len(entries), 3, height, width), dtype=torch.uint8)
    for i, entry in enumerate(entries):
        try:
            out[i] = load_picture(entry["file"], width, height)
        except Exception as error:  # The studio decoded it (sharp); Pillow may lack a format such as AVIF or HEIC.
            raise SystemExit(f"Pillow cannot read {entry['file']} ({error}); convert it to JPEG or PNG, or delete it, and train again.")
    return out


def load_picture(file, width, height):
    """One picture as uint8 [3, H, W]: EXIF-rotated, RGB (transparency on white), squish-resized (bilinear)."""
    from PIL import Image, ImageOps
    with Image.open(file) as opened:
        image = ImageOps.exif_transpose(opened)
        if image.mode in ("RGBA", "LA", "P"):
            image = Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), image.convert("RGBA"))
        image = image.convert("RGB").resize((width, height), Image.BILINEAR)
        return torch.from_numpy(np.asarray(image, dtype=np.uint8).copy()).permute(2, 0, 1)


def augment(batch, generator):
    """fastai-like aug_transforms on float 0..255 NCHW: flip, rotate ±10°, zoom 1..1.1, lighting ±0.2."""
    n = batch.shape[0]
    device = batch.device
    flip = (torch.rand(n, generator=generator) < 0.5).float() * -2 + 1
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(10)
    zoom = 1 + torch.rand(n, generator=generator) * 0.1
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = cos * flip
    theta[:, 0, 1] = -sin
    theta[:, 1, 0] = sin * flip
    theta[:, 1, 1] = cos
    grid = F.affine_grid(theta.to(device), list(batch.shape), align_corners=False)
    warped = F.grid_sample(batch, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    brightness = ((torch.rand(n, generator=generator) * 2 - 1) * 0.2).to(device).view(n, 1, 1, 1)
    contrast = torch.exp((torch.rand(n, generator=generator) * 2 - 1) * math.log(1.25)).to(device).view(n, 1, 1, 1)
    mean = warped.mean(dim=(1, 2, 3), keepdim=True)
    return ((warped - mean) * contrast + mean + brightness * 255).clamp(0, 255)


# ---------------------------------------------------------------- model

class Classifier(nn.Module):
    """Body + fastai's create_head; input float NCHW 0..255, scaled to the backbone's range first."""

    def __init__(self, body, channels, classes, scale, offset):
        super().__init__()
        # Per-channel, so the ImageNet normalisation of torchvision's networks is one multiply-add in the graph too.
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("offset", torch.tensor(offset, dtype=torch.float32).view(1, 3, 1, 1))
        self.body = body
        self.head = nn.Sequential(
            nn.BatchNorm1d(channels * 2), nn.Dropout(0.25), nn.Linear(channels * 2, 512, bias=False), nn.ReLU(inplace=True),
            nn.BatchNorm1d(512), nn.Dropout(0.5), nn.Linear(512, classes, bias=False))

    def pooled(self, x):
        x = self.body(x * self.scale + self.offset)
        return torch.cat([F.adaptive_max_pool2d(x, 1), F.adaptive_avg_pool2d(x, 1)], dim=1).flatten(1)

    def forward(self, x):
        return self.head(self.pooled(x))


class OnnxContract(nn.Module):
    """The studio's export contract: `image` NHWC RGB 0..255 in, softmax `probabilities` and `features` out."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, image):
        features = self.model.pooled(image.permute(0, 3, 1, 2))
        return torch.softmax(self.model.head(features), dim=1), features


def set_body_trainable(model, trainable):
    """fastai's freeze(): the body stays fixed except its BatchNorm layers (train_bn=True)."""
    for module in model.body.modules():
        is_bn = isinstance(module, nn.BatchNorm2d)
        for parameter in module.parameters(recurse=False):
            parameter.requires_grad = trainable or is_bn


def fit_one_cycle(model, groups, lrs, epochs, pct_start, data, config, device, first_epoch, generator, wd):
    """fastai's fit_one_cycle with AdamW; prints one JSON line per epoch."""
    train_x, train_y, valid_x, valid_y = data
    batch = config["batchSize"]
    steps = max(1, math.ceil(len(train_x) / batch))
    params = [{"params": [p for p in group if p.requires_grad], "lr": lr} for group, lr in zip(groups, lrs)]
    params = [group for group in params if group["params"]]
    optimizer = torch.optim.AdamW(params, betas=(0.9, 0.99), eps=1e-5, weight_decay=wd)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[g["lr"] for g in params], total_steps=epochs * steps,
                                                    pct_start=pct_start, div_factor=25.0, final_div_factor=1e5,
                                                    base_momentum=0.85, max_momentum=0.95)
    for epoch in range(epochs):
        started = time.time()
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        total, seen = 0.0, 0
        for step in range(steps):
            index = order[step * batch:(step + 1) * batch]
            if len(index) < 2 and len(train_x) >= 2:  # BatchNorm needs two pictures; fastai drops the last partial batch.
                continue
            x = augment(train_x[index].float().to(device), generator)
            y = train_y[index].to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += float(loss) * len(index)
            seen += len(index)
        valid_loss, error_rate = evaluate(model, valid_x, valid_y, batch, device)
        print(json.dumps({"epoch": first_epoch + epoch, "train_loss": total / max(seen, 1), "valid_loss": valid_loss,
                          "error_rate": error_rate, "seconds": time.time() - started}), flush=True)


def evaluate(model, x, y, batch, device):
    model.eval()
    losses, wrong = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(x), batch):
            logits = model(x[start:start + batch].float().to(device))
            target = y[start:start + batch].to(device)
            losses += float(F.cross_entropy(logits, target, reduction="sum"))
            wrong += int((logits.argmax(dim=1) != target).sum())
    return losses / len(x), wrong / len(x)


def pick_device():
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def train(config, out_dir):
    torch.manual_seed(config["seed"])
    np.random.seed(config["seed"])
    generator = torch.Generator().manual_seed(config["seed"])
    device = pick_device()
    labels = config["labels"]
    size = config["size"]
    log(f"PyTorch {torch.__version__}, torchvision {torchvision.__version__}, device {device}")
    log(f"Reading {len(config['train'])} training and {len(config['valid'])} validation pictures")
    train_x = load_pictures(config["train"], size)
    valid_x = load_pictures(config["valid"], size)
    train_y = torch.tensor([labels.index(e["label"]) for e in config["train"]])
    valid_y = torch.tensor([labels.index(e["label"]) for e in config["valid"]])
    body, channels, split = build_body(config)
    model = Classifier(body, channels, len(labels), *input_scaling(config)).to(device)
    data = (train_x, train_y, valid_x, valid_y)
    lr, wd = config["learningRate"], config["weightDecay"]
    # fastai's vision_learner splits the body in two + the head for discriminative learning rates.
    groups = [list(body[:split].parameters()), list(body[split:].parameters()), list(model.head.parameters())]
    set_body_trainable(model, False)
    log("Frozen epoch (the head and the body's BatchNorm layers)")
    fit_one_cycle(model, groups, [lr, lr, lr], config["freezeEpochs"], 0.99, data, config, device, 0, generator, wd)
    set_body_trainable(model, True)
    base = lr / 2  # fine_tune halves base_lr after the frozen epochs
    lrs = [base / 100, base / 10, base]
    log(f"Unfrozen: {config['epochs']} epoch(s), learning rates {lrs}")
    fit_one_cycle(model, groups, lrs, config["epochs"], 0.3, data, config, device, config["freezeEpochs"], generator, wd)
    model.eval().cpu()
    export_onnx(model, size, os.path.join(out_dir, "model.onnx"))
    log(f"Wrote {os.path.join(out_dir, 'model.onnx')}")


def export_onnx(model, size, path):
    contract = OnnxContract(model).eval()
    example = torch.zeros((1, size[0], size[1], 3), dtype=torch.float32)
    with warnings.catch_warnings():
        # torch 1.13 warns that it cannot constant-fold the padding's Slice: harmless, and noise in the studio's log.
        warnings.simplefilter("ignore", UserWarning)
        torch.onnx.export(contract, example, path, opset_version=13, input_names=["image"],
                          output_names=["probabilities", "features"],
                          dynamic_axes={"image": {0: "batch"}, "probabilities": {0: "batch"}, "features": {0: "batch"}})


def features(config, input_path, count, out_path):
    size = config["size"]
    body = mobilenet_v2_from_keras(config["backbone"]["modelJson"]).eval()
    scale, offset = config["scaling"]["scale"], config["scaling"]["offset"]
    data = np.fromfile(input_path, dtype=np.float32).reshape(count, size[0], size[1], 3)
    with torch.no_grad():
        x = torch.from_numpy(data).permute(0, 3, 1, 2) * scale + offset
        tap_features(body, x).numpy().astype(np.float32).tofile(out_path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["train", "features"])
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--input")
    parser.add_argument("--count", type=int)
    args = parser.parse_args()
    with open(args.config, "r", encoding="utf-8") as handle:
        config = json.load(handle)
    if args.mode == "train":
        train(config, args.out)
    else:
        features(config, args.input, args.count, args.out)


if __name__ == "__main__":
    main()
