/** Backbone capability: resolving, writing out the offline model, downloading through a cache, loading, features. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Command } from "commander";
import { registerBackboneCommand } from "../src/cli/commands/backbone";
import { cacheDir } from "../src/core/backbone/cache-dir";
import { downloadModel } from "../src/core/backbone/download-model";
import { extractFeaturesTfjs, featureLength } from "../src/core/backbone/extract-features-tfjs";
import { DEFAULT_BACKBONE_ID, KNOWN_BACKBONES, OFFLINE_BACKBONE_ID } from "../src/core/backbone/known-backbones";
import { loadBackbone, type LoadedBackbone } from "../src/core/backbone/load-backbone";
import { resolveBackbone } from "../src/core/backbone/resolve-backbone";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { StudioError } from "../src/core/shared/errors";
import type { ProgressEvent } from "../src/core/shared/progress";
import { loadTensorflow } from "../src/core/shared/tensorflow";
import { rejectsWith } from "./support/assertions";

const SIZE = 224;
const PER_IMAGE = SIZE * SIZE * 3;

/** Deterministic pseudo-random 0..255 images. */
function images(count: number, seed: number): Float32Array {
  const data = new Float32Array(count * PER_IMAGE);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < data.length; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[index] = state >>> 24;
  }
  return data;
}

/** Hex sha256 of a file. */
async function sha256Of(file: string): Promise<string> {
  return createHash("sha256").update(await fs.readFile(file)).digest("hex");
}


/** A local stand-in for the Teachable Machine host: serves one model folder and counts requests. */
interface ModelServer {
  url: string;
  requests: string[];
  /** How the next responses misbehave. */
  mode: "normal" | "truncate-weights";
  close(): Promise<void>;
}

