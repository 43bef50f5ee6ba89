/**
 * Could the static Space run the studio's own face nets? (issue 15: an int8 SSD in the studio would need the same
 * graph in the page, so that studio and page still frame faces alike.) The page already runs the model with
 * onnxruntime-web (WebAssembly, one thread); this runs the studio's ONNX graphs of face-api's SSD there: float32 and
 * int8 on the pointwise layers (8-bit weights), on the SSD inputs of the reference pictures, and compares each output
 * and each decoded face with onnxruntime-node's answer on the same input. Times: the page's wall time per call, Node's
 * CPU time per call (both one thread).
 * Usage: node out/bench/face-nets-in-browser.js [pictures=12]
 */
import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildSsdGraph } from "../src/core/face-nets/build-face-net-graphs";
import { decodeSsd } from "../src/core/face-nets/decode-detections";
import { faceNetWeights, runFaceNet, type FaceNetChoice } from "../src/core/face-nets/face-net-sessions";
import { prepareNetInput } from "../src/core/face-nets/prepare-net-input";
import { buildSsdInt8Graph, SSD_LAYER_NAMES, type SsdInt8Options } from "../src/core/face-nets/ssd-int8";
import { ssdWindow, ssdWindowAnchors } from "../src/core/face-nets/ssd-window";
import { ortRuntimeFiles } from "../src/core/space/ort-runtime-files";
import { makeFaceReferenceSet } from "../test/fixtures/face-reference-set";
import { startStaticServer } from "../test/support/static-server";
import { CHROMIUM } from "../test/support/webview-harness";

