/**
 * The Space's README.md: the Spaces configuration block Hugging Face reads (title, sdk, app file, …) followed by
 * a short "what this is" and the export's model card, so the Space page documents the model it runs.
 */
import { describeDataSources, type DataSources } from "../dataset/summarise-data-sources";
import { parseFrontMatter } from "./parse-front-matter";
import type { SpaceSdk } from "./space-sdk";

export interface SpaceReadmeParams {
  sdk: SpaceSdk;
  title: string;
  shortDescription: string;
  labels: string[];
  /** export/README.md as written by the exporter (its own front matter is dropped). */
  modelCard?: string;
  /** For sdk "gradio": the Gradio version (sdk_version) and Python version. */
  gradioVersion?: string;
  pythonVersion?: string;
  license?: string;
  ortVersion?: string;
  /** The model was trained on face crops (preprocess.json `faceCrop`): the static page crops, the Gradio app does not. */
  faceCrop?: boolean;
  /** For a static Space that finds faces (a face-crop model, or one reading blending statistics): the versions of face-api and the TensorFlow.js it bundles (credits). */
  faceApi?: { faceApi: string; tfjs: string };
  /** Each example with what the manifest knows of it (credited by name, licence and page when known). */
  exampleCredits?: Array<{ path: string; title?: string; author?: string; license?: string; licenseUrl?: string; pageUrl?: string }>;
  /** The training data by where it came from (engine or "import") and by licence ("unknown" when none was stated). */
  data?: DataSources;
}

/** Hugging Face's accepted thumbnail colours. */
const COLOR_FROM = "indigo";
const COLOR_TO = "pink";
/** One code point: the config accepts "emoji-only" strings and some multi-code-point ones render oddly. */
const EMOJI = "🔍";
export const MAX_SHORT_DESCRIPTION = 60;

export function renderSpaceReadme(params: SpaceReadmeParams): string {
  const config: Array<[string, string | boolean]> = [
    ["title", params.title],
    ["emoji", EMOJI],
    ["colorFrom", COLOR_FROM],
    ["colorTo", COLOR_TO],
    ["sdk", params.sdk],
  ];
  if (params.sdk === "gradio") {
    config.push(["sdk_version", params.gradioVersion ?? ""], ["python_version", params.pythonVersion ?? "3.12"]);
  }
  config.push(
    ["app_file", params.sdk === "static" ? "index.html" : "app.py"],
    ["pinned", false],
    ["license", params.license ?? "mit"],
    ["short_description", params.shortDescription],
  );
  const header = ["---", ...config.map(([key, value]) => `${key}: ${typeof value === "boolean" ? String(value) : yamlString(value)}`), "tags:", ...["deepfake-detection", "image-classification", "onnx"].map((tag) => `  - ${tag}`), "---"];
  const sections = [header.join("\n"), `# ${escapeMarkdown(params.title)}`, intro(params)];
  if (params.modelCard?.trim()) sections.push("---", `## Model card\n\n${demoteHeadings(parseFrontMatter(params.modelCard).body.trim())}`);
  if (params.data && params.data.pictures > 0) sections.push(dataSection(params.data));
  sections.push(credits(params));
  return `${sections.join("\n\n")}\n`;
}

function intro(params: SpaceReadmeParams): string {
  const classes = params.labels.map((label) => `**${escapeMarkdown(label)}**`).join(", ");
  const where = params.sdk === "static"
    ? "The model runs **in your browser** (ONNX Runtime Web, WebAssembly): the picture you choose never leaves your device."
    : "The picture is sent to this Space, classified on its CPU with ONNX Runtime, and not stored (flagging is off).";
  const files = params.sdk === "static"
    ? `\`index.html\`, \`app.js\`, \`preprocess.js\`${params.faceApi ? ", `face-crop.js`, `face-search.js`" : ""} and \`style.css\` (the page), \`ort/\` (ONNX Runtime Web${params.faceApi ? ") and `face-api/` (face detection" : ""}, served from this Space)`
    : "`app.py` (Gradio), `preprocess.py` (the same preprocessing as training), `requirements.txt`";
  return [
    `Drop, paste or choose a photo (or click an example) to get a probability for each class: ${classes}.`,
    where,
    ...(params.faceCrop ? [faceCropParagraph(params.sdk)] : []),
    "It is a screening aid made with Deepfake Detector Studio (fast.ai lesson 2), not proof: check important pictures by other means.",
    `Files: ${files}, \`model.onnx\` (the model, one ONNX graph), \`labels.json\`, \`preprocess.json\`, \`examples/\`.`,
  ].join("\n\n");
}

