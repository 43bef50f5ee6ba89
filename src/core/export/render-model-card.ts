/**
 * The export's README.md: a model card that says plainly what the model is, what it was trained on, how well it
 * did, which backbone it stands on, what it cannot tell you, and how to run it without the studio.
 */
import { describeWhereItLooked } from "../cam/describe-where-it-looked";
import { describeDataSources, type DataSources } from "../dataset/summarise-data-sources";
import * as path from "node:path";
import { describeAudit } from "../audit/describe-audit";
import { KNOWN_BACKBONES, OFFLINE_BACKBONE_ID } from "../backbone/known-backbones";
import { TORCH_BACKBONE_TITLES, type TorchBackboneName } from "../train/engines/torch-backbone-names";
import type { RunHead, RunMetrics } from "../train/run-files";
import { EXPORT_FILES, type DecisionThreshold } from "./export-format";
import { LIGHTING_CONSISTENCY_COUNT } from "../face-features/lighting-consistency";
import { POSE_CONSISTENCY_COUNT } from "../face-features/pose-consistency";
import { synthesizedOnlyWarning } from "../synthesize/blend-sensitivity";

/** Everything the card states; nothing is looked up while rendering. */
export interface ModelCardInput {
  runId: string;
  head: RunHead;
  metrics: RunMetrics;
  /** The search query of each label, from the project file (absent for labels filled by `import` only). */
  searches?: Record<string, string | undefined>;
  /** The ONNX-vs-tfjs check run at export time. */
  verification: { images: number; maxProbabilityDifference: number; maxFeatureDifference: number };
  exportedAt: string;
  /** The decision threshold recorded in preprocess.json, if any. */
  decision?: DecisionThreshold;
  /** Where the project's pictures came from and their licences (the provenance manifest at export time). */
  dataSources?: DataSources;
  /** Set when the run was fine-tuned by PyTorch (`train --engine torch`): the card describes that training. */
  torch?: TorchTraining;
}

/** What a PyTorch run records about its training (runs/<id>/run.json). */
export interface TorchTraining {
  torch: string;
  torchvision: string;
  device: string;
  freezeEpochs: number;
  epochs: number;
  learningRate: number;
  batchSize: number;
  /** The network fine-tuned (train.torchBackbone). */
  architecture: TorchBackboneName;
  /** Set when a Hugging Face Job trained it (`--engine hf-jobs`): its hardware. */
  hfJobsFlavor?: string;
}

/** Renders README.md (Markdown with a short YAML header that Hugging Face reads). */
export function renderModelCard(input: ModelCardInput): string {
  const { head, metrics, runId } = input;
  const sections = [
    frontMatter(),
    `# Deepfake detector: ${head.labels.map(inline).join(" vs ")}`,
    [
      `Exported by Deepfake Detector Studio on ${input.exportedAt} from training run \`${runId}\` (${input.torch ? `trained by PyTorch ${input.torch.torch}${input.torch.hfJobsFlavor ? ` as a Hugging Face Job on ${input.torch.hfJobsFlavor}: \`deepfake-studio train --engine hf-jobs\`` : ": `deepfake-studio train --engine torch`"}` : "trained by the studio's own frozen-feature trainer: `--engine studio`"}).`,
      `Validation error rate of the model kept: **${percent(metrics.errorRate)}** on ${sum(Object.values(metrics.counts.valid))} held-out images.`,
      `Backbone: ${backboneName(head)}; ${head.backbone.kind === "torchvision" ? "weights file" : "model.json"} sha256 \`${head.backbone.modelJsonSha256}\`.`,
    ].join("\n"),
    input.torch ? whatItIsTorch(head, imageCount(metrics), input.torch) : whatItIs(head, imageCount(metrics)),
    intendedUse(),
    dataSection(input),
    metricsSection(head, metrics),
    decisionSection(input.decision),
    backboneSection(head),
    input.torch ? torchTrainingSection(head, metrics, input.torch) : trainingSection(head, metrics),
    auditSection(metrics),
    limitations(head, imageCount(metrics)),
    howToRun(head, !input.torch),
    verificationSection(input),
  ];
  return `${sections.join("\n\n")}\n`;
}