const POINTWISE_8BIT: SsdInt8Options = { floatLayers: SSD_LAYER_NAMES.filter((name) => !name.endsWith("_pointwise")), weightLevels: 127 };
const VARIANTS: Array<{ name: string; node: FaceNetChoice; graph: (weights: Awaited<ReturnType<typeof faceNetWeights>>) => Uint8Array }> = [
  { name: "float32", node: "ssd", graph: buildSsdGraph },
  { name: "int8 pointwise, 8-bit weights", node: { ssdInt8: POINTWISE_8BIT }, graph: (weights) => buildSsdInt8Graph(weights, POINTWISE_8BIT) },
];

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as ort from "./ort/ort.wasm.min.js";
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
ort.env.wasm.wasmPaths = { mjs: new URL("./ort/ort-wasm-simd-threaded.js", import.meta.url).href, wasm: new URL("./ort/ort-wasm-simd-threaded.wasm", import.meta.url).href };
window.runSsd = async (graph, inputs) => {
  const session = await ort.InferenceSession.create(new URL(graph, import.meta.url).href, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const results = [];
  for (const { file, dims } of inputs) {
    const data = new Float32Array(await (await fetch(file)).arrayBuffer());
    const feeds = { image: new ort.Tensor("float32", data, dims) };
    await session.run(feeds);
    const started = performance.now();
    const out = await session.run(feeds);
    results.push({ ms: performance.now() - started, boxes: Array.from(out.boxes.data), classes: Array.from(out.classes.data) });
  }
  return results;
};
window.ready = true;
</script>`;

interface VariantResult {
  variant: string;
  pageMsPerCall: number;
  nodeCpuMsPerCall: number;
  maxBoxDifference: number;
  maxScoreDifference: number;
  faces: number;
  sameFaces: number;
  largestCornerShiftPx: number;
}

export async function benchFaceNetsInBrowser(count = 12): Promise<{ pictures: number; load: { before: number; after: number }; variants: VariantResult[] }> {
  if (!existsSync(CHROMIUM)) throw new Error(`This benchmark needs Chromium (${CHROMIUM}).`);
  const before = os.loadavg()[0];
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "dds-bench-face-nets-web-"));
  const server = await startStaticServer(work);
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    for (const { source, target } of ortRuntimeFiles()) {
      await fs.mkdir(path.dirname(path.join(work, target)), { recursive: true });
      await fs.copyFile(source, path.join(work, target));
    }
    await fs.writeFile(path.join(work, "index.html"), PAGE);
    const weights = await faceNetWeights("ssd");
    const set = await makeFaceReferenceSet(path.join(work, "reference"), count);
    const inputs = [];
    for (const [i, pixels] of set.resized.entries()) {
      const { rows, cols } = ssdWindow(pixels.width, pixels.height);
      const input = new Float32Array(3 * rows * cols);
      prepareNetInput({ ...pixels, channels: 3 }, { x: 0, y: 0, width: pixels.width, height: pixels.height }, { side: 512, rows, cols, centre: false, mean: [127.5, 127.5, 127.5], divisor: 127.5 }, input);
      await fs.writeFile(path.join(work, `input-${i}.bin`), input);
      inputs.push({ file: `input-${i}.bin`, dims: [1, 3, rows, cols] as [number, number, number, number], input, pixels });
    }
    const page = await browser.newPage();
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const anchors512 = weights.get("Output/extra_dim")!.data;
    const variants: VariantResult[] = [];
    for (const variant of VARIANTS) {
      const graphFile = `${variant.name.replace(/[^a-z0-9]+/g, "-")}.onnx`;
      await fs.writeFile(path.join(work, graphFile), variant.graph(weights));
      const inPage = (await page.evaluate(
        ([graph, list]) => (window as unknown as { runSsd: (g: string, l: unknown) => Promise<unknown> }).runSsd(graph, list),
        [graphFile, inputs.map(({ file, dims }) => ({ file, dims }))] as const,
      )) as Array<{ ms: number; boxes: number[]; classes: number[] }>;
      const result: VariantResult = { variant: variant.name, pageMsPerCall: 0, nodeCpuMsPerCall: 0, maxBoxDifference: 0, maxScoreDifference: 0, faces: 0, sameFaces: 0, largestCornerShiftPx: 0 };
      for (const [i, { input, dims, pixels }] of inputs.entries()) {
        await runFaceNet(variant.node, input, dims);
        const cpu = process.cpuUsage();
        const node = await runFaceNet(variant.node, input, dims);
        const used = process.cpuUsage(cpu);
        result.nodeCpuMsPerCall += (used.user + used.system) / 1000 / inputs.length;
        result.pageMsPerCall += inPage[i].ms / inputs.length;
        inPage[i].boxes.forEach((value, k) => (result.maxBoxDifference = Math.max(result.maxBoxDifference, Math.abs(value - node.boxes[k]))));
        inPage[i].classes.forEach((value, k) => (result.maxScoreDifference = Math.max(result.maxScoreDifference, Math.abs(value - node.classes[k]))));
        const decode = (boxes: Float32Array, classes: Float32Array) => decodeSsd({ boxes, classes, anchors: ssdWindowAnchors(anchors512, dims[2], dims[3]), width: pixels.width, height: pixels.height, minScore: 0.5, maxResults: 20 });
        const fromNode = decode(node.boxes, node.classes);
        const fromPage = decode(Float32Array.from(inPage[i].boxes), Float32Array.from(inPage[i].classes));
        result.faces += fromNode.length;
        if (fromPage.length === fromNode.length) {
          result.sameFaces += fromNode.length;
          for (const [k, face] of fromNode.entries()) {
            const other = fromPage[k].box;
            const shift = Math.max(Math.abs(face.box.x - other.x), Math.abs(face.box.y - other.y), Math.abs(face.box.x + face.box.width - other.x - other.width), Math.abs(face.box.y + face.box.height - other.y - other.height));
            result.largestCornerShiftPx = Math.max(result.largestCornerShiftPx, shift);
          }
        }
      }
      variants.push(result);
    }
    return { pictures: inputs.length, load: { before, after: os.loadavg()[0] }, variants };
  } finally {
    await browser.close();
    await server.close();
    await fs.rm(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchFaceNetsInBrowser(Number(process.argv[2] ?? 12)).then((result) => console.log(JSON.stringify(result, null, 2)), (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