/** What a face-crop model's Space does with faces: the static page crops the largest one itself, the Gradio app does not. */
function faceCropParagraph(sdk: SpaceSdk): string {
  const trained = "**Faces only.** This model was trained on face crops (the largest face of each picture, with a margin around it, as `preprocess.json` `faceCrop` describes).";
  if (sdk === "gradio") return `${trained} Give it a picture cropped to one face, like the examples; this Space does not look for the face itself. \`deepfake-studio predict\` and \`deepfake-studio check\` find and crop the face for you.`;
  return `${trained} The page finds the largest face in your picture (face-api's detector and 68 landmarks, run in your browser) and crops it exactly as the training pictures were cropped before the model sees it; it shows the face it judged, and says so when it finds none. Your browser resizes large pictures with its own code, so a score can differ slightly from \`deepfake-studio predict\` on the same file.`;
}

function credits(params: SpaceReadmeParams): string {
  const lines = ["## Credits", "", "- Space generated by Deepfake Detector Studio."];
  if (params.sdk === "static") lines.push(`- [ONNX Runtime Web](https://onnxruntime.ai)${params.ortVersion ? ` ${params.ortVersion}` : ""} (MIT License, © Microsoft Corporation), copied into \`ort/\`.`);
  if (params.sdk === "static" && params.faceApi) {
    lines.push(
      `- [face-api](https://github.com/vladmandic/face-api) ${params.faceApi.faceApi} (MIT License, © Vladimir Mandic; \`face-api/LICENSE\`), with its two face detectors and 68-landmark model, copied into \`face-api/\`.`,
      `- [TensorFlow.js](https://www.tensorflow.org/js) ${params.faceApi.tfjs} (Apache License 2.0, © Google LLC), bundled inside \`face-api/face-api.esm.js\`, and its WebAssembly backend (\`face-api/tfjs-backend-wasm*.wasm\`).`,
    );
  }
  const credited = (params.exampleCredits ?? []).filter((example) => example.license || example.author);
  for (const example of credited) lines.push(`- \`${example.path}\`: ${exampleCredit(example)}`);
  if (credited.length === 0 || credited.length < (params.exampleCredits?.length ?? 0)) lines.push("- Example pictures come from the training data; their copyright stays with their owners.");
  return lines.join("\n");
}

/** "“Title” by Jane Doe, CC BY-SA 4.0 (licence link), from <page>". */
function exampleCredit(example: NonNullable<SpaceReadmeParams["exampleCredits"]>[number]): string {
  const title = example.title ? `“${escapeMarkdown(example.title)}”` : "picture";
  const author = example.author ? ` by ${escapeMarkdown(example.author)}` : "";
  const license = example.license ? (example.licenseUrl ? `, [${escapeMarkdown(example.license)}](${example.licenseUrl})` : `, ${escapeMarkdown(example.license)}`) : "";
  const page = example.pageUrl ? ` ([source](${example.pageUrl}))` : "";
  return `${title}${author}${license}${page}`;
}

/** Where the training pictures came from and under which licences, as the provenance manifest records them. */
function dataSection(data: DataSources): string {
  return ["## Training data", "", describeDataSources(data, escapeMarkdown)].join("\n");
}

/**
 * Plain when unambiguous (sdk: static), else double-quoted with JSON escaping, which is valid YAML: titles and
 * labels can hold ":", "#" or quotes, and "3.12" must stay a string.
 */
function yamlString(value: string): string {
  const plain = /^[A-Za-z][\w .,/()-]*$/.test(value) && !/[ .]$/.test(value) && !/^(?:true|false|yes|no|on|off|null|y|n)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

/** The model card's headings go two levels down, below "## Model card"; lines inside code fences are left alone. */
function demoteHeadings(markdown: string): string {
  let fence: string | undefined;
  return markdown
    .split("\n")
    .map((line) => {
      const marker = /^\s*(```|~~~)/.exec(line)?.[1];
      if (marker) {
        if (fence === undefined) fence = marker;
        else if (fence === marker) fence = undefined;
        return line;
      }
      return fence === undefined && /^#{1,6} /.test(line) ? `${"##".slice(0, Math.max(0, 6 - line.indexOf(" ")))}${line}` : line;
    })
    .join("\n");
}

/** Labels and titles are the user's text: keep Markdown/HTML from interpreting them. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+!|<>&]/g, (char) => `\\${char}`);
}
