#!/usr/bin/env python3
"""Deepfake Detector Studio: the Hugging Face Job that runs train.py on the hub's hardware.

Started by `deepfake-studio train --engine hf-jobs` as `python3 -c <this file>`; it needs only the Python standard
library next to the image's PyTorch. It downloads the run's train.py and train-config.json and every picture they
name from the private dataset repository the studio uploaded (at the exact commit the studio made), runs train.py
(its JSON epoch lines go to the Job's log, which the studio follows), and uploads model.onnx to the private model
repository as runs/<run>/model.onnx (git-lfs, then a commit), where the studio downloads and checks it.

Environment: HF_ENDPOINT, DDS_DATASET, DDS_REVISION, DDS_RUN, DDS_MODEL_REPO; HF_TOKEN is a secret of the Job
and is only ever sent in an Authorization header to HF_ENDPOINT.
"""
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

HUB = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
TOKEN = os.environ.get("HF_TOKEN", "")
DATASET = os.environ["DDS_DATASET"]
REVISION = os.environ["DDS_REVISION"]
RUN = os.environ["DDS_RUN"]
MODEL_REPO = os.environ["DDS_MODEL_REPO"]
WORK = os.path.abspath("dds-job")


def log(message):
    sys.stderr.write(f"hf_job: {message}\n")
    sys.stderr.flush()


class _KeepTokenAtHome(urllib.request.HTTPRedirectHandler):
    """Large files redirect to storage with a signed URL: the token must not follow them there."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(HUB).netloc:
            new.remove_header("Authorization")
        return new


_OPENER = urllib.request.build_opener(_KeepTokenAtHome)


def request(method, url, body=None, headers=None, auth=True, tries=4):
    """One HTTP request with retries on network errors and 429/5xx; returns the body bytes."""
    headers = dict(headers or {})
    if auth:
        headers["Authorization"] = f"Bearer {TOKEN}"
    for attempt in range(tries):
        try:
            with _OPENER.open(urllib.request.Request(url, data=body, method=method, headers=headers), timeout=120) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode("utf-8", "replace")
            if error.code not in (429, 500, 502, 503, 504) or attempt == tries - 1:
                raise SystemExit(f"The hub answered HTTP {error.code} to {method} {urllib.parse.urlsplit(url).path}: {detail}")
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            if attempt == tries - 1:
                raise SystemExit(f"Cannot reach {urllib.parse.urlsplit(url).netloc}: {error}")
        time.sleep(2 ** attempt)


def download(path):
    """A file of the dataset repository at the studio's commit, into WORK/path."""
    target = os.path.join(WORK, *path.split("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    url = f"{HUB}/datasets/{DATASET}/resolve/{REVISION}/{urllib.parse.quote(path)}"
    with open(target, "wb") as handle:
        handle.write(request("GET", url))
    return target


def fetch_inputs():
    """train.py, its config, the studio's backbone (if any) and every picture; paths in the config are repository paths."""
    download(f"runs/{RUN}/train.py")
    with open(download(f"runs/{RUN}/train-config.json"), "r", encoding="utf-8") as handle:
        config = json.load(handle)
    files = [entry["file"] for entry in config["train"] + config["valid"]]
    if config.get("backbone"):  # the studio's MobileNetV2; a torchvision network's weights train.py downloads itself
        model_json = download(config["backbone"]["modelJson"])
        with open(model_json, "r", encoding="utf-8") as handle:
            manifest = json.load(handle)["weightsManifest"]
        folder = os.path.dirname(config["backbone"]["modelJson"])
        files += [f"{folder}/{os.path.basename(p)}" for group in manifest for p in group["paths"]]
    log(f"downloading {len(files)} files of {DATASET} at {REVISION[:12]}")
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(download, files))


def upload_model(path, target):
    """model.onnx into MODEL_REPO at `target`: git-lfs batch, upload, then a commit naming the object."""
    with open(path, "rb") as handle:
        data = handle.read()
    oid, size = hashlib.sha256(data).hexdigest(), len(data)
    lfs_headers = {"Accept": "application/vnd.git-lfs+json", "Content-Type": "application/vnd.git-lfs+json"}
    batch = json.loads(request("POST", f"{HUB}/{MODEL_REPO}.git/info/lfs/objects/batch", json.dumps({
        "operation": "upload", "transfers": ["basic"], "hash_algo": "sha256", "objects": [{"oid": oid, "size": size}],
    }).encode(), lfs_headers))
    actions = batch["objects"][0].get("actions") or {}
    if "upload" in actions:
        upload = actions["upload"]
        request("PUT", upload["href"], data, dict(upload.get("header") or {}), auth=False)
    if "verify" in actions:
        verify = actions["verify"]
        request("POST", verify["href"], json.dumps({"oid": oid, "size": size}).encode(), {**lfs_headers, **(verify.get("header") or {})})
    lines = [{"key": "header", "value": {"summary": f"Deepfake Detector Studio run {RUN}", "description": ""}},
             {"key": "lfsFile", "value": {"path": target, "algo": "sha256", "oid": oid, "size": size}}]
    body = "\n".join(json.dumps(line) for line in lines).encode()
    request("POST", f"{HUB}/api/models/{MODEL_REPO}/commit/main", body, {"Content-Type": "application/x-ndjson"})
    return oid, size


def main():
    if not TOKEN:
        raise SystemExit("HF_TOKEN is not set: the studio passes it as a secret of the Job.")
    fetch_inputs()
    import torch  # the image's; after the downloads, so a missing torch still names itself in the log
    import torchvision
    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = torch.cuda.get_device_name(0) if device == "cuda" else ""
    print(json.dumps({"job": {"torch": torch.__version__, "torchvision": torchvision.__version__, "device": device, "gpu": name}}), flush=True)
    run_dir = os.path.join(WORK, "runs", RUN)
    out = os.path.join(WORK, "out")
    os.makedirs(out, exist_ok=True)
    code = subprocess.call([sys.executable, "-u", os.path.join(run_dir, "train.py"), "train", "--config", os.path.join(run_dir, "train-config.json"), "--out", out], cwd=WORK)
    if code != 0:
        raise SystemExit(code)
    target = f"runs/{RUN}/model.onnx"
    oid, size = upload_model(os.path.join(out, "model.onnx"), target)
    print(json.dumps({"uploaded": {"repo": MODEL_REPO, "path": target, "sha256": oid, "size": size}}), flush=True)


if __name__ == "__main__":
    main()