/** Serves `folder` under /tm/ on 127.0.0.1 with a random port. */
async function serveModel(folder: string): Promise<ModelServer> {
  const state: Omit<ModelServer, "close" | "url"> = { requests: [], mode: "normal" };
  const server = http.createServer((request, response) => {
    state.requests.push(request.url ?? "");
    const name = (request.url ?? "").replace(/^\/tm\//, "");
    if (!["model.json", "weights.bin"].includes(name)) {
      response.writeHead(404).end("not found");
      return;
    }
    void fs.readFile(path.join(folder, name)).then((body) => {
      response.writeHead(200, { "content-length": body.length, "content-type": "application/octet-stream" });
      if (state.mode === "truncate-weights" && name === "weights.bin") {
        // Send part of the body, then drop the connection: an interrupted download.
        response.write(body.subarray(0, 1000), () => response.destroy());
        return;
      }
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const result = Object.assign(state, {
    url: `http://127.0.0.1:${port}/tm/model.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return result as ModelServer;
}

/** A tiny forward proxy (CONNECT tunnels and absolute-form requests) that counts what goes through it. */
async function startProxy(): Promise<{ url: string; count: () => number; close(): Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const proxy = http.createServer((request, response) => {
    count++;
    const target = new URL(request.url ?? "");
    const upstream = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on("error", () => response.destroy());
    request.pipe(upstream);
  });
  proxy.on("connect", (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    count++;
    const [host, port] = (request.url ?? "").split(":");
    const upstream = net.connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(client).add(upstream);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}

/** An env with no proxy settings, so the developer's own proxy variables never leak into a test. */
const NO_PROXY_ENV: NodeJS.ProcessEnv = { HTTP_PROXY: "", HTTPS_PROXY: "", NO_PROXY: "" };

describe("backbone", function () {
  this.timeout(120_000);
  let root: string;
  let sharedCache: string;
  let offlineModelJson: string;
  let counter = 0;

  /** A fresh, empty cache folder for one test. */
  const freshCache = async (): Promise<string> => fs.mkdtemp(path.join(root, `cache-${counter++}-`));

  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "deepfake-studio-backbone-"));
    sharedCache = path.join(root, "shared");
    offlineModelJson = await writeOfflineBackbone({ cacheDir: sharedCache });
  });

  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  describe("cacheDir", () => {
    it("prefers DEEPFAKE_STUDIO_CACHE, then an absolute XDG_CACHE_HOME, then ~/.cache", () => {
      assert.equal(cacheDir({ env: { DEEPFAKE_STUDIO_CACHE: "/x/y", XDG_CACHE_HOME: "/xdg" }, homeDir: "/home/u" }), path.resolve("/x/y"));
      assert.equal(cacheDir({ env: { XDG_CACHE_HOME: "/xdg" }, homeDir: "/home/u" }), path.join("/xdg", "deepfake-studio"));
      assert.equal(cacheDir({ env: { XDG_CACHE_HOME: "relative" }, homeDir: "/home/u" }), path.join("/home/u", ".cache", "deepfake-studio"));
      assert.equal(cacheDir({ env: {}, homeDir: "/home/u" }), path.join("/home/u", ".cache", "deepfake-studio"));
    });
  });

  describe("resolveBackbone", () => {
    it("uses the param over DEEPFAKE_STUDIO_BACKBONE over the default id", () => {
      const env = { DEEPFAKE_STUDIO_BACKBONE: "mobilenet_v2_0.35_224" };
      assert.equal(resolveBackbone({ env: {}, cacheDir: "/c" }).id, DEFAULT_BACKBONE_ID);
      assert.equal(resolveBackbone({ env, cacheDir: "/c" }).id, "mobilenet_v2_0.35_224");
      assert.equal(resolveBackbone({ env, backbone: OFFLINE_BACKBONE_ID, cacheDir: "/c" }).id, OFFLINE_BACKBONE_ID);
    });

    it("gives the default the Teachable Machine URL, [-1, 1] scaling and the mid-level taps", () => {
      const spec = resolveBackbone({ env: {}, cacheDir: "/c" });
      assert.deepEqual(spec.source, { kind: "url", url: "https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.00_224_no_top/model.json" });
      assert.equal(spec.scaling.offset, -1);
      assert.ok(Math.abs(spec.scaling.scale * 255 + spec.scaling.offset - 1) < 1e-9);
      assert.deepEqual(spec.taps === "auto" ? [] : spec.taps.map((tap) => tap.layer), ["block_6_expand_relu", "block_13_expand_relu", "out_relu"]);
      assert.equal(spec.cacheDir, "/c");
      assert.equal(spec.warning, undefined);
      assert.deepEqual(KNOWN_BACKBONES.map((entry) => entry.id).sort(), ["mobilenet_v2_0.35_224", "mobilenet_v2_0.50_224", "mobilenet_v2_0.75_224", "mobilenet_v2_1.00_224", "nsfwjs-mobilenet_v2"]);
    });

    it("gives an unknown URL the [-1, 1] / 224 defaults, taps chosen at load time, and a warning", () => {
      const spec = resolveBackbone({ backbone: "https://example.invalid/models/x/", env: {}, cacheDir: "/c" });
      assert.deepEqual(spec.source, { kind: "url", url: "https://example.invalid/models/x/model.json" });
      assert.equal(spec.taps, "auto");
      assert.equal(spec.inputSize, 224);
      assert.equal(spec.known, false);
      assert.match(spec.warning ?? "", /Unknown backbone/);
    });

    it("recognises the written-out offline model by its folder and keeps its table settings", () => {
      const spec = resolveBackbone({ backbone: path.dirname(offlineModelJson), env: {}, cacheDir: "/c" });
      assert.equal(spec.id, OFFLINE_BACKBONE_ID);
      assert.deepEqual(spec.source, { kind: "file", path: offlineModelJson });
      assert.deepEqual(spec.scaling, { scale: 1 / 255, offset: 0 });
    });

    it("finds taps by name in an unknown model.json, or falls back to the last layer with a warning", async () => {
      const folder = await freshCache();
      const modelJson = JSON.parse(await fs.readFile(offlineModelJson, "utf8")) as { userDefinedMetadata?: unknown; modelTopology: { model_config: { config: { layers: Array<{ name: string; config: { name: string } }> } } } };
      delete modelJson.userDefinedMetadata;
      await fs.writeFile(path.join(folder, "model.json"), JSON.stringify(modelJson));
      const byName = resolveBackbone({ backbone: folder, env: {}, cacheDir: "/c" });
      assert.equal(byName.known, false);
      assert.deepEqual(byName.taps === "auto" ? [] : byName.taps.map((tap) => tap.layer), ["block_6_expand_relu", "block_13_expand_relu", "out_relu"]);
      assert.match(byName.warning ?? "", /\[-1, 1\].*Keras MobileNetV2 layer names/);

      for (const layer of modelJson.modelTopology.model_config.config.layers) layer.config.name = layer.name = `renamed_${layer.name}`;
      await fs.writeFile(path.join(folder, "model.json"), JSON.stringify(modelJson));
      const fallback = resolveBackbone({ backbone: path.join(folder, "model.json"), env: {}, cacheDir: "/c" });
      assert.deepEqual(fallback.taps === "auto" ? [] : fallback.taps.map((tap) => tap.layer), ["renamed_dense_3"]);
      assert.match(fallback.warning ?? "", /only the last layer "renamed_dense_3"/);
    });

    it("rejects an unknown id with the list of known ones", () => {
      assert.throws(() => resolveBackbone({ backbone: "no-such-backbone", env: {}, cacheDir: "/c" }), (error: unknown) => error instanceof StudioError && error.code === "backbone-not-found" && /mobilenet_v2_1\.00_224/.test(error.hint ?? ""));
    });
  });

  describe("offline backbone", () => {
    let backbone: LoadedBackbone;

    before(async () => {
      backbone = await loadBackbone({ spec: resolveBackbone({ backbone: OFFLINE_BACKBONE_ID, env: {}, cacheDir: sharedCache }) });
    });

    after(() => backbone?.dispose());

    it("is written as a standard tfjs folder with integrity hashes, once", async () => {
      const folder = path.dirname(offlineModelJson);
      const modelJson = JSON.parse(await fs.readFile(offlineModelJson, "utf8")) as { format: string; weightsManifest: Array<{ paths: string[] }> };
      assert.equal(modelJson.format, "layers-model");
      assert.deepEqual(modelJson.weightsManifest.map((group) => group.paths), [["weights.bin"]]);
      const record = JSON.parse(await fs.readFile(path.join(folder, "integrity.json"), "utf8")) as { files: Record<string, string> };
      assert.equal(record.files["weights.bin"], await sha256Of(path.join(folder, "weights.bin")));
      assert.equal(record.files["model.json"], await sha256Of(offlineModelJson));

      const before = (await fs.stat(path.join(folder, "weights.bin"))).mtimeMs;
      assert.equal(await writeOfflineBackbone({ cacheDir: sharedCache }), offlineModelJson);
      assert.equal((await fs.stat(path.join(folder, "weights.bin"))).mtimeMs, before, "an intact copy is not rewritten");
    });

    it("rewrites a damaged copy", async () => {
      const cache = await freshCache();
      const modelJsonPath = await writeOfflineBackbone({ cacheDir: cache });
      const weights = path.join(path.dirname(modelJsonPath), "weights.bin");
      const good = await sha256Of(weights);
      await fs.writeFile(weights, "garbage");
      await writeOfflineBackbone({ cacheDir: cache });
      assert.equal(await sha256Of(weights), good);
      assert.deepEqual((await fs.readdir(path.dirname(modelJsonPath))).sort(), ["integrity.json", "model.json", "weights.bin"], "no temp files left");
    });

    it("loads through loadBackbone with the MobileNetV2 taps and records its source", async () => {
      assert.deepEqual(backbone.featureModel.outputs.map((output) => output.shape), [[null, 28, 28, 192], [null, 14, 14, 576], [null, 7, 7, 1280]]);
      assert.equal(featureLength(backbone), 2 * 192 + 2 * 576 + 1280);
      assert.equal(backbone.spec.inputSize, 224);
      assert.equal(backbone.source.kind, "offline");
      assert.equal(backbone.source.modelJsonPath, offlineModelJson);
      assert.equal(backbone.source.modelJsonSha256, await sha256Of(offlineModelJson));
    });

    it("extracts deterministic, per-image features with max ≥ avg and flat memory", async () => {
      const tf = await loadTensorflow();
      const length = featureLength(backbone);
      const data = images(2, 7);
      const tensorsBefore = tf.memory().numTensors;
      const first = await extractFeaturesTfjs(backbone, { data, count: 2 });
      const second = await extractFeaturesTfjs(backbone, { data, count: 2 });
      const alone = await extractFeaturesTfjs(backbone, { data: data.slice(PER_IMAGE), count: 1 });
      assert.equal(tf.memory().numTensors, tensorsBefore, "no tensor leaks across batches");

      assert.equal(first.length, 2 * length);
      assert.deepEqual(second, first, "same input, same features");
      assert.ok(first.every(Number.isFinite));
      const image0 = first.subarray(0, length);
      const image1 = first.subarray(length);
      assert.ok(image0.some((value, index) => Math.abs(value - image1[index]) > 1e-4), "different images, different features");
      // Batch composition must not change an image's features (no batch-norm statistics at inference).
      assert.ok(alone.every((value, index) => Math.abs(value - image1[index]) <= 1e-3 * Math.max(1, Math.abs(value))));
      // Layout: [tap1 avg, tap1 max, tap2 avg, tap2 max, tap3 avg]; a channel's max is never below its mean.
      for (const [offset, channels] of [[0, 192], [384, 576]]) {
        for (let channel = 0; channel < channels; channel++) assert.ok(image0[offset + channels + channel] >= image0[offset + channel] - 1e-5);
      }
    });

    it("rejects a batch that is not inputSize × inputSize RGB", async () => {
      const error = await rejectsWith(extractFeaturesTfjs(backbone, { data: new Float32Array(100 * 100 * 3), count: 1 }), "features-input-invalid");
      assert.match(error.hint ?? "", /224x224/);
    });
  });

  describe("downloadModel and URL backbones", () => {
    let server: ModelServer;

    beforeEach(async () => {
      server = await serveModel(path.dirname(offlineModelJson));
    });

    afterEach(async () => {
      await server.close();
    });

    it("downloads once, then loads from the cache without touching the server", async () => {
      const cache = await freshCache();
      const spec = resolveBackbone({ backbone: server.url, env: {}, cacheDir: cache });
      const events: ProgressEvent[] = [];
      const first = await loadBackbone({ spec, env: NO_PROXY_ENV, onProgress: (event) => events.push(event) });
      try {
        assert.deepEqual(server.requests, ["/tm/model.json", "/tm/weights.bin"]);
        assert.deepEqual(first.spec.taps.map((tap) => tap.layer), ["block_6_expand_relu", "block_13_expand_relu", "out_relu"]);
        assert.equal(featureLength(first), 2816);
        assert.equal(first.source.location, server.url);
        assert.equal(first.source.modelJsonSha256, await sha256Of(offlineModelJson), "model.json is stored byte for byte");
        assert.ok(events.some((event) => event.event === "warning" && /Keras MobileNetV2/.test(event.message)));
      } finally {
        first.dispose();
      }
      const second = await loadBackbone({ spec, env: NO_PROXY_ENV });
      second.dispose();
      assert.equal(server.requests.length, 2, "second load comes from the cache");
    });

    it("gives the same features as the offline copy when loaded by URL with the same settings", async () => {
      const cache = await freshCache();
      const offlineSpec = resolveBackbone({ backbone: OFFLINE_BACKBONE_ID, env: {}, cacheDir: sharedCache });
      const viaUrl = await loadBackbone({ spec: { ...offlineSpec, source: { kind: "url", url: server.url }, cacheDir: cache, known: false }, env: NO_PROXY_ENV });
      const local = await loadBackbone({ spec: offlineSpec });
      try {
        const data = images(1, 3);
        assert.deepEqual(await extractFeaturesTfjs(viaUrl, { data, count: 1 }), await extractFeaturesTfjs(local, { data, count: 1 }));
      } finally {
        viaUrl.dispose();
        local.dispose();
      }
    });

    it("detects a corrupted cache file and downloads again", async () => {
      const cache = await freshCache();
      const first = await downloadModel({ url: server.url, cacheDir: cache, env: NO_PROXY_ENV });
      assert.equal(first.fromCache, false);
      const weights = path.join(first.folder, "weights.bin");
      const bytes = await fs.readFile(weights);
      bytes[bytes.length >> 1] ^= 0xff;
      await fs.writeFile(weights, bytes);

      const events: ProgressEvent[] = [];
      const again = await downloadModel({ url: server.url, cacheDir: cache, env: NO_PROXY_ENV, onProgress: (event) => events.push(event) });
      assert.equal(again.fromCache, false);
      assert.equal(server.requests.length, 4);
      assert.ok(events.some((event) => event.event === "warning" && /weights\.bin does not match its sha256/.test(event.message)));
      assert.equal(await sha256Of(weights), await sha256Of(path.join(path.dirname(offlineModelJson), "weights.bin")));
      assert.equal((await downloadModel({ url: server.url, cacheDir: cache, env: NO_PROXY_ENV })).fromCache, true);
    });

    it("fails with backbone-unavailable naming the URL when the server is down and nothing is cached", async () => {
      const cache = await freshCache();
      const url = server.url;
      await server.close();
      const error = await rejectsWith(loadBackbone({ spec: resolveBackbone({ backbone: url, env: {}, cacheDir: cache }), env: NO_PROXY_ENV }), "backbone-unavailable");
      assert.ok(error.message.includes(url), error.message);
      assert.match(error.message, /not cached/);
      assert.match(error.hint ?? "", /deepfake-studio backbone --offline/);
      assert.match(error.hint ?? "", /--backbone <path>/);
      assert.deepEqual(await fs.readdir(path.join(cache, "backbones")), [], "nothing half-written");
      server = await serveModel(path.dirname(offlineModelJson));
    });

    it("says the cached copy is damaged when it cannot be re-downloaded", async () => {
      const cache = await freshCache();
      const first = await downloadModel({ url: server.url, cacheDir: cache, env: NO_PROXY_ENV });
      await fs.writeFile(path.join(first.folder, "model.json"), "{}");
      const url = server.url;
      await server.close();
      const error = await rejectsWith(downloadModel({ url, cacheDir: cache, env: NO_PROXY_ENV }), "backbone-unavailable");
      assert.match(error.message, /damaged \(model\.json does not match its sha256\)/);
      server = await serveModel(path.dirname(offlineModelJson));
    });

    it("leaves nothing behind when a download is cut off, too large, missing or cancelled", async () => {
      const cache = await freshCache();
      server.mode = "truncate-weights";
      await rejectsWith(downloadModel({ url: server.url, cacheDir: cache, env: NO_PROXY_ENV }), "backbone-unavailable");
      server.mode = "normal";
      await rejectsWith(downloadModel({ url: server.url, cacheDir: cache, env: NO_PROXY_ENV, maxBytes: 200_000 }), "backbone-too-large");
      const missing = await rejectsWith(downloadModel({ url: server.url.replace("model.json", "other.json"), cacheDir: cache, env: NO_PROXY_ENV }), "backbone-unavailable");
      assert.match(missing.message, /HTTP 404/);
      const controller = new AbortController();
      controller.abort();
      await rejectsWith(downloadModel({ url: server.url, cacheDir: cache, env: NO_PROXY_ENV, signal: controller.signal }), "cancelled");
      assert.deepEqual(await fs.readdir(path.join(cache, "backbones")), []);
    });

    it("goes through HTTP_PROXY, and not for hosts in NO_PROXY", async () => {
      const proxy = await startProxy();
      try {
        const viaProxy = await downloadModel({ url: server.url, cacheDir: await freshCache(), env: { HTTP_PROXY: proxy.url } });
        assert.equal(viaProxy.fromCache, false);
        assert.ok(proxy.count() >= 1, "the proxy saw the requests");
        assert.equal(server.requests.length, 2);

        const seen = proxy.count();
        await downloadModel({ url: server.url, cacheDir: await freshCache(), env: { HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" } });
        assert.equal(proxy.count(), seen, "NO_PROXY bypasses the proxy");
        assert.equal(server.requests.length, 4);
      } finally {
        await proxy.close();
      }
    });

    it("reads the proxy from process.env by default", async () => {
      const proxy = await startProxy();
      const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
      try {
        for (const key of Object.keys(saved)) delete process.env[key];
        process.env.HTTP_PROXY = proxy.url;
        await downloadModel({ url: server.url, cacheDir: await freshCache() });
        assert.ok(proxy.count() >= 1);
      } finally {
        for (const [key, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
        await proxy.close();
      }
    });
  });

  describe("deepfake-studio backbone", () => {
    /** Runs the sub-command with DEEPFAKE_STUDIO_CACHE set and returns its stdout lines. */
    async function run(args: string[], cache: string): Promise<string[]> {
      const program = new Command().name("deepfake-studio").exitOverride();
      registerBackboneCommand(program);
      const saved = process.env.DEEPFAKE_STUDIO_CACHE;
      const write = process.stdout.write.bind(process.stdout);
      const writeErr = process.stderr.write.bind(process.stderr);
      let out = "";
      process.env.DEEPFAKE_STUDIO_CACHE = cache;
      process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
      process.stderr.write = (() => true) as typeof process.stderr.write;
      try {
        await program.parseAsync(["node", "deepfake-studio", "backbone", ...args]);
      } finally {
        process.stdout.write = write;
        process.stderr.write = writeErr;
        if (saved === undefined) delete process.env.DEEPFAKE_STUDIO_CACHE;
        else process.env.DEEPFAKE_STUDIO_CACHE = saved;
      }
      return out.trimEnd().split("\n");
    }

    it("--offline prints the written model.json path as its last line", async () => {
      const cache = await freshCache();
      const lines = await run(["--offline"], cache);
      assert.equal(lines[lines.length - 1], path.join(cache, "backbones", OFFLINE_BACKBONE_ID, "model.json"));
      await fs.access(lines[lines.length - 1]);
    });

    it("--backbone <path> prints a summary and the model.json path last", async () => {
      const lines = await run(["--backbone", offlineModelJson], sharedCache);
      assert.equal(lines[lines.length - 1], offlineModelJson);
      assert.ok(lines.some((line) => /^feature length:\s+2816$/.test(line)), lines.join("\n"));
      const digest = await sha256Of(offlineModelJson);
      assert.ok(lines.some((line) => line.startsWith("sha256:") && line.includes(digest)), lines.join("\n"));
    });
  });
});
