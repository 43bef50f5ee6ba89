// The Space's page: loads model.onnx from this Space, classifies the picture the visitor drops, pastes, picks or
// clicks among the examples, entirely in the browser (ONNX Runtime Web, WebAssembly, one thread), and shows one
// bar per class, most likely first, as Gradio's Label does. Labels are only ever set with textContent.
// A model trained on face crops (preprocess.json `faceCrop`) is given the crop of the picture's largest face, cut as
// the training pictures were (face-crop.js, imported only for such models); the page shows that face and where it was.
// An export with a decision threshold (preprocess.json `decision`, set by `deepfake-studio export --threshold` or
// `--max-fpr`) names its fake label as soon as that probability reaches the threshold, as predict and check do.
// A model with a `cam` output (the studio's exports) gets the "Where it looked" toggle: the map of the decided label,
// drawn by the studio's own code (cam-overlay.js) over the picture or the face crop the model saw.
import * as ort from "./ort/ort.wasm.min.js";
import { formatPercent } from "./format-percent.js";
import { bitmapToModelInput, checkPreprocess, decodePicture } from "./preprocess.js";

const element = (id) => document.getElementById(id);
const ui = {
  app: element("app"),
  dropZone: element("drop-zone"),
  fileInput: element("file-input"),
  choose: element("choose"),
  clear: element("clear"),
  preview: element("preview"),
  status: element("status"),
  topLabel: element("top-label"),
  bars: element("bars"),
  examplesSection: element("examples-section"),
  examples: element("examples"),
  modelFacts: element("model-facts"),
  faceBox: element("face-box"),
  face: element("face"),
  faceCrop: element("face-crop"),
  faceNote: element("face-note"),
  camToggle: element("cam-toggle"),
  camNote: element("cam-note"),
  camOverlay: element("cam-overlay"),
  faceCam: element("face-cam"),
};

/** What the toggle means, in one sentence. */
const CAM_MEANING = "Warm colours mark the parts of the picture that pushed the model towards its answer (its class activation map); if they lie mostly off the face, the model may be reading captions, watermarks or framing instead.";
const CAM_UNAVAILABLE = "Where it looked: not available for this model.";

const state = { session: undefined, labels: [], preprocess: undefined, decision: undefined, request: 0, queue: Promise.resolve(), previewUrl: undefined, faceCrop: undefined, face: undefined, blend: undefined, cam: undefined, lastMap: undefined };

/**
 * Models trained on pictures that already were face crops find the face in the picture itself, as the studio's
 * predict does (face-crop.js's largestFaceLandmarks: both detectors, the close-up and tilted-head retries, face-like
 * landmarks only); only for models that read blending statistics. Larger pictures are shrunk first, to spare memory.
 */
const WHOLE_PICTURE_FACES = { resizeMax: 1024 };

async function loadJson(name) {
  const response = await fetch(new URL(name, import.meta.url), { cache: "no-cache" });
  if (!response.ok) throw new Error(`${name} could not be loaded (HTTP ${response.status}).`);
  return response.json();
}

function setState(name, message) {
  ui.app.dataset.state = name;
  if (message !== undefined) ui.status.textContent = message;
  ui.status.classList.toggle("error", name === "error");
}

