"""Support module of a TLDsl pipeline exported for torchrun: the pieces `train.py` needs to train exactly what TLDsl
trains, written once in plain PyTorch (1.13 and 2.x).

Everything that decides *what* is trained (which modules a freeze rule or a phase covers, every parameter's base
learning rate in each phase, the training/validation/test samples after splits and `limit_per_class`, the
normalisation constants) was resolved by `tldsl export` and is read from `pipeline.json`; this module only carries it
out. Random draws that TLDsl makes with .NET's seeded `System.Random` (the data order of each epoch, the augmentation
of each sample) are replayed with a port of that generator, so a run here sees the same batches as a run in TLDsl.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import struct
from collections import OrderedDict
from typing import Any, Iterator, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# --------------------------------------------------------------------------------------------------------------------
# Deterministic random numbers shared with TLDsl
# --------------------------------------------------------------------------------------------------------------------

_MASK64 = (1 << 64) - 1
_INT_MAX = 2147483647


def _i32(value: int) -> int:
    """Wraps like C#'s unchecked int arithmetic."""
    return ((value + 0x80000000) & 0xFFFFFFFF) - 0x80000000


def _mix(z: int) -> int:
    z = (z + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def sample_seed(a: int, b: int, c: int) -> int:
    """TLDsl's SampleSeed.Of: SplitMix64 over three integers, as a non-negative int32."""
    h = _mix(0x9E3779B97F4A7C15 ^ (a & 0xFFFFFFFF))
    h = _mix(h ^ ((b & 0xFFFFFFFF) << 1))
    h = _mix(h ^ ((c & 0xFFFFFFFF) << 2))
    return h & 0x7FFFFFFF


class NetRandom:
    """.NET's `new System.Random(seed)` (Knuth's subtractive generator, the seeded implementation .NET keeps for
    compatibility), so that draws here equal TLDsl's draw for draw."""

    def __init__(self, seed: int) -> None:
        seeds = [0] * 56
        subtraction = _INT_MAX if seed == -0x80000000 else abs(seed)
        mj = _i32(161803398 - subtraction)
        seeds[55] = mj
        mk = 1
        ii = 0
        for i in range(1, 55):
            ii += 21
            if ii >= 55:
                ii -= 55
            seeds[ii] = mk
            mk = _i32(mj - mk)
            if mk < 0:
                mk += _INT_MAX
            mj = seeds[ii]
        for _ in range(1, 5):
            for i in range(1, 56):
                n = i + 30
                if n >= 55:
                    n -= 55
                seeds[i] = _i32(seeds[i] - seeds[1 + n])
                if seeds[i] < 0:
                    seeds[i] += _INT_MAX
        self._seeds = seeds
        self._next = 0
        self._nextp = 21

    def _internal_sample(self) -> int:
        loc_next = self._next + 1
        if loc_next >= 56:
            loc_next = 1
        loc_nextp = self._nextp + 1
        if loc_nextp >= 56:
            loc_nextp = 1
        value = _i32(self._seeds[loc_next] - self._seeds[loc_nextp])
        if value == _INT_MAX:
            value -= 1
        if value < 0:
            value += _INT_MAX
        self._seeds[loc_next] = value
        self._next = loc_next
        self._nextp = loc_nextp
        return value

    def next_double(self) -> float:
        """Random.NextDouble()."""
        return self._internal_sample() * (1.0 / _INT_MAX)

    def next_below(self, max_value: int) -> int:
        """Random.Next(maxValue)."""
        return int(self.next_double() * max_value)

    def next_between(self, min_value: int, max_value: int) -> int:
        """Random.Next(minValue, maxValue) for ranges that fit an int (every range TLDsl draws)."""
        return int(self.next_double() * (max_value - min_value)) + min_value

    def uniform(self, low: float, high: float) -> float:
        return low + (self.next_double() * (high - low))

    def shuffle(self, values: list[int]) -> None:
        """Random.Shuffle (.NET 8 and later)."""
        n = len(values)
        for i in range(n - 1):
            j = self.next_between(i, n)
            if j != i:
                values[i], values[j] = values[j], values[i]


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    """The order of the training samples in an epoch: a pure function of the seed and the epoch (TLDsl's
    Trainer.EpochOrder), so a resumed run replays it."""
    order = list(range(n))
    NetRandom(sample_seed(seed, epoch, 0x5EED)).shuffle(order)
    return order


# --------------------------------------------------------------------------------------------------------------------
# safetensors without the safetensors package
# --------------------------------------------------------------------------------------------------------------------

_DTYPES: dict[str, torch.dtype] = {
    "F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}
_NAMES = {dtype: name for name, dtype in _DTYPES.items()}


def load_safetensors(path: str) -> dict[str, Tensor]:
    """Reads a safetensors file into CPU tensors, refusing ranges that leave the data section."""
    with open(path, "rb") as stream:
        data = stream.read()
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file (too short)")
    (header_size,) = struct.unpack("<Q", data[:8])
    if header_size > len(data) - 8:
        raise ValueError(f"{path}: the header claims {header_size} bytes, the file has {len(data) - 8}")
    header = json.loads(data[8:8 + header_size].decode("utf-8"))
    body = memoryview(data)[8 + header_size:]
    result: dict[str, Tensor] = OrderedDict()
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        if not 0 <= begin <= end <= len(body):
            raise ValueError(f"{path}: tensor '{name}' lies outside the data section")
        dtype = _DTYPES[entry["dtype"]]
        shape = list(entry["shape"])
        chunk = bytes(body[begin:end])
        flat = torch.frombuffer(bytearray(chunk), dtype=dtype) if chunk else torch.empty(0, dtype=dtype)
        result[name] = flat.reshape(shape).clone()
    return result


def save_safetensors(tensors: dict[str, Tensor], path: str) -> None:
    """Writes tensors (moved to the CPU, contiguous, little-endian) as safetensors, atomically."""
    header: dict[str, Any] = {}
    blobs: list[bytes] = []
    offset = 0
    for name, tensor in tensors.items():
        value = tensor.detach().to("cpu").contiguous()
        blob = value.reshape(-1).view(torch.uint8).numpy().tobytes() if value.numel() else b""
        header[name] = {"dtype": _NAMES[value.dtype], "shape": list(value.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    temp = f"{path}.tmp-{os.getpid()}"
    with open(temp, "wb") as stream:
        stream.write(struct.pack("<Q", len(text)))
        stream.write(text)
        for blob in blobs:
            stream.write(blob)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temp, path)


# --------------------------------------------------------------------------------------------------------------------
# The model: the base architecture cut where the pipeline says, the added head, freeze rules and BatchNorm policies
# --------------------------------------------------------------------------------------------------------------------


class SmallCnn(nn.Module):
    """TLDsl's small_cnn (28x28 grayscale): the same children, so the same state-dict keys."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(64, 128, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(128)
        self.relu3 = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(128, num_classes)


def create_architecture(name: str) -> nn.Module:
    """The uncut base model; its weights come from the exported file, so the initialisation here is irrelevant."""
    import torchvision

    resnet = torchvision.models.resnet
    if name == "small_cnn":
        return SmallCnn()
    if name == "resnet18":
        return resnet.ResNet(resnet.BasicBlock, [2, 2, 2, 2])
    if name == "resnet34":
        return resnet.ResNet(resnet.BasicBlock, [3, 4, 6, 3])
    if name == "resnet50":
        return resnet.ResNet(resnet.Bottleneck, [3, 4, 6, 3])
    if name == "resnet18_imagenet":
        # The offline ImageNet ResNet-18: layer4 has three blocks, and the model is headless.
        return resnet.ResNet(resnet.BasicBlock, [2, 2, 2, 3])
    if name in ("mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large"):
        return getattr(torchvision.models, name)()
    raise ValueError(f"base model '{name}' is not one this program can build")


class GlobalPool(nn.Module):
    """Global average, max or concatenated average+max pooling of a feature map, flattened (TLDsl's pool head layer)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def forward(self, x: Tensor) -> Tensor:
        if self.kind == "avg":
            return x.mean([2, 3])
        if self.kind == "max":
            return x.amax([2, 3])
        return torch.cat([x.mean([2, 3]), x.amax([2, 3])], 1)


def build_head(layers: Sequence[dict[str, Any]]) -> nn.Sequential:
    """The added layers, named 0, 1, ... as in TLDsl (state-dict keys head.N.*)."""
    modules: list[nn.Module] = []
    for layer in layers:
        kind = layer["kind"]
        if kind == "linear":
            modules.append(nn.Linear(layer["in"], layer["out"], bias=layer["bias"]))
        elif kind == "activation":
            # An option-less activation named by TLDsl's head layer registry (ReLU, GELU, SiLU, Hardswish, ...).
            module = getattr(nn, layer["module"], None)
            if not (isinstance(module, type) and issubclass(module, nn.Module)):
                raise ValueError(f"head activation '{layer['module']}' is not a torch.nn module")
            modules.append(module())
        elif kind == "dropout":
            modules.append(nn.Dropout(layer["p"]))
        elif kind == "batchnorm":
            modules.append(nn.BatchNorm2d(layer["features"]) if layer["spatial"] else nn.BatchNorm1d(layer["features"]))
        elif kind == "layernorm":
            modules.append(nn.LayerNorm(layer["features"]))
        elif kind == "flatten":
            modules.append(nn.Flatten())
        elif kind in ("avg_pool", "max_pool", "concat_pool"):
            modules.append(GlobalPool(kind[: -len("_pool")]))
        else:
            raise ValueError(f"head layer kind '{kind}' is not one this program knows")
    return nn.Sequential(*modules)


class TransferModel(nn.Module):
    """A pre-trained backbone cut where the pipeline says, followed by the added head. Backbone modules keep their
    names (their state-dict keys are the base model's); the head lives under `head`. Leading steps without a trainable
    parameter run under no_grad, as in TLDsl. Modules held in eval by a freeze rule stay in eval mode in `train()`."""

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__()
        original = create_architecture(spec["architecture"])
        children = dict(original.named_children())
        self.steps: list[tuple[str, str]] = []
        for step in spec["steps"]:
            name, kind = step["name"], step["kind"]
            if kind == "child":
                module = children[name]
                keep = step.get("truncate_at")
                if keep is not None:
                    items = list(module.named_children())[:keep]
                    module = nn.Sequential(OrderedDict(items))
                self.add_module(name, module)
            elif kind not in ("flatten", "global_average_pool"):
                raise ValueError(f"layout step kind '{kind}' is not one this program knows")
            self.steps.append((name, kind))
        self.head = build_head(spec["head"])
        self.held_in_eval: set[str] = set()

    def _run(self, x: Tensor, begin: int, end: int) -> Tensor:
        for name, kind in self.steps[begin:end]:
            if kind == "child":
                x = getattr(self, name)(x)
            elif kind == "global_average_pool":
                x = F.adaptive_avg_pool2d(x, 1)
            else:
                x = x.flatten(1)
        return x

    def frozen_prefix_length(self) -> int:
        count = 0
        for name, kind in self.steps:
            if kind == "child" and any(p.requires_grad for p in getattr(self, name).parameters()):
                break
            count += 1
        return count

    def forward(self, x: Tensor) -> Tensor:
        frozen = self.frozen_prefix_length()
        if frozen > 0:
            with torch.no_grad():
                x = self._run(x, 0, frozen)
        x = self._run(x, frozen, len(self.steps))
        return self.head(x)

    def train(self, mode: bool = True) -> "TransferModel":
        super().train(mode)
        modules = dict(self.named_modules())
        for name in self.held_in_eval:
            modules[name].eval()
        return self

    def _modules_named(self, names: Sequence[str]) -> list[tuple[str, nn.Module]]:
        modules = dict(self.named_modules())
        missing = [n for n in names if n not in modules]
        if missing:
            raise ValueError(f"pipeline.json names modules this model does not have: {', '.join(missing[:5])}")
        return [(n, modules[n]) for n in names]

    def freeze(self, names: Sequence[str], batchnorm: str) -> None:
        """Freezes the modules (already expanded to every covered module) with a BatchNorm policy: eval (statistics
        and affine frozen, held in eval mode), train_affine (statistics frozen, affine trains) or train."""
        if batchnorm not in ("eval", "train_affine", "train"):
            raise ValueError(f"batchnorm policy '{batchnorm}' is not one this program knows")
        for name, module in self._modules_named(names):
            is_batchnorm = isinstance(module, nn.modules.batchnorm._BatchNorm)
            affine_trains = is_batchnorm and batchnorm != "eval"
            for parameter in module.parameters(recurse=False):
                parameter.requires_grad_(affine_trains)
            if batchnorm == "eval" or (batchnorm == "train_affine" and is_batchnorm):
                self.held_in_eval.add(name)
                module.eval()

    def unfreeze(self, names: Sequence[str]) -> None:
        """Makes the modules trainable again (gradual unfreezing); those held in eval follow the model's mode again."""
        for name, module in self._modules_named(names):
            for parameter in module.parameters(recurse=False):
                parameter.requires_grad_(True)
            if name in self.held_in_eval:
                self.held_in_eval.discard(name)
                module.train(self.training)


# --------------------------------------------------------------------------------------------------------------------
# Data: decoding, augmentation and preprocessing as TLDsl's ImagePreprocessor does them
# --------------------------------------------------------------------------------------------------------------------

_GRAY = (0.2989, 0.587, 0.114)


def _read_maybe_gzip(path: str) -> bytes:
    with open(path, "rb") as stream:
        data = stream.read()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


class IdxImages:
    """An IDX image file (raw or gzip), decoded one item at a time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.data = _read_maybe_gzip(path)
        magic, count, self.height, self.width = struct.unpack(">iiii", self.data[:16])
        if magic != 0x803:
            raise ValueError(f"{path}: not an idx3-ubyte image file")
        if len(self.data) < 16 + count * self.height * self.width:
            raise ValueError(f"{path}: truncated")

    def decode(self, item: int) -> Tensor:
        size = self.height * self.width
        start = 16 + item * size
        pixels = torch.frombuffer(bytearray(self.data[start:start + size]), dtype=torch.uint8)
        return pixels.reshape(1, self.height, self.width).float() / 255


def decode_file(path: str) -> Tensor:
    """An image file as CHW floats in [0, 1]: grayscale (with or without alpha) gives 1 channel, anything else 3 (alpha
    dropped), as TLDsl's decoder."""
    from PIL import Image

    with Image.open(path) as image:
        gray = image.mode in ("L", "LA", "1", "I", "I;16", "F")
        converted = image.convert("L" if gray else "RGB")
        width, height = converted.size
        pixels = torch.frombuffer(bytearray(converted.tobytes()), dtype=torch.uint8)
    channels = 1 if gray else 3
    return pixels.reshape(height, width, channels).permute(2, 0, 1).contiguous().float() / 255


class Split:
    """The samples of one split, as resolved by `tldsl export`: (index in its source, item or file, label)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.kind: str = spec["kind"]
        self.samples: list[list[Any]] = spec["samples"]
        self._idx = IdxImages(spec["images"]) if self.kind == "idx" else None

    def __len__(self) -> int:
        return len(self.samples)

    def index(self, position: int) -> int:
        return int(self.samples[position][0])

    def label(self, position: int) -> int:
        return int(self.samples[position][2])

    def decode(self, position: int) -> Tensor:
        item = self.samples[position][1]
        return self._idx.decode(int(item)) if self._idx is not None else decode_file(str(item))


class Preprocessor:
    """Augment (training only), resize the shorter side to the input and centre-crop (bilinear, antialiased), adapt the
    channels, reverse to BGR if the weights want it, normalise: TLDsl's ImagePreprocessor, one image at a time."""

    def __init__(self, spec: dict[str, Any], augment: Sequence[dict[str, Any]], pixel_shift: Optional[Tensor]) -> None:
        self.height: int = spec["height"]
        self.width: int = spec["width"]
        self.channels: int = spec["channels"]
        self.reverse: bool = spec["reverse_channels"]
        self.scale = torch.tensor(spec["scale"], dtype=torch.float32).view(1, self.channels, 1, 1)
        self.shift = pixel_shift.view(1, self.channels, self.height, self.width) if pixel_shift is not None \
            else torch.tensor(spec["shift"], dtype=torch.float32).view(1, self.channels, 1, 1)
        self.augment = list(augment)
        for step in self.augment:
            if step["kind"] not in ("random_resized_crop", "horizontal_flip", "vertical_flip", "rotation", "color_jitter"):
                raise ValueError(f"augmentation '{step['kind']}' is not one this program knows")
        self.random = any(_is_random(step) for step in self.augment)

    def __call__(self, image: Tensor, train: bool, seed: int, epoch: int, index: int) -> Tensor:
        x = image.unsqueeze(0)
        if train and self.random:
            draws = NetRandom(sample_seed(seed, epoch, index))
            for step in self.augment:
                if _is_random(step):
                    x = self._augment(x, step, draws)
        x = self._resize_and_crop(x)
        x = self._to_channels(x)
        if self.reverse and self.channels == 3:
            x = x.flip(1)
        return torch.addcmul(self.shift, x, self.scale).squeeze(0)

    def _augment(self, x: Tensor, step: dict[str, Any], draws: NetRandom) -> Tensor:
        kind = step["kind"]
        if kind == "random_resized_crop":
            top, left, h, w = crop_box(x.shape[2], x.shape[3], step, draws)
            region = x[:, :, top:top + h, left:left + w]
            return F.interpolate(region, size=[self.height, self.width], mode="bilinear", align_corners=False, antialias=True)
        if kind in ("horizontal_flip", "vertical_flip"):
            flip = draws.next_double() < step["p"]
            return x.flip(3 if kind == "horizontal_flip" else 2) if flip else x
        if kind == "rotation":
            return rotate(x, draws.uniform(-step["degrees"], step["degrees"]))
        if kind == "color_jitter":
            return color_jitter(x, step, draws)
        raise ValueError(f"augmentation '{kind}' is not one this program knows")

    def _resize_and_crop(self, x: Tensor) -> Tensor:
        height, width = self.height, self.width
        h, w = x.shape[2], x.shape[3]
        if h == height and w == width:
            return x
        if height / h >= width / w:
            rh, rw = height, max(width, int(w * height / h))
        else:
            rw, rh = width, max(height, int(h * width / w))
        if rh != h or rw != w:
            x = F.interpolate(x, size=[rh, rw], mode="bilinear", align_corners=False, antialias=True)
        if rh == height and rw == width:
            return x
        top = _round_half_even((rh - height) / 2.0)
        left = _round_half_even((rw - width) / 2.0)
        return x[:, :, top:top + height, left:left + width]

    def _to_channels(self, x: Tensor) -> Tensor:
        c = x.shape[1]
        if c == self.channels:
            return x
        if c == 1:
            return x.expand(-1, self.channels, -1, -1)
        return (x * torch.tensor(_GRAY, dtype=torch.float32).view(1, 3, 1, 1)).sum(1, keepdim=True)


def _round_half_even(value: float) -> int:
    """Math.Round's default (banker's rounding); Python's round() does the same."""
    return int(round(value))


def _is_random(step: dict[str, Any]) -> bool:
    kind = step["kind"]
    if kind == "random_resized_crop":
        return True
    if kind in ("horizontal_flip", "vertical_flip"):
        return step["p"] > 0
    if kind == "rotation":
        return step["degrees"] > 0
    if kind == "color_jitter":
        return step["brightness"] > 0 or step["contrast"] > 0 or step["saturation"] > 0 or step["hue"] > 0
    raise ValueError(f"augmentation '{kind}' is not one this program knows")


def crop_box(height: int, width: int, step: dict[str, Any], draws: NetRandom) -> tuple[int, int, int, int]:
    """torchvision's RandomResizedCrop.get_params with TLDsl's draws: 10 tries, then a centre crop."""
    area = float(height) * width
    scale_min, scale_max = step["scale"]
    ratio_min, ratio_max = step["ratio"]
    log_min, log_max = math.log(ratio_min), math.log(ratio_max)
    for _ in range(10):
        target = area * draws.uniform(scale_min, scale_max)
        ratio = math.exp(draws.uniform(log_min, log_max))
        w = _round_half_even(math.sqrt(target * ratio))
        h = _round_half_even(math.sqrt(target / ratio))
        if 0 < w <= width and 0 < h <= height:
            return draws.next_below(height - h + 1), draws.next_below(width - w + 1), h, w
    in_ratio = width / height
    if in_ratio < ratio_min:
        cw = width
        ch = max(1, _round_half_even(cw / ratio_min))
    elif in_ratio > ratio_max:
        ch = height
        cw = max(1, _round_half_even(ch * ratio_max))
    else:
        cw, ch = width, height
    return (height - ch) // 2, (width - cw) // 2, ch, cw


def rotate(x: Tensor, degrees: float) -> Tensor:
    """Rotation about the centre (bilinear, zeros outside); positive angles turn counter-clockwise."""
    h, w = x.shape[2], x.shape[3]
    radians = degrees * math.pi / 180
    sin, cos = math.sin(radians), math.cos(radians)
    theta = torch.tensor([[[cos, -sin * h / w, 0.0], [sin * w / h, cos, 0.0]]], dtype=torch.float32)
    grid = F.affine_grid(theta, [1, x.shape[1], h, w], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _gray(x: Tensor) -> Tensor:
    return (x * torch.tensor(_GRAY, dtype=torch.float32).view(1, 3, 1, 1)).sum(1, keepdim=True) if x.shape[1] == 3 else x


def _factor(draws: NetRandom, amount: float) -> float:
    return draws.uniform(max(0.0, 1 - amount), 1 + amount) if amount > 0 else 1.0


def color_jitter(x: Tensor, step: dict[str, Any], draws: NetRandom) -> Tensor:
    """Brightness, contrast, saturation, then hue, each factor drawn in that order (TLDsl's fixed order)."""
    brightness = _factor(draws, step["brightness"])
    contrast = _factor(draws, step["contrast"])
    saturation = _factor(draws, step["saturation"])
    hue = draws.uniform(-step["hue"], step["hue"]) if step["hue"] > 0 else 0.0
    b, c, s = (torch.tensor([v], dtype=torch.float32).view(1, 1, 1, 1) for v in (brightness, contrast, saturation))
    if step["brightness"] > 0:
        x = (x * b).clamp_(0, 1)
    if step["contrast"] > 0:
        mean = _gray(x).mean([1, 2, 3], keepdim=True)
        x = ((x * c) + (mean * (1 - c))).clamp_(0, 1)
    if step["saturation"] > 0 and x.shape[1] == 3:
        x = ((x * s) + (_gray(x) * (1 - s))).clamp_(0, 1)
    if step["hue"] > 0 and x.shape[1] == 3:
        x = shift_hue(x, torch.tensor([hue], dtype=torch.float32))
    return x


def shift_hue(images: Tensor, shifts: Tensor) -> Tensor:
    """torchvision's adjust_hue, written as TLDsl writes it (HSV hue turned, value and chroma kept)."""
    n = images.shape[0]
    r, g, b = images[:, 0:1], images[:, 1:2], images[:, 2:3]
    value = images.amax(1, keepdim=True)
    chroma = value - images.amin(1, keepdim=True)
    grey = chroma.eq(0)
    divisor = torch.where(grey, torch.ones_like(chroma), chroma)
    sector = torch.where(value.eq(r), (g - b) / divisor,
                         torch.where(value.eq(g), 2 + ((b - r) / divisor), 4 + ((r - g) / divisor)))
    hue = torch.remainder((sector / 6) + shifts.view(n, 1, 1, 1), 1.0)
    offsets = torch.tensor([5.0, 3.0, 1.0]).view(1, 3, 1, 1)
    t = torch.remainder(offsets + (hue * 6), 6.0)
    ramp = torch.minimum(t, 4 - t).clamp_(0, 1)
    return (value - (chroma * ramp)).clamp_(0, 1)


class SplitDataset(torch.utils.data.Dataset):
    """Items are (position in the split, epoch); each yields (input, label). A sample's augmentation depends only on
    the seed, the epoch and its index in the source, so worker processes and ranks agree with TLDsl."""

    def __init__(self, split: Split, preprocessor: Preprocessor, train: bool, seed: int) -> None:
        self.split = split
        self.preprocessor = preprocessor
        self.train = train
        self.seed = seed

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, key: tuple[int, int]) -> tuple[Tensor, int]:
        position, epoch = key
        image = self.split.decode(position)
        x = self.preprocessor(image, self.train, self.seed, epoch, self.split.index(position))
        return x, self.split.label(position)


# --------------------------------------------------------------------------------------------------------------------
# Schedules, metrics
# --------------------------------------------------------------------------------------------------------------------


def schedule_factor(schedule: dict[str, Any], step: int, total_steps: int, steps_per_epoch: int) -> float:
    """TLDsl's LearningRateSchedule.Factor: the factor on each base rate at optimizer step `step` of a phase."""
    total_steps = max(1, total_steps)
    steps_per_epoch = max(1, steps_per_epoch)
    kind = schedule["kind"]
    if kind == "constant":
        return 1.0
    if kind == "step":
        return math.pow(schedule["gamma"], math.floor(step / (steps_per_epoch * max(1, schedule["step_epochs"]))))
    if kind == "cosine":
        warmup = (schedule["warmup_epochs"] * steps_per_epoch) + schedule["warmup_steps"]
        if step < warmup:
            return (step + 1) / warmup
        t = (step - warmup) / max(1, total_steps - warmup)
        minimum = schedule["min_factor"]
        return minimum + ((1 - minimum) * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))
    if kind == "one_cycle":
        peak = max(1.0, schedule["pct_start"] * total_steps)
        start = 1 / schedule["div_factor"]
        end = start / schedule["final_div_factor"]
        if step < peak:
            return _anneal(start, 1, step / peak)
        return _anneal(1, end, (step - peak) / max(1, total_steps - peak))
    raise ValueError(f"schedule '{kind}' is not one this program knows")


def _anneal(start: float, end: float, t: float) -> float:
    return end + ((start - end) * 0.5 * (1 + math.cos(math.pi * min(1.0, max(0.0, t)))))


def classification_metrics(targets: list[int], probabilities: Tensor, labels: Sequence[str], loss: Optional[float]) -> dict[str, Any]:
    """TLDsl's ClassificationMetrics: accuracy and top-k by the target's rank (ties to the lower class), per-class
    precision/recall/F1, macro F1 over classes present in targets or predictions, support-weighted F1, confusion."""
    classes = len(labels)
    rows = probabilities.tolist()
    confusion = [[0] * classes for _ in range(classes)]
    ranks: list[int] = []
    for target, row in zip(targets, rows):
        best = 0
        rank = 0
        pt = row[target]
        for c, p in enumerate(row):
            if p > row[best]:
                best = c
            if p > pt or (p == pt and c < target):
                rank += 1
        ranks.append(rank)
        confusion[target][best] += 1
    n = len(targets)
    per_class = []
    for c in range(classes):
        tp = confusion[c][c]
        support = sum(confusion[c])
        predicted = sum(confusion[o][c] for o in range(classes))
        precision = 0.0 if predicted == 0 else tp / predicted
        recall = 0.0 if support == 0 else tp / support
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        per_class.append({"label": labels[c], "precision": precision, "recall": recall, "f1": f1, "support": support,
                          "present": support > 0 or predicted > 0})
    present = [m for m in per_class if m["present"]]
    top = min(5, classes)
    return {
        "count": n,
        "loss": loss,
        "accuracy": 0.0 if n == 0 else sum(1 for r in ranks if r == 0) / n,
        "top5": 0.0 if n == 0 else sum(1 for r in ranks if r < top) / n,
        "macro_f1": 0.0 if not present else sum(m["f1"] for m in present) / len(present),
        "weighted_f1": 0.0 if n == 0 else sum(m["f1"] * m["support"] for m in per_class) / n,
        "per_class": [{k: v for k, v in m.items() if k != "present"} for m in per_class],
        "labels": list(labels),
        "confusion_matrix": confusion,
    }


def format_number(value: Optional[float]) -> str:
    """A metrics.csv number: shortest round-trip text, NaN/Infinity spelled as .NET spells them, empty when missing."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text.replace("e-0", "E-0").replace("e+", "E+").replace("e-", "E-")


def csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ',"\r\n') else text


def iter_chunks(values: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]

