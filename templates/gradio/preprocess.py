"""Picture -> model input, exactly as preprocess.json says and as Deepfake Detector Studio trained.

EXIF orientation applied, transparency on white, RGB, squish resize (stretch to the model's size, no crop) with the
kernel preprocess.json names, values 0..255 as float32 NHWC. The scaling to the backbone's range happens inside
model.onnx, never here. Kept apart from app.py so it can be checked without Gradio installed.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Mapping, Union

import numpy as np
from PIL import Image, ImageOps

# preprocess.json names sharp's kernels (used in training); these are Pillow's equivalents.
RESAMPLING = {
    "linear": Image.Resampling.BILINEAR,
    "cubic": Image.Resampling.BICUBIC,
    "lanczos3": Image.Resampling.LANCZOS,
    "nearest": Image.Resampling.NEAREST,
}


def check_preprocess(preprocess: Mapping[str, Any]) -> None:
    """Refuses a preprocess.json this code would silently misread."""
    size = preprocess.get("size")
    ok = (
        isinstance(size, list)
        and len(size) == 2
        and all(isinstance(side, int) and 0 < side <= 4096 for side in size)
        and preprocess.get("resize") == "squish"
        and preprocess.get("channels") == "RGB"
        and preprocess.get("layout") == "NHWC"
        and list(preprocess.get("range", [])) == [0, 255]
        and preprocess.get("kernel") in RESAMPLING
    )
    if not ok:
        raise ValueError("preprocess.json is not something this app understands (expected squish, RGB, NHWC, 0..255).")


def to_rgb(image: Image.Image) -> Image.Image:
    """EXIF orientation, then transparency composited on white, then RGB."""
    image = ImageOps.exif_transpose(image)
    image = Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), image.convert("RGBA"))
    return image.convert("RGB")


def image_to_array(image: Image.Image, preprocess: Mapping[str, Any]) -> np.ndarray:
    """An opened picture -> float32 array of shape (height, width, 3), values 0..255."""
    height, width = preprocess["size"]
    resized = to_rgb(image).resize((width, height), RESAMPLING[preprocess["kernel"]])
    return np.asarray(resized, dtype=np.float32)


def load_image(source: Union[str, BinaryIO], preprocess: Mapping[str, Any]) -> np.ndarray:
    """A picture file (first frame of an animation) -> float32 array of shape (height, width, 3)."""
    with Image.open(source) as image:
        return image_to_array(image, preprocess)