/** How a label is decided: the recorded threshold and how it was chosen, or the arg-max. */
function decisionSection(decision: DecisionThreshold | undefined): string {
  if (!decision) {
    return `## Decision threshold

None recorded: a picture gets the label with the largest probability. \`deepfake-studio evaluate\` measures the model on held-out pictures and \`deepfake-studio export --max-fpr 0.05\` records the threshold that flags at most 5% of real pictures.`;
  }
  const how = decision.method === "given"
    ? "It was set by hand (`export --threshold`)."
    : decision.method === "held-out-reals"
    ? `Every fake this model trained on was synthesized from the real pictures, and such fakes are easier to catch than real swaps, so training set the threshold on the ${decision.validation?.realPictures ?? "?"} real pictures it held out for validation: it flags at most ${percent(decision.maxFpr ?? 0)} of them (there it flagged ${percent(decision.validation?.fpr ?? 0)}). Those pictures are of the people the model was trained on; on real pictures of the same people from another occasion it can flag more: \`deepfake-studio evaluate\` on such a folder says how many, and \`export --max-fpr\` or \`--threshold\` replaces this threshold.`
    : `It was chosen for a false-positive rate of at most ${percent(decision.maxFpr ?? 0)} on the evaluation \`${inline(decision.evaluation?.name ?? "?")}\` of ${decision.evaluation?.pictures ?? "?"} held-out pictures (${decision.evaluation?.createdAt ?? "?"}), where it flagged ${percent(decision.evaluation?.fpr ?? 0)} of the real pictures and ${decision.evaluation?.tpr === undefined ? "no fakes were given, so the share of fakes it catches was not measured there" : `caught ${percent(decision.evaluation.tpr)} of the fakes`} (\`export --max-fpr\`).`;
  return `## Decision threshold

A picture is labelled "${inline(decision.label)}" when that probability is at least **${decision.threshold.toFixed(4)}**, otherwise it gets the most probable other label. ${how} \`${EXPORT_FILES.preprocess}\` records it under \`decision\` (and \`${EXPORT_FILES.model}\` in its metadata); predict, check and the Space page decide with it.`;
}

/** Hugging Face model-card metadata; kept minimal so it stays true for every export. */
function frontMatter(): string {
  return ["---", "library_name: onnx", "pipeline_tag: image-classification", "tags:", "  - image-classification", "  - deepfake-detection", "  - onnx", "  - fastai-lesson-2", "---"].join("\n");
}

function whatItIs(head: RunHead, images: number): string {
  const [height, width] = head.preprocess.size;
  return `## What it is

An image classifier that looks at one photo and gives a probability for each of ${head.labels.length} categories: ${head.labels.map((label) => `"${inline(label)}"`).join(", ")}.
It is the fast.ai lesson 2 project ("is it a deepfake of Tom Cruise?") made into a tool: a learner's model, trained in minutes on ${images} images, most of them found by a web image search.

\`${EXPORT_FILES.model}\` is one self-contained ONNX graph: ${width}x${height} RGB pixels in, the pretrained backbone, pooled features, standardisation and a linear layer with softmax inside, probabilities out. Loading it runs no code (no pickle, no Python objects): it is ONNX and JSON only.`;
}

function intendedUse(): string {
  return `## Intended use

- **Screening** the photos of a person you are responsible for (for example pictures of them circulating online) for likely face swaps, to decide which ones a human should examine closely and verify through other means.
- **Learning**: seeing how far a frozen pretrained backbone plus a linear layer gets on this task, and where it fails (the studio's \`clean\` view shows the images it gets most wrong).

Not intended for: use as the sole evidence that a picture is or is not fake; decisions about people (hiring, moderation strikes, legal or journalistic claims) without human review; identifying who is in a picture; video, audio or text.`;
}

