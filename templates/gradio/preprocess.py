"""Picture -> model input, exactly as preprocess.json says and as Deepfake Detector Studio trained.

EXIF orientation applied, transparency on white, RGB, squish resize (stretch to the model's size, no crop) with the
kernel preprocess.json names, values 0..255 as float32 NHWC. The scaling to the backbone's range happens inside
model.onnx, never here. Also the decision rule (the export's threshold, as predict and check use it). Kept apart from
app.py so it can be checked without Gradio installed.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Mapping, Optional, Sequence, Union

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
    """Refuses a preprocess.json this code would silently misread, or a model that needs inputs this app cannot make."""
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
    # Such a model has a second ONNX input measured on the face's landmarks, which this app does not find: feeding it
    # nothing (or an average) would score every picture wrongly, so the app stops instead.
    if preprocess.get("blendStatistics") is not None:
        raise ValueError("This model also reads the blending statistics of each face, which this Gradio app does not measure. Create a static Space for it instead (its page measures them), or train without train.blendStatistics.")
    if preprocess.get("faceContrast"):
        raise ValueError("This model also reads face contrasts (train.faceContrast), which this Gradio app does not compute. Train without them for a Space.")


def check_decision(decision: Any, labels: Sequence[str]) -> Optional[Mapping[str, Any]]:
    """preprocess.json `decision` ({label, threshold}, from `deepfake-studio export --threshold`), or None without one.

    An unusable one stops the app rather than label pictures by a rule nobody chose.
    """
    if decision is None:
        return None
    threshold = decision.get("threshold") if isinstance(decision, Mapping) else None
    ok = (
        isinstance(decision, Mapping)
        and isinstance(decision.get("label"), str)
        and decision["label"] in labels
        and isinstance(threshold, (int, float))
        and not isinstance(threshold, bool)
        and 0 < threshold < 1
    )
    if not ok:
        raise ValueError("preprocess.json has a decision threshold this app cannot use (it needs one of the labels and a threshold between 0 and 1).")
    return decision


def decide_label(labels: Sequence[str], probabilities: Sequence[float], decision: Optional[Mapping[str, Any]]) -> str:
    """As the studio's predict decides: the threshold's label once its probability reaches the threshold, else the
    most probable of the other labels; without a threshold the most probable label (the first on a tie)."""
    skip = labels.index(decision["label"]) if decision else -1
    if decision and probabilities[skip] >= decision["threshold"]:
        return labels[skip]
    best = -1
    for i in range(len(labels)):
        if i != skip and (best < 0 or probabilities[i] > probabilities[best]):
            best = i
    return labels[best]


def describe_decision(labels: Sequence[str], probabilities: Sequence[float], decision: Optional[Mapping[str, Any]]) -> str:
    """The decided label in words, with the rule that chose it."""
    label = decide_label(labels, probabilities, decision)
    if not decision:
        return f"{label}: the most probable label."
    fake = labels.index(decision["label"])
    verb = "reaches" if probabilities[fake] >= decision["threshold"] else "stays below"
    return f"{label}: the probability of \"{decision['label']}\" ({probabilities[fake]:.1%}) {verb} the model's decision threshold ({decision['threshold']:.1%})."


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