async function start() {
  // Threads would need cross-origin isolation, which Spaces do not enable; one image needs no more than one.
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  // Explicit files, because the glue is shipped as .js (see the studio's ort-runtime-files.ts), not its default .mjs.
  ort.env.wasm.wasmPaths = {
    mjs: new URL("./ort/ort-wasm-simd-threaded.js", import.meta.url).href,
    wasm: new URL("./ort/ort-wasm-simd-threaded.wasm", import.meta.url).href,
  };
  try {
    const [labels, preprocess, space] = await Promise.all([loadJson("labels.json"), loadJson("preprocess.json"), loadJson("space.json")]);
    if (!Array.isArray(labels) || labels.length < 2 || !labels.every((label) => typeof label === "string")) throw new Error("labels.json must be a list of class names.");
    state.labels = labels;
    state.preprocess = checkPreprocess(preprocess);
    state.decision = checkDecision(preprocess.decision, labels);
    if (preprocess.faceCrop) {
      const faceCrop = await import("./face-crop.js");
      state.faceCrop = { module: faceCrop, settings: faceCrop.checkFaceCrop(preprocess.faceCrop) };
      // Start fetching the detector now, so the first picture waits less; a failure is reported on that picture.
      faceCrop.loadFaceDetector().catch(() => undefined);
    }
    if (preprocess.blendStatistics) {
      // The model also reads the face's blending statistics: the studio's own code, bundled (src/core/face-features).
      const module = await import("./blend-statistics.js");
      if (module.BLEND_STATISTICS_COUNTS[preprocess.blendStatistics.version] !== preprocess.blendStatistics.count) throw new Error("preprocess.json asks for blending statistics this page does not measure.");
      state.blend = { module, version: preprocess.blendStatistics.version, missing: Float32Array.from(preprocess.blendStatistics.missing), faces: state.faceCrop ? undefined : await import("./face-crop.js") };
      state.blend.faces?.loadFaceDetector().catch(() => undefined);
    }
    showExamples(Array.isArray(space.examples) ? space.examples : []);
    showModelFacts(space);
    state.session = await ort.InferenceSession.create(new URL("./model.onnx", import.meta.url).href, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    await setUpCam();
    setState("ready", "Ready: choose, drop or paste a picture, or click an example.");
  } catch (error) {
    setState("error", `The model could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function showExamples(examples) {
  ui.examples.replaceChildren();
  examples.forEach((file, index) => {
    if (typeof file !== "string" || !/^examples\/[\w.-]+$/.test(file)) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "example";
    button.dataset.file = file;
    const image = document.createElement("img");
    image.src = file;
    image.alt = `Example ${index + 1}`;
    image.loading = "lazy";
    button.append(image);
    button.addEventListener("click", () => void classifyUrl(file));
    ui.examples.append(button);
  });
  ui.examplesSection.hidden = ui.examples.childElementCount === 0;
}

function showModelFacts(space) {
  const facts = [];
  if (typeof space.validErrorRate === "number" && typeof space.validImages === "number") {
    facts.push(`Validation accuracy ${(100 * (1 - space.validErrorRate)).toFixed(1)}% on ${space.validImages} held-out images.`);
  }
  const blends = space.sameIdentityBlends;
  if (blends && typeof blends.share === "number" && typeof blends.scored === "number") {
    // Validation accuracy alone can be won by recognising who is pictured; this says whether it sees a blended face.
    facts.push(`Flags ${formatPercent(blends.share)} of ${blends.scored} same-person blends (held-out real faces blended with an altered copy of themselves).`);
    // The caution and its measured figures come from the studio (space.json), so they match the CLI's and the model card's.
    if (typeof blends.synthesizedOnly === "string") facts.push(blends.synthesizedOnly);
  }
  if (state.decision) facts.push(`Says "${state.decision.label}" from a probability of ${formatPercent(state.decision.threshold)} on (the model's decision threshold).`);
  if (Array.isArray(state.preprocess?.size)) facts.push(`Input ${state.preprocess.size[1]}×${state.preprocess.size[0]} pixels.`);
  ui.modelFacts.textContent = facts.join(" ");
}

async function classifyUrl(url) {
  if (!state.session) return;
  // Set at once, so the old result never shows as the answer for this click.
  setState("running", "Loading the example…");
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    await classify(await response.blob());
  } catch (error) {
    setState("error", `The example could not be loaded (${error instanceof Error ? error.message : String(error)}).`);
  }
}

/** Classifies one picture; a newer picture makes the result of an older one be dropped. */
async function classify(blob) {
  if (!state.session) return;
  const request = ++state.request;
  showPreview(blob);
  setState("running", "Looking at the picture…");
  ui.topLabel.hidden = true;
  ui.bars.replaceChildren();
  showFace(undefined);
  let bitmap;
  try {
    bitmap = await decodePicture(blob);
  } catch {
    if (request === state.request) setState("error", "That file is not a picture this browser can read (try a JPEG, PNG or WebP).");
    return;
  }
  // Where the face's landmarks are in `bitmap`, for models that read blending statistics.
  let face;
  if (state.faceCrop) {
    const found = await findFace(bitmap, request);
    if (!found) return;
    bitmap = found.image;
    face = { landmarks: found.landmarks, width: found.size, height: found.size };
  } else if (state.blend) {
    face = await state.blend.faces.largestFaceLandmarks(bitmap, WHOLE_PICTURE_FACES).catch(() => undefined);
  }
  const [height, width] = state.preprocess.size;
  let input;
  try {
    input = bitmapToModelInput(bitmap, state.preprocess);
  } finally {
    bitmap.close();
  }
  const feeds = { [inputName()]: new ort.Tensor("float32", input, [1, height, width, 3]) };
  if (state.blend) {
    // No face found: the training average stands in, as in the studio's predict.
    const statistics = face ? state.blend.module.blendStatisticsOfInput({ input, size: [height, width], landmarks: face.landmarks, from: face, version: state.blend.version }) : state.blend.missing;
    feeds.blend_statistics = new ort.Tensor("float32", statistics, [1, statistics.length]);
  }
  // One run at a time: the WebAssembly session is not re-entrant. ONNX Runtime computes a `cam` output whether it is
  // fetched or not, so it is fetched (a few kilobytes) and drawn only while the toggle is on.
  showCam(undefined);
  const fetches = outputsToFetch();
  const run = state.queue.then(() => (fetches ? state.session.run(feeds, fetches) : state.session.run(feeds)));
  state.queue = run.catch(() => undefined);
  try {
    const outputs = await run;
    if (request !== state.request) return;
    const probabilities = Array.from((outputs.probabilities ?? outputs[state.session.outputNames[0]]).data);
    showResult(probabilities);
    if (outputs.cam) showCam({ data: outputs.cam.data, dims: outputs.cam.dims.map(Number), label: state.labels.indexOf(decidedLabel(probabilities)) });
  } catch (error) {
    if (request === state.request) setState("error", `The model failed on this picture: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Face-crop models: the crop of the picture's largest face (`image`, an ImageBitmap shown in the result panel and
 * outlined on the preview, with the face's `landmarks` in its pixels), or undefined once the state says why there is none (no face, detector failure, a newer picture).
 * Closes `bitmap` either way.
 */
async function findFace(bitmap, request) {
  setState("running", "Looking for the face…");
  let face;
  try {
    face = await state.faceCrop.module.cropLargestFace(bitmap, state.faceCrop.settings);
  } catch (error) {
    if (request === state.request) setState("error", `The face detector failed: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  } finally {
    bitmap.close();
  }
  if (request !== state.request) {
    face?.image.close();
    return undefined;
  }
  if (!face) {
    setState("error", "No face found: this model judges faces only. Try a photo where the face is larger, upright and well lit.");
    return undefined;
  }
  showFace(face);
  setState("running", "Looking at the face…");
  return face;
}

/** Shows the face that is judged (the crop itself) and its square on the preview; undefined hides both. */
function showFace(face) {
  state.face = face && { centre: face.centre, side: face.side, width: face.width, height: face.height };
  ui.face.hidden = !face;
  ui.faceBox.hidden = !face;
  if (!face) return;
  ui.faceCrop.width = face.image.width;
  ui.faceCrop.height = face.image.height;
  ui.faceCrop.getContext("2d").drawImage(face.image, 0, 0);
  ui.faceNote.textContent = face.facesFound > 1
    ? `${face.facesFound} faces found: the largest one was judged (outlined on the picture).`
    : "The face that was judged, cropped as the training pictures were (outlined on the picture).";
  placeFaceBox();
}

/** Puts the outline over the preview: the crop square, from the shrunk picture's pixels to the preview's layout. */
function placeFaceBox() {
  const face = state.face;
  if (!face || ui.preview.hidden || !ui.preview.offsetWidth) return;
  const scale = ui.preview.offsetWidth / face.width;
  // CSSOM, not a style attribute: allowed by the page's Content-Security-Policy.
  ui.faceBox.style.left = `${ui.preview.offsetLeft + (face.centre.x - face.side / 2) * scale}px`;
  ui.faceBox.style.top = `${ui.preview.offsetTop + (face.centre.y - face.side / 2) * scale}px`;
  ui.faceBox.style.width = `${face.side * scale}px`;
  ui.faceBox.style.height = `${face.side * scale}px`;
}

/** The outputs one run fetches: the probabilities, and the map when the model has one. */
function outputsToFetch() {
  if (!state.session.outputNames.includes("probabilities")) return undefined;
  return state.cam ? ["probabilities", "cam"] : ["probabilities"];
}

/** The toggle and its sentence; the drawing code is fetched only for a model that has maps. */
async function setUpCam() {
  if (!state.session.outputNames.includes("cam")) {
    ui.camToggle.disabled = true;
    ui.camNote.textContent = CAM_UNAVAILABLE;
    return;
  }
  state.cam = await import("./cam-overlay.js");
  ui.camToggle.disabled = false;
  ui.camNote.textContent = CAM_MEANING;
}

/**
 * Draws the decided label's map ({ data, dims: [1, classes, h, w], label }) on the model's input grid, over the
 * face crop (face-crop models) or the picture, both squish-resized to that grid; undefined clears it.
 */
function showCam(cam) {
  state.lastMap = cam;
  const canvas = state.faceCrop ? ui.faceCam : ui.camOverlay;
  ui.camOverlay.hidden = true;
  ui.faceCam.hidden = true;
  if (!cam || !state.cam || !ui.camToggle.checked) return;
  const [height, width] = state.preprocess.size;
  const map = state.cam.classMapAt(cam.data, cam.dims, 0, cam.label, height, width);
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").putImageData(new ImageData(state.cam.drawCamOverlay({ map, height, width }), width, height), 0, 0);
  canvas.hidden = false;
  placeCamOverlay();
}

/** Lays the picture's map exactly over the preview (the face crop's map fills its frame by CSS). */
function placeCamOverlay() {
  if (ui.camOverlay.hidden || ui.preview.hidden) return;
  // CSSOM, not a style attribute: allowed by the page's Content-Security-Policy.
  ui.camOverlay.style.left = `${ui.preview.offsetLeft}px`;
  ui.camOverlay.style.top = `${ui.preview.offsetTop}px`;
  ui.camOverlay.style.width = `${ui.preview.offsetWidth}px`;
  ui.camOverlay.style.height = `${ui.preview.offsetHeight}px`;
}

function inputName() {
  return state.session.inputNames.includes("image") ? "image" : state.session.inputNames[0];
}

function showPreview(blob) {
  if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
  state.previewUrl = URL.createObjectURL(blob);
  ui.preview.src = state.previewUrl;
  ui.preview.hidden = false;
  ui.dropZone.classList.add("has-picture");
  ui.clear.disabled = false;
}

/** preprocess.json `decision`: { label, threshold } when present and usable; an unusable one stops the page rather than mislabel. */
function checkDecision(decision, labels) {
  if (decision === undefined) return undefined;
  const ok = decision && typeof decision.label === "string" && labels.includes(decision.label)
    && typeof decision.threshold === "number" && decision.threshold > 0 && decision.threshold < 1;
  if (!ok) throw new Error("preprocess.json has a decision threshold this page cannot use (it needs one of the labels and a threshold between 0 and 1).");
  return { label: decision.label, index: labels.indexOf(decision.label), threshold: decision.threshold };
}

/** The label shown: the fake label once it reaches the decision threshold, else the most probable (other) label. */
function decidedLabel(probabilities) {
  const decision = state.decision;
  if (decision && (probabilities[decision.index] ?? 0) >= decision.threshold) return decision.label;
  let best = -1;
  state.labels.forEach((_, index) => {
    if (decision && index === decision.index) return;
    if (best < 0 || (probabilities[index] ?? 0) > (probabilities[best] ?? 0)) best = index;
  });
  return state.labels[best];
}

function showResult(probabilities) {
  const rows = state.labels.map((label, index) => ({ label, probability: probabilities[index] ?? 0 })).sort((a, b) => b.probability - a.probability);
  ui.topLabel.textContent = decidedLabel(probabilities);
  ui.topLabel.hidden = false;
  const items = rows.map(({ label, probability }) => {
    const item = document.createElement("li");
    item.className = "bar-row";
    item.dataset.probability = String(probability);
    const name = document.createElement("span");
    name.className = "bar-label";
    name.textContent = label;
    const value = document.createElement("span");
    value.className = "bar-value";
    value.textContent = formatPercent(probability);
    const track = document.createElement("div");
    track.className = "bar-track";
    track.setAttribute("role", "presentation");
    const fill = document.createElement("div");
    fill.className = "bar-fill";
    // CSSOM, not a style attribute: allowed by the page's Content-Security-Policy.
    fill.style.width = `${Math.max(0, Math.min(1, probability)) * 100}%`;
    track.append(fill);
    item.append(name, value, track);
    return item;
  });
  ui.bars.replaceChildren(...items);
  setState("done", state.decision ? `Decision (at ${formatPercent(state.decision.threshold)} "${state.decision.label}" or more):` : "Most likely:");
}

function reset() {
  state.request++;
  if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
  state.previewUrl = undefined;
  ui.preview.hidden = true;
  ui.preview.removeAttribute("src");
  ui.dropZone.classList.remove("has-picture");
  ui.topLabel.hidden = true;
  ui.bars.replaceChildren();
  showFace(undefined);
  showCam(undefined);
  ui.clear.disabled = true;
  ui.fileInput.value = "";
  if (state.session) setState("ready", "Ready: choose, drop or paste a picture, or click an example.");
}

function firstImage(files) {
  return Array.from(files ?? []).find((file) => file.type.startsWith("image/") || file.type === "");
}

ui.choose.addEventListener("click", () => ui.fileInput.click());
// The face outline and the map follow the preview as it loads and as the layout changes.
ui.preview.addEventListener("load", () => {
  placeFaceBox();
  placeCamOverlay();
});
new ResizeObserver(() => {
  placeFaceBox();
  placeCamOverlay();
}).observe(ui.preview);
ui.clear.addEventListener("click", reset);
ui.camToggle.addEventListener("change", () => showCam(state.lastMap));
ui.dropZone.addEventListener("click", () => ui.fileInput.click());
ui.dropZone.addEventListener("keydown", (event) => {
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    ui.fileInput.click();
  }
});
ui.fileInput.addEventListener("change", () => {
  const file = firstImage(ui.fileInput.files);
  if (file) void classify(file);
});
for (const type of ["dragenter", "dragover"]) {
  ui.dropZone.addEventListener(type, (event) => {
    event.preventDefault();
    ui.dropZone.classList.add("dragging");
  });
}
for (const type of ["dragleave", "dragend"]) ui.dropZone.addEventListener(type, () => ui.dropZone.classList.remove("dragging"));
ui.dropZone.addEventListener("drop", (event) => {
  event.preventDefault();
  ui.dropZone.classList.remove("dragging");
  const file = firstImage(event.dataTransfer?.files);
  if (file) void classify(file);
  else if (state.session) setState("error", "Drop a picture file (JPEG, PNG, WebP…).");
});
document.addEventListener("paste", (event) => {
  const item = Array.from(event.clipboardData?.items ?? []).find((entry) => entry.kind === "file" && entry.type.startsWith("image/"));
  const file = item?.getAsFile();
  if (file) {
    event.preventDefault();
    void classify(file);
  }
});

void start();