function dataSection(input: ModelCardInput): string {
  const { metrics, head, searches } = input;
  const labels = head.labels;
  const rows = labels.map((label) => {
    const train = metrics.counts.train[label] ?? 0;
    const valid = metrics.counts.valid[label] ?? 0;
    return [inline(label), String(train), String(valid), String(train + valid)];
  });
  const totalTrain = sum(Object.values(metrics.counts.train));
  const totalValid = sum(Object.values(metrics.counts.valid));
  rows.push(["**total**", String(totalTrain), String(totalValid), String(totalTrain + totalValid)]);
  const lines = [
    "## Data",
    "",
    `Images per label and split (validation split: ${percent(metrics.validPct > 1 ? metrics.validPct / 100 : metrics.validPct)} of the images, drawn at random with seed ${metrics.seed}):`,
    "",
    table(["label", "train", "valid", "total"], rows),
  ];
  const queries = labels.filter((label) => searches?.[label]).map((label) => `- "${inline(label)}": image search for "${inline(searches?.[label] ?? "")}"`);
  if (queries.length > 0) {
    lines.push("", "Where the images came from (image search, resized, exact and near duplicates removed; plus any images added with `import`):", "", ...queries);
  }
  if (input.dataSources && input.dataSources.pictures > 0) lines.push("", `The data folder at export time (its provenance manifest): ${describeDataSources(input.dataSources, inline)}`);
  if (metrics.unreadable.length > 0) lines.push("", `${metrics.unreadable.length} image(s) could not be read and were left out of training.`);
  lines.push("", "Web search results are noisy: some images in each folder are likely mislabelled, and the people, poses and sources are whatever the search engine returned.");
  return lines.join("\n");
}

