"""Gradio app of a Space made by Deepfake Detector Studio: a picture in, one probability per class out.

Everything it needs is in this Space: model.onnx (one ONNX graph, scaling included), labels.json, preprocess.json,
space.json (title, examples). The picture is classified on this Space's CPU with onnxruntime.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Optional, Tuple

import gradio as gr
import onnxruntime as ort

from preprocess import check_decision, check_preprocess, describe_decision, load_image

HERE = Path(__file__).resolve().parent
LABELS = json.loads((HERE / "labels.json").read_text(encoding="utf-8"))
PREPROCESS = json.loads((HERE / "preprocess.json").read_text(encoding="utf-8"))
SPACE = json.loads((HERE / "space.json").read_text(encoding="utf-8"))
check_preprocess(PREPROCESS)
# `deepfake-studio export --threshold` records the threshold predict and check decide by; this app decides the same way.
DECISION = check_decision(PREPROCESS.get("decision"), LABELS)

SESSION = ort.InferenceSession(str(HERE / "model.onnx"), providers=["CPUExecutionProvider"])
INPUT = "image" if "image" in [i.name for i in SESSION.get_inputs()] else SESSION.get_inputs()[0].name
OUTPUT = "probabilities"


def classify(path: Optional[str]) -> Tuple[Dict[str, float], str]:
    """gr.Image hands over a file path, so orientation and transparency are handled here, as in training.

    The bars show every probability; the decision says which label the model gives, by its threshold when it has one
    (gr.Label's heading is always the most probable label, which a threshold can overrule).
    """
    if not path:
        return {}, ""
    batch = load_image(path, PREPROCESS)[None, ...]
    (probabilities,) = SESSION.run([OUTPUT], {INPUT: batch})
    row = [float(p) for p in probabilities[0]]
    return dict(zip(LABELS, row)), describe_decision(LABELS, row, DECISION)


EXAMPLES = [[name] for name in SPACE.get("examples", []) if (HERE / name).is_file()]

demo = gr.Interface(
    fn=classify,
    inputs=gr.Image(type="filepath", label="Picture"),
    outputs=[gr.Label(num_top_classes=len(LABELS), label="Probabilities"), gr.Textbox(label="Decision")],
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
