"""Gradio app of a Space made by Deepfake Detector Studio: a picture in, one probability per class out.

Everything it needs is in this Space: model.onnx (one ONNX graph, scaling included), labels.json, preprocess.json,
space.json (title, examples). The picture is classified on this Space's CPU with onnxruntime.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Optional

import gradio as gr
import onnxruntime as ort

from preprocess import check_preprocess, load_image

HERE = Path(__file__).resolve().parent
LABELS = json.loads((HERE / "labels.json").read_text(encoding="utf-8"))
PREPROCESS = json.loads((HERE / "preprocess.json").read_text(encoding="utf-8"))
SPACE = json.loads((HERE / "space.json").read_text(encoding="utf-8"))
check_preprocess(PREPROCESS)

SESSION = ort.InferenceSession(str(HERE / "model.onnx"), providers=["CPUExecutionProvider"])
INPUT = "image" if "image" in [i.name for i in SESSION.get_inputs()] else SESSION.get_inputs()[0].name
OUTPUT = "probabilities"


def classify(path: Optional[str]) -> Dict[str, float]:
    """gr.Image hands over a file path, so orientation and transparency are handled here, as in training."""
    if not path:
        return {}
    batch = load_image(path, PREPROCESS)[None, ...]
    (probabilities,) = SESSION.run([OUTPUT], {INPUT: batch})
    return {label: float(p) for label, p in zip(LABELS, probabilities[0])}


EXAMPLES = [[name] for name in SPACE.get("examples", []) if (HERE / name).is_file()]

demo = gr.Interface(
    fn=classify,
    inputs=gr.Image(type="filepath", label="Picture"),
    outputs=gr.Label(num_top_classes=len(LABELS), label="Prediction"),
    examples=EXAMPLES or None,
    cache_examples=False,
    title=SPACE.get("title", "Deepfake Detector"),
    description=SPACE.get("description", ""),
    article=SPACE.get("article", ""),
    # Flagging would store visitors' pictures on the Space's disk.
    flagging_mode="never",
)

if __name__ == "__main__":
    demo.launch()