function metricsSection(head: RunHead, metrics: RunMetrics): string {
  const validCount = sum(Object.values(metrics.counts.valid));
  const epochRows = metrics.epochs.map((epoch) => [epoch.epoch === metrics.keptEpoch ? `**${epoch.epoch} (kept)**` : String(epoch.epoch), fixed(epoch.trainLoss), fixed(epoch.validLoss), percent(epoch.errorRate), epoch.seconds.toFixed(1)]);
  const confusionLabels = metrics.confusion.labels.length > 0 ? metrics.confusion.labels : head.labels;
  const confusionRows = metrics.confusion.matrix.map((row, index) => [`**${inline(confusionLabels[index] ?? `#${index}`)}**`, ...row.map(String)]);
  return [
    "## Metrics",
    "",
    `Error rate on the validation split: **${percent(metrics.errorRate)}** (${validCount} images${validCount > 0 ? `; one mistake moves it by ${percent(1 / validCount)}` : ""}).`,
    ...(metrics.keptEpoch !== undefined
      ? ["", `The weights kept are those of epoch ${metrics.keptEpoch}, the one with the lowest validation loss. Because the validation split chose the epoch, this error rate is slightly optimistic: \`deepfake-studio evaluate\` on pictures the project never saw gives the unbiased figure.`]
      : []),
    "",
    "Per epoch (the backbone is frozen, so an epoch trains only the linear head):",
    "",
    epochRows.length > 0 ? table(["epoch", "train loss", "valid loss", "error rate", "seconds"], epochRows) : "_No epochs were recorded._",
    "",
    "Confusion matrix on the validation split (rows: actual label, columns: predicted label):",
    "",
    confusionRows.length > 0 ? table(["actual \\ predicted", ...confusionLabels.map(inline)], confusionRows) : "_No confusion matrix was recorded._",
    "",
    "These numbers come from images of the same searches as the training images. Expect a higher error rate on pictures from elsewhere.",
    "",
    manipulationSensitivity(metrics),
    ...(metrics.whereItLooked ? ["", describeWhereItLooked(metrics.whereItLooked).map((line) => `**${line.replace(": ", ":** ")}`).join(" ")] : []),
  ].join("\n");
}

/** Whether the model sees a manipulated face or only who is in the picture: same-person blends it never trained on. */
function manipulationSensitivity(metrics: RunMetrics): string {
  const blends = metrics.sameIdentityBlends;
  const synthesized = metrics.synthesized && sum(Object.values(metrics.synthesized.train)) + sum(Object.values(metrics.synthesized.valid)) > 0
    ? ` Training added ${sum(Object.values(metrics.synthesized.train))} same-person fakes synthesized from the real training pictures (train.selfBlend "${metrics.synthesized.mode}"; self-blends and swaps between two pictures of the person), and validation ${sum(Object.values(metrics.synthesized.valid))} made from the validation pictures, which the error rate above includes.`
    : "";
  if (!blends || blends.share === null) {
    return `**Same-person manipulations:** not measured${blends?.note ? ` (${blends.note})` : ""}. A detector trained on fakes that show another person's face may learn who is in the picture rather than whether it was manipulated.${synthesized}`;
  }
  const warning = synthesizedOnlyWarning(metrics);
  const choice = metrics.synthesized?.choice ? ` ${metrics.synthesized.choice}` : "";
  return `**Same-person manipulations:** the model calls **${percent(blends.share)}** of same-person blends fake (${blends.flagged} of ${blends.scored} self-blends of validation real pictures${blends.threshold !== undefined ? `, at the decision threshold ${blends.threshold.toFixed(4)}` : ""}: the person's own face blended with an altered copy of itself, so identity cannot give it away). A low share means it mostly learned who is in the picture, and will miss a fake that keeps the person's face.${synthesized}${choice}${warning ? `\n\n**${warning.replace(": ", ":** ")}` : ""}`;
}

function backboneSection(head: RunHead): string {
  const { backbone, preprocess } = head;
  const taps = backbone.taps.map((tap) => `\`${tap.layer}\` (${(tap.pooling.length > 0 ? tap.pooling : ["avg"]).map((p) => `global ${p === "avg" ? "average" : "max"} pooling`).join(" + ")})`);
  return [
    "## Backbone",
    "",
    `${capitalise(backboneName(head))}.`,
    "",
    `- id: \`${backbone.id}\``,
    `- source: ${backboneSource(head)}`,
    backbone.kind === "torchvision"
      ? `- weights file sha256: \`${backbone.modelJsonSha256}\` (as train.py loaded it)`
      : `- model.json sha256: \`${backbone.modelJsonSha256}\` (checked when this export was made)`,
    `- input: ${preprocess.size[1]}x${preprocess.size[0]} RGB, scaled inside the graph as x * ${formatNumber(preprocess.scaling.scale)} + ${formatNumber(preprocess.scaling.offset)}${preprocess.normalize ? `, then per channel (x - mean) / std with mean ${preprocess.normalize.mean.join(", ")} and std ${preprocess.normalize.std.join(", ")} (ImageNet's)` : ""}`,
    `- features: ${head.featureLength} numbers from ${taps.join(", ")}${head.preprocess.faceContrast ? `, then ${head.preprocess.faceContrast.count} face contrasts (${head.preprocess.faceContrast.taps.map((tap) => tap.layer).join(", ")} averaged over the face's landmark hull minus over the ring around it)` : ""}${head.preprocess.blendStatistics ? `, then ${head.preprocess.blendStatistics.count} blending statistics of the face (below)` : ""}`,
    "",
    backboneNote(head),
  ].join("\n");
}

function whatItIsTorch(head: RunHead, images: number, torch: TorchTraining): string {
  const [height, width] = head.preprocess.size;
  return `## What it is

An image classifier that looks at one photo and gives a probability for each of ${head.labels.length} categories: ${head.labels.map((label) => `"${inline(label)}"`).join(", ")}.
It is the fast.ai lesson 2 project ("is it a deepfake of Tom Cruise?") made into a tool: a learner's model, fine-tuned on ${images} images, most of them found by a web image search.

\`${EXPORT_FILES.model}\` is one self-contained ONNX graph, exported by PyTorch: ${width}x${height} RGB pixels in, the fine-tuned ${TORCH_BACKBONE_TITLES[torch.architecture]}, fastai's head (concatenated max + average pooling, BatchNorm, two linear layers) with softmax inside, probabilities out. Loading it runs no code (no pickle, no Python objects): it is ONNX and JSON only.`;
}

function torchTrainingSection(head: RunHead, metrics: RunMetrics, torch: TorchTraining): string {
  return `## Training method

The whole network was fine-tuned as fastai's \`learner.fine_tune(${torch.epochs})\` does, by PyTorch ${torch.torch} (torchvision ${torch.torchvision}) on ${torch.device}${torch.hfJobsFlavor ? `, as a Hugging Face Job on ${torch.hfJobsFlavor} hardware` : ""}, with the script the studio wrote into the run folder (\`train.py\`, re-runnable). Every image was squish-resized to ${head.preprocess.size[1]}x${head.preprocess.size[0]}; training batches (${torch.batchSize} pictures) were augmented with flips, small rotations and zooms and lighting changes.
The network started from the backbone below (${torch.architecture === "mobilenet_v2" ? "its Keras weights mapped onto torchvision's MobileNetV2" : `torchvision's ${TORCH_BACKBONE_TITLES[torch.architecture]} with its ImageNet weights, \`train.torchBackbone: "${torch.architecture}"\``}) with a new head; ${torch.freezeEpochs} epoch(s) trained the head and the BatchNorm layers with the body frozen, then ${torch.epochs} epoch(s) trained every layer with discriminative learning rates (${formatNumber(torch.learningRate / 200)} for the first layers up to ${formatNumber(torch.learningRate / 2)} for the head), one-cycle schedules throughout (seed ${metrics.seed}).
The studio did not take the script's word for the results: the error rate, confusion matrix and per-image losses above were computed by running this \`${EXPORT_FILES.model}\` in ONNX Runtime on the studio's own decoding of the pictures.${head.preprocess.faceCrop ? `\n\n${faceCropNote(head.preprocess.faceCrop)}` : ""}`;
}

function trainingSection(head: RunHead, metrics: RunMetrics): string {
  return `## Training method

Frozen backbone + linear head. Every image was squish-resized to ${head.preprocess.size[1]}x${head.preprocess.size[0]} and run once through the pretrained backbone, which was **not** changed; its pooled features (${head.featureLength} numbers) were standardised with the training split's mean and standard deviation, and a single linear layer with softmax (multinomial logistic regression) was trained on them for ${metrics.epochs.length} epoch(s) (seed ${metrics.seed}).
Augmented views (flips, crops, lighting changes), when the run used them, went through the same frozen backbone; they add variety but no new information about faces.
This is less than fastai's \`learner.fine_tune\` in the lesson, which also updates the backbone's weights; it is fast and runs on any laptop, but it can only use what the backbone already sees.${head.preprocess.testTimeViews ? `\n\n${testTimeViewsNote(head.preprocess.testTimeViews.views.length)}` : ""}${head.preprocess.blendStatistics ? `\n\n${blendStatisticsNote(head.preprocess.blendStatistics.count, head.preprocess.blendStatistics.version)}` : ""}${head.preprocess.faceCrop ? `\n\n${faceCropNote(head.preprocess.faceCrop)}` : ""}`;
}

/** What the views are, what they cost, and that the validation figures include them. */
function testTimeViewsNote(views: number): string {
  return `**Test-time views.** The model scores each picture ${views} times, as it is, mirrored, and both zoomed into the centre (a window of 75 % of its area enlarged back), and decides on the mean of the ${views} scores (their logits), as fastai's \`learn.tta\` does; the validation figures above were measured that way. \`${EXPORT_FILES.model}\` makes the views itself, so a runner feeds the picture as always; it costs ${views} passes through the backbone per picture. On same-person face swaps of faces the model never saw this ordered real and swapped pictures better than one pass did (BENCHMARKS.md, "Test-time views").`;
}

/** What the extra input is and why it is there. */
function blendStatisticsNote(count: number, version: number): string {
  return `**Blending statistics.** Beside the backbone's features the head reads ${count} numbers measured on the face itself: fine detail, edges and colour inside the inner face (the outline of the 68 landmarks' brows, eyes, nose and mouth) compared with a band around that outline and the skin beyond it. A face swap or blend pastes a region with its own sharpness and colour through a soft-edged mask there; a real face has no such border.${version >= 2 ? " The next " + POSE_CONSISTENCY_COUNT + " compare the head pose read from the inner face's landmarks with the pose read from the face's outline (jaw line): a pasted inner face posed for another moment, another person or mirrored leans against the head around it (after Yang, Li and Lyu, ICASSP 2019)." : ""}${version >= 3 ? " The last " + LIGHTING_CONSISTENCY_COUNT + " compare the side the light comes from on the inner face with the cheeks and the skin around it: colour matching fixes a pasted face's brightness and colour, not the direction of its shading (after Johnson and Farid, 2005)." : ""} They are weighted, after standardisation, so that together they count ${version >= 3 ? "four times as much as" : "as much as"} the backbone's features. They need the face's landmarks: \`deepfake-studio predict\`, \`check\` and the static Space find them and measure the numbers (\`src/core/face-features/blend-statistics.ts\`); when no face is found, the training average (\`preprocess.json\` \`blendStatistics.missing\`) stands in and the score rests on the backbone alone.`;
}

/** How the training pictures were cut to faces, so anyone running the model can cut theirs the same way. */
function faceCropNote(crop: NonNullable<RunHead["preprocess"]["faceCrop"]>): string {
  return `**Face crops.** The model was trained on faces, not whole pictures: each picture was shrunk to at most ${crop.resizeMax} px on its longest side, faces were found with face-api's ${crop.detector === "accurate" ? "SSD MobileNet v1" : "Tiny Face Detector"} detector (score ≥ ${crop.minScore}) and 68 landmarks, and the ${crop.select} face was cut as an upright square ${crop.margin} times the landmarks' bounding box, centred on it and moved up 0.15 box sides to take in the forehead, resampled to ${crop.size}x${crop.size} and stored as JPEG (quality ${crop.jpegQuality}). Pictures with no face found were left out and reported. \`preprocess.json\` records these settings under \`faceCrop\`; give the model face crops made this way (\`deepfake-studio predict\` and \`check\` do it for you).`;
}

function auditSection(metrics: RunMetrics): string {
  if (!metrics.audit) return "## Shortcut audit\n\n_This run has no shortcut audit (it has one category, or it was trained before the audit existed)._";
  return [
    "## Shortcut audit",
    "",
    "Can something other than manipulation tell the classes apart? Each cue alone was scored by a cross-validated logistic regression on a sample of the training pictures (face identity: face-api's face descriptors).",
    "",
    ...describeAudit(metrics.audit).map((line) => line.replace(/^Warning: /, "**Warning:** ")),
  ].join("\n");
}

function limitations(head: RunHead, images: number): string {
  return `## Limitations

- **It learns the web's cues, not "deepfakeness".** A detector trained on web search results picks up whatever separates the two searches: compression and resolution, watermarks and captions, framing, lighting, which sites the pictures came from, even which photos of ${head.labels.length === 2 ? "the two categories" : "each category"} are popular. Those cues can be right on the validation split and wrong on your picture.
- **A score is not proof.** The probabilities are the output of a softmax, not calibrated likelihoods; 0.99 does not mean "99% sure" about a new picture.
- **What it does not prove:** a high "real" score does not show a picture is authentic, and a high "fake" score does not show it was manipulated. It does not say who is in the picture, whether the picture is in context, or whether a genuine photo was staged or mis-captioned.
- **New generators and new people.** Face-swap methods change quickly; pictures made by a method, of a person, or in a setting missing from the training data can be scored arbitrarily.
- **Small data.** Trained on ${images} noisy images with a frozen backbone; the error rate above has a wide margin of error.
- **Not for use as the sole evidence** in any decision about a person. Use it to choose what to examine; confirm with provenance (source, original file, metadata, reverse image search) and human review.`;
}

/** `cam`: the graph also outputs class activation maps (the studio's own head; a fine-tuned network has none). */
function howToRun(head: RunHead, cam: boolean): string {
  const [height, width] = head.preprocess.size;
  return `## How to run it

Files: \`${EXPORT_FILES.model}\` (the model), \`${EXPORT_FILES.labels}\` (class names; index = output column), \`${EXPORT_FILES.preprocess}\` (how to prepare an image), \`${EXPORT_FILES.metrics}\` (training metrics).

The graph has ${["one input", "two inputs", "three inputs"][(head.preprocess.blendStatistics ? 1 : 0) + (head.preprocess.faceContrast ? 1 : 0)]} and ${cam ? "three" : "two"} outputs:

- input \`image\`: float32 \`[N, ${height}, ${width}, 3]\`, NHWC, RGB, raw values **0..255** (do not normalise: the scaling is inside the graph)${head.preprocess.blendStatistics ? `\n- input \`blend_statistics\`: float32 \`[N, ${head.preprocess.blendStatistics.count}]\`, the face's blending statistics (see "Blending statistics"; the studio measures them, other runtimes can feed \`blendStatistics.missing\` at some cost in accuracy)` : ""}${head.preprocess.faceContrast ? `\n- input \`face_regions\`: float32 \`[N, 2, ${head.preprocess.faceContrast.grid}, ${head.preprocess.faceContrast.grid}]\`, 1 inside and 0 outside: the face's inner face (hull of landmarks 17–67, grown 10 %) and the ring around it (grown 50 %), at cell centres of a ${head.preprocess.faceContrast.grid}×${head.preprocess.faceContrast.grid} grid over the input (\`src/core/face-features/face-regions.ts\`; without a face, the crop recipe's inner-face window)` : ""}
- output \`probabilities\`: float32 \`[N, ${head.labels.length}]\`, softmax in \`labels.json\` order${head.preprocess.testTimeViews ? ` (of the mean logits over each picture's ${head.preprocess.testTimeViews.views.length} test-time views, made inside the graph; \`features\`${cam ? " and \`cam\`" : ""} are the picture's own, as it is)` : ""}
- output \`features\`: float32 \`[N, ${head.featureLength}]\`, the backbone features before standardisation${cam ? `\n- output \`cam\`: float32 \`[N, ${head.labels.length}, h, w]\`, each class's activation map on the grid of the finest tapped layer (resize it bilinearly, half-pixel centres, to ${width}x${height} to lay it on the input): where the backbone's part of that class's score comes from (its mean over the pixels is that part of the logit; average-pooled features exactly, a max-pooled one on the place of its maximum${head.preprocess.blendStatistics ? "; the blending statistics have no place in the picture and are not in it" : ""}). \`deepfake-studio predict --cam <folder>\` draws it over each picture` : ""}

${head.preprocess.faceCrop ? "First cut the picture to its largest face as described under \"Face crops\" above (the snippets below assume the file already is such a crop). Then prepare" : "Prepare"} each image as the studio does: apply the EXIF orientation, put transparency on white, convert to sRGB RGB, then resize to exactly ${width}x${height} by stretching ("squish": no crop, no padding) with the \`kernel\` in \`preprocess.json\` ("${head.preprocess.kernel}").
Other libraries resample slightly differently, which can move the probabilities a little; \`deepfake-studio predict\` reproduces training exactly.

With the studio:

\`\`\`sh
deepfake-studio predict photo.jpg more-photos/ --model path/to/this/folder --json
\`\`\`

Python (\`pip install onnxruntime numpy pillow\`), run in this folder:

\`\`\`python
import json

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageOps

labels = json.load(open("labels.json"))
pre = json.load(open("preprocess.json"))
height, width = pre["size"]
resample = {"linear": Image.Resampling.BILINEAR, "cubic": Image.Resampling.BICUBIC,
            "lanczos3": Image.Resampling.LANCZOS, "nearest": Image.Resampling.NEAREST}[pre["kernel"]]


def load(path):
    image = ImageOps.exif_transpose(Image.open(path)).convert("RGBA")  # EXIF orientation
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    image = Image.alpha_composite(white, image).convert("RGB")  # transparency on white
    image = image.resize((width, height), resample)  # squish: stretch, no crop
    return np.asarray(image, dtype=np.float32)  # H x W x 3, 0..255: the graph scales itself


session = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
batch = np.stack([load("photo.jpg")])  # N x H x W x 3 (NHWC)
probabilities = session.run(["probabilities"], {"image": batch})[0]
for row in probabilities:
    print({label: float(p) for label, p in zip(labels, row)})
\`\`\`

JavaScript / Node.js (\`npm install onnxruntime-node sharp\`; sharp 0.34 or later), run in this folder:

\`\`\`js
const fs = require("node:fs");
const ort = require("onnxruntime-node");
const sharp = require("sharp");

const labels = JSON.parse(fs.readFileSync("labels.json", "utf8"));
const pre = JSON.parse(fs.readFileSync("preprocess.json", "utf8"));
const [height, width] = pre.size;

async function load(file) {
  // Decode in full first (EXIF orientation, transparency on white, sRGB), then resize those pixels, as the studio does.
  const decoded = await sharp(file, { autoOrient: true, pages: 1 })
    .flatten({ background: "#ffffff" })
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixels = await sharp(decoded.data, { raw: { width: decoded.info.width, height: decoded.info.height, channels: 3 } })
    .resize({ width, height, fit: "fill", kernel: pre.kernel }) // squish: stretch, no crop
    .raw()
    .toBuffer();
  return Float32Array.from(pixels); // H x W x 3, 0..255: the graph scales itself
}

async function main() {
  const session = await ort.InferenceSession.create("model.onnx");
  const image = new ort.Tensor("float32", await load(process.argv[2] ?? "photo.jpg"), [1, height, width, 3]);
  const { probabilities } = await session.run({ image });
  console.log(Object.fromEntries(labels.map((label, i) => [label, probabilities.data[i]])));
}

main();
\`\`\`

In the browser, onnxruntime-web runs the same file with the same input layout.`;
}

function verificationSection(input: ModelCardInput): string {
  if (input.torch) {
    return `## Export check

When this folder was written, \`${EXPORT_FILES.model}\` (the run's model with the labels and preprocessing added to its metadata) was run in ONNX Runtime and compared with the model the training run checked, on ${input.verification.images} probe images: the largest difference in any probability was ${input.verification.maxProbabilityDifference.toExponential(2)}, in any feature ${input.verification.maxFeatureDifference.toExponential(2)} of the largest feature value.`;
  }
  return `## Export check

When this folder was written, \`${EXPORT_FILES.model}\` was run in ONNX Runtime and compared with the TensorFlow.js model it was converted from (same backbone files, same head) on ${input.verification.images} probe images: the largest difference in any probability was ${input.verification.maxProbabilityDifference.toExponential(2)}, in any backbone feature ${input.verification.maxFeatureDifference.toExponential(2)} of the largest feature value. The \`cam\` maps were checked against the same maps computed from the TensorFlow.js activations (within ${VERIFY_NOTE_TOLERANCE} of their largest value).`;
}

/** export-model.ts's VERIFY_TOLERANCE, as the card states it. */
const VERIFY_NOTE_TOLERANCE = "1e-3";

/** Which backbone, in words a reader can act on. */
function backboneName(head: RunHead): string {
  const id = head.backbone.id;
  const torchvision = torchvisionArchitecture(head);
  if (torchvision) return `torchvision's ${TORCH_BACKBONE_TITLES[torchvision]} with ImageNet weights (\`${id}\`)`;
  if (id === OFFLINE_BACKBONE_ID) return "the offline MobileNetV2 bundled with the nsfwjs npm package, not the Teachable Machine Keras MobileNetV2";
  const known = KNOWN_BACKBONES.find((entry) => entry.id === id);
  if (known?.source.kind === "url" && /teachable-machine/.test(known.source.url)) return `the Teachable Machine copy of Keras MobileNetV2 with ImageNet weights (\`${id}\`)`;
  if (known) return `\`${id}\``;
  return `a custom TensorFlow.js model (\`${id}\`)`;
}

/** The torchvision network a fine-tuned run started from, when it did not start from a studio backbone. */
function torchvisionArchitecture(head: RunHead): TorchBackboneName | undefined {
  if (head.backbone.kind !== "torchvision") return undefined;
  const name = head.backbone.id.replace(/^torchvision-/, "");
  return name in TORCH_BACKBONE_TITLES ? (name as TorchBackboneName) : undefined;
}

/** Where the backbone came from. */
function backboneSource(head: RunHead): string {
  const { kind, location } = head.backbone;
  if (kind === "torchvision") return `torchvision's ImageNet weights (IMAGENET1K_V1), downloaded by the training script from ${location}`;
  if (kind === "url") return `downloaded from ${location}`;
  if (kind === "offline") return "written out of the nsfwjs npm package (no download)";
  // Only the folder name: the card may be published, and a full path would show the trainer's home folder.
  return `a local TensorFlow.js model (folder "${inline(path.basename(path.dirname(location)))}"; identified by the sha256 below)`;
}

/** What the reader should know about the backbone's pretraining. */
function backboneNote(head: RunHead): string {
  const known = KNOWN_BACKBONES.find((entry) => entry.id === head.backbone.id);
  const torchvision = torchvisionArchitecture(head);
  if (torchvision) return `${TORCH_BACKBONE_TITLES[torchvision]} was pretrained by torchvision on ImageNet (objects, not faces or manipulation); the whole network was then fine-tuned on this project's pictures.`;
  if (head.backbone.id === OFFLINE_BACKBONE_ID) {
    return `${known?.description ?? ""} Its features were tuned for nsfwjs' task, not for faces or manipulation; with the Teachable Machine MobileNetV2 (\`deepfake-studio train --backbone mobilenet_v2_1.00_224\`, needs one download) results usually differ.`.trim();
  }
  if (known) return known.description;
  return "A model the studio does not know: its input scaling and tap layers were guessed or read from its metadata when training; check them above.";
}

/** A Markdown table. */
function table(headers: string[], rows: string[][]): string {
  return [`| ${headers.join(" | ")} |`, `| ${headers.map(() => "---").join(" | ")} |`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
}

/** Text from the project (labels, queries) made safe inside Markdown tables and quotes. */
function inline(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/([\\|*_`[\]<>])/g, "\\$1");
}

/** Images in both splits. */
function imageCount(metrics: RunMetrics): number {
  return sum(Object.values(metrics.counts.train)) + sum(Object.values(metrics.counts.valid));
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function fixed(value: number): string {
  return value.toFixed(4);
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** 1/255 → "0.00392157", -1 → "-1". */
function formatNumber(value: number): string {
  return Number(value.toPrecision(6)).toString();
}
