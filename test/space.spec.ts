/**
 * `space`: the scaffolded folder (files, README front matter, examples, .gitattributes, git + LFS), the static page
 * classifying in headless Chromium against onnxruntime-node, and the Gradio app's preprocessing against the
 * TypeScript one. Everything runs on a small real export made by test/fixtures/fake-export.ts.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, promises as fs, readFileSync } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { drawCamOverlay } from "../src/core/cam/draw-overlay";
import { classMapAt } from "../src/core/cam/resize-map";
import { createOnnxSession, runOnnx } from "../src/core/onnx";
import { InvalidExportError } from "../src/core/predict/predict-errors";
import { decideLabel } from "../src/core/predict/decide-label";
import { loadImageTensor } from "../src/core/shared/load-image-tensor";
import { createSpace, type CreateSpaceResult } from "../src/core/space/create-space";
import { ORT_FILE_NAMES } from "../src/core/space/ort-runtime-files";
import { parseFrontMatter, type FrontMatterValue } from "../src/core/space/parse-front-matter";
import { SpaceError } from "../src/core/space/space-error";
import type { Preprocess } from "../src/core/train/run-files";
import { FAKE_RUN_ID, makeFakeProject, type FakeProject } from "./fixtures/fake-export";
import { CAM_ALPHA_MEAN_TOLERANCE_SHARP, CAM_ALPHA_TOLERANCE } from "./support/cam-tolerance";
import { startStaticServer, type StaticServer } from "./support/static-server";
import { listTree, makeTempDir, removeDir, setEnv } from "./support/temp-dir";
import { requireSystem } from "./support/require-system";

const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];
const ARTIFACTS = path.resolve(__dirname, "..", "..", "test-artifacts");
const HF_COLOURS = ["red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"];

describe("space", function () {
  this.timeout(180_000);
  let root: string;
  let project: FakeProject;

  before(async () => {
    root = await makeTempDir("dds-space-");
    project = await makeFakeProject({ dir: path.join(root, "project") });
  });
  after(async () => {
    await removeDir(root);
  });

  describe("static Space folder", () => {
    let result: CreateSpaceResult;
    let spaceDir: string;

    before(async () => {
      result = await createSpace({ projectDir: project.projectDir });
      spaceDir = result.spaceDir;
    });

    it("holds the page, the model, the minimal onnxruntime-web set, examples and the Space config", async () => {
      assert.equal(spaceDir, path.join(project.projectDir, "space"));
      const files = (await listTree(spaceDir)).filter((file) => !file.startsWith(".git/"));
      assert.deepEqual(files, [
        ".gitattributes", "README.md", "app.js",
        "examples/example-1.jpg", "examples/example-2.jpg", "examples/example-3.jpg",
        "format-percent.js", "index.html", "labels.json", "model.onnx",
        "ort/ort-wasm-simd-threaded.js", "ort/ort-wasm-simd-threaded.wasm", "ort/ort.wasm.min.js",
        "preprocess.js", "preprocess.json", "space.json", "style.css",
      ]);
      assert.deepEqual(result.files.map((file) => file.path), files);
      assert.deepEqual(await fs.readdir(path.join(spaceDir, "ort")), [...ORT_FILE_NAMES].sort());
      const total = result.files.reduce((sum, file) => sum + file.bytes, 0);
      assert.ok(total < 16 * 1024 * 1024, `the Space is ${total} bytes`);
      assert.deepEqual(await fs.readFile(path.join(spaceDir, "model.onnx")), await fs.readFile(path.join(project.exportDir, "model.onnx")));
      assert.deepEqual(JSON.parse(await fs.readFile(path.join(spaceDir, "labels.json"), "utf8")), project.labels);
      assert.deepEqual(JSON.parse(await fs.readFile(path.join(spaceDir, "preprocess.json"), "utf8")), project.preprocess);
      const attributes = await fs.readFile(path.join(spaceDir, ".gitattributes"), "utf8");
      for (const pattern of ["*.onnx", "*.jpg", "*.jpeg", "*.png", "*.webp", "*.wasm"]) {
        assert.ok(attributes.includes(`${pattern} filter=lfs diff=lfs merge=lfs -text`), pattern);
      }
    });

    it("writes a README whose Spaces front matter is valid and is followed by the model card", async () => {
      const readme = await fs.readFile(path.join(spaceDir, "README.md"), "utf8");
      const data = checkSpaceConfig(readme, "static");
      const { body } = parseFrontMatter(readme);
      assert.equal(data.app_file, "index.html");
      assert.equal(data.title, "Deepfake Detector");
      assert.ok(body.includes("## Model card"));
      assert.ok(body.includes("### Deepfake detector: Deepfake Tom Cruise vs Real Tom Cruise"), "model card heading demoted");
      assert.ok(body.includes("# EXIF orientation"), "code blocks untouched");
      assert.ok(!body.includes("library_name: onnx"), "the model card's own front matter is dropped");
    });

    it("picks well-classified validation images of the exported run, one per class at least, most confident first", async () => {
      assert.equal(result.examples.length, 3);
      const byFile = new Map(project.predictions.map((prediction) => [path.join(project.dataDir, prediction.file), prediction]));
      for (const example of result.examples) {
        const prediction = byFile.get(example.source);
        assert.ok(prediction, example.source);
        assert.equal(prediction.split, "valid");
        assert.equal(prediction.predicted, prediction.label);
        assert.equal(example.label, prediction.label);
        assert.deepEqual(await fs.readFile(path.join(spaceDir, example.path)), await fs.readFile(example.source), "copied byte for byte");
      }
      assert.deepEqual(new Set(result.examples.map((example) => example.label)), new Set(project.labels));
      const valid = project.predictions.filter((prediction) => prediction.split === "valid" && prediction.predicted === prediction.label);
      for (const label of project.labels) {
        const best = valid.filter((prediction) => prediction.label === label).sort((a, b) => b.probabilities[label] - a.probabilities[label])[0];
        assert.ok(result.examples.some((example) => example.source === path.join(project.dataDir, best.file)), `best ${label} example`);
      }
      const manifest = JSON.parse(await fs.readFile(path.join(spaceDir, "space.json"), "utf8"));
      assert.equal(manifest.runId, FAKE_RUN_ID);
      assert.deepEqual(manifest.examples, result.examples.map((example) => example.path));
    });

    it("has CSP-friendly markup: no inline scripts or handlers, nothing loaded from another origin", async () => {
      const html = await fs.readFile(path.join(spaceDir, "index.html"), "utf8");
      assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval';/);
      assert.doesNotMatch(html, /\son[a-z]+\s*=/i, "inline event handler");
      assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/i, "inline script");
      assert.doesNotMatch(html, /style="/i, "inline style");
      assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, "remote resource");
      assert.ok(!html.includes("{{"), "every placeholder filled");
      const app = await fs.readFile(path.join(spaceDir, "app.js"), "utf8");
      assert.doesNotMatch(app, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
      assert.doesNotMatch(app, /https?:\/\/(?!onnxruntime)/);
    });

    it("commits the folder with git, binaries as LFS pointers", async function () {
      assert.equal(result.git.status, "committed", `git status ${result.git.status}: ${result.git.status === "skipped" ? result.git.message : ""} (Debian package git-lfs)`);
      assert.deepEqual(result.git.lfsFiles, ["examples/example-1.jpg", "examples/example-2.jpg", "examples/example-3.jpg", "model.onnx", "ort/ort-wasm-simd-threaded.wasm"]);
      const lsFiles = execFileSync("git", ["lfs", "ls-files", "--name-only"], { cwd: spaceDir, encoding: "utf8" }).trim().split("\n").sort();
      assert.deepEqual(lsFiles, result.git.lfsFiles);
      const pointer = execFileSync("git", ["show", "HEAD:model.onnx"], { cwd: spaceDir, encoding: "utf8" });
      const sha = createHash("sha256").update(await fs.readFile(path.join(spaceDir, "model.onnx"))).digest("hex");
      assert.match(pointer, new RegExp(`^version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\nsize \\d+\n$`));
      assert.equal(execFileSync("git", ["status", "--porcelain"], { cwd: spaceDir, encoding: "utf8" }), "", "working tree clean");
      assert.equal(execFileSync("git", ["rev-parse", "--abbrev-ref", "HEAD"], { cwd: spaceDir, encoding: "utf8" }).trim(), "main");
    });

    it("re-running changes nothing; --examples replaces the examples and removes the old ones", async function () {
      const again = await createSpace({ projectDir: project.projectDir });
      if (again.git.status !== "skipped") assert.equal(again.git.status, "unchanged");
      const custom = path.join(root, "custom.png");
      // A PNG with transparency and EXIF: the Space gets a plain JPEG without metadata.
      await sharp({ create: { width: 500, height: 300, channels: 4, background: { r: 200, g: 30, b: 60, alpha: 0.5 } } })
        .withExif({ IFD0: { Copyright: "someone", Artist: "GPS secret" } })
        .png()
        .toFile(custom);
      const replaced = await createSpace({ projectDir: project.projectDir, examples: [custom, path.join(project.dataDir, project.images[0].file)] });
      assert.deepEqual(replaced.examples.map((example) => example.path), ["examples/example-1.jpg", "examples/example-2.jpg"]);
      assert.ok(!existsSync(path.join(spaceDir, "examples", "example-3.jpg")), "stale example removed");
      const metadata = await sharp(path.join(spaceDir, "examples", "example-1.jpg")).metadata();
      assert.equal(metadata.format, "jpeg");
      assert.equal(metadata.exif, undefined, "no EXIF in a public example");
      if (replaced.git.status !== "skipped") {
        assert.equal(replaced.git.status, "committed");
        assert.equal(execFileSync("git", ["status", "--porcelain"], { cwd: spaceDir, encoding: "utf8" }), "");
        assert.ok(!execFileSync("git", ["ls-files"], { cwd: spaceDir, encoding: "utf8" }).includes("example-3.jpg"));
      }
      // Back to the default examples for the browser test.
      result = await createSpace({ projectDir: project.projectDir });
    });
  });

  it("quotes a title that YAML or HTML would misread", async () => {
    const title = `Tom: "deep" #fake <b>bold</b> & co`;
    const result = await createSpace({ projectDir: project.projectDir, outDir: path.join(root, "odd-title"), title, git: false });
    const data = checkSpaceConfig(await fs.readFile(path.join(result.spaceDir, "README.md"), "utf8"), "static");
    assert.equal(data.title, title);
    const html = await fs.readFile(path.join(result.spaceDir, "index.html"), "utf8");
    assert.ok(html.includes("<title>Tom: &quot;deep&quot; #fake &lt;b&gt;bold&lt;/b&gt; &amp; co</title>"));
    assert.ok(!html.includes("<b>bold</b>"));
    assert.equal(JSON.parse(await fs.readFile(path.join(result.spaceDir, "space.json"), "utf8")).title, title);
  });

  describe("refusals", () => {
    it("says to export first when there is no export", async () => {
      const dir = path.join(root, "no-export");
      await fs.mkdir(dir, { recursive: true });
      await fs.cp(path.join(project.projectDir, "deepfake-studio.json"), path.join(dir, "deepfake-studio.json"));
      await assert.rejects(createSpace({ projectDir: dir }), (error: unknown) => error instanceof InvalidExportError && /deepfake-studio export/.test(error.hint ?? ""));
    });

    it("never writes into the project folder itself or a folder it did not make", async () => {
      await assert.rejects(createSpace({ projectDir: project.projectDir, outDir: project.projectDir }), (error: unknown) => error instanceof SpaceError && error.code === "space-out-invalid");
      await assert.rejects(createSpace({ projectDir: project.projectDir, outDir: path.join(project.dataDir, "space") }), (error: unknown) => error instanceof SpaceError && error.code === "space-out-invalid");
      const foreign = path.join(root, "foreign");
      await fs.mkdir(foreign, { recursive: true });
      await fs.writeFile(path.join(foreign, "notes.txt"), "mine");
      await assert.rejects(createSpace({ projectDir: project.projectDir, outDir: foreign }), (error: unknown) => error instanceof SpaceError && /did not write/.test(error.message));
      assert.deepEqual(await fs.readdir(foreign), ["notes.txt"]);
    });

    it("explains unusable --examples", async () => {
      await assert.rejects(createSpace({ projectDir: project.projectDir, outDir: path.join(root, "bad-examples"), examples: [path.join(root, "missing.jpg")], git: false }),
        (error: unknown) => error instanceof SpaceError && error.code === "space-examples-invalid" && /does not exist/.test(error.message));
    });
  });

  describe("without git-lfs", () => {
    let restore: () => void;
    before(async () => {
      // A PATH that has git but not git-lfs.
      const bin = path.join(root, "git-only-bin");
      await fs.mkdir(bin, { recursive: true });
      const git = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
      await fs.symlink(git, path.join(bin, "git"));
      restore = setEnv({ PATH: bin });
    });
    after(() => restore());

    it("still writes the folder, skips git and says how to fix it", async () => {
      const events: string[] = [];
      const result = await createSpace({ projectDir: project.projectDir, outDir: path.join(root, "no-lfs"), onProgress: (event) => events.push(JSON.stringify(event)) });
      assert.equal(result.git.status, "skipped");
      assert.equal(result.git.status === "skipped" && result.git.reason, "git-lfs-missing");
      assert.ok(result.warnings.some((warning) => /git-lfs is not installed/.test(warning) && /just deploy: Deploy uploads through the hub API/.test(warning)));
      assert.ok(events.some((event) => event.includes("git-lfs is not installed")));
      assert.ok(existsSync(path.join(result.spaceDir, "model.onnx")));
      assert.ok(!existsSync(path.join(result.spaceDir, ".git")), "no half-made repository");
    });
  });

  describe("static page in Chromium", () => {
    let server: StaticServer;
    let browser: import("playwright-core").Browser | undefined;
    let spaceDir: string;

    before(async function () {
      requireSystem(existsSync(CHROMIUM), `Chromium (${CHROMIUM})`, "chromium");
      spaceDir = path.join(project.projectDir, "space");
      if (!existsSync(path.join(spaceDir, "index.html"))) await createSpace({ projectDir: project.projectDir });
      server = await startStaticServer(spaceDir);
      const { chromium } = await import("playwright-core");
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    });
    after(async () => {
      await browser?.close();
      await server?.close();
    });

    async function openPage(routes?: (page: import("playwright-core").Page) => Promise<void>, at: StaticServer = server) {
      const context = await browser!.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console: ${message.text()}`);
      });
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      const origins = new Set<string>();
      page.on("request", (request) => origins.add(new URL(request.url()).origin));
      page.on("response", (response) => {
        if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.url()}`);
      });
      if (routes) await routes(page);
      await page.goto(`${at.url}/index.html`);
      await page.waitForFunction(() => ["ready", "error"].includes(document.getElementById("app")?.dataset.state ?? ""), undefined, { timeout: 60_000 });
      return { context, page, problems, origins };
    }

    async function readBars(page: import("playwright-core").Page) {
      return page.$$eval("#bars li", (items) => items.map((item) => ({ label: item.querySelector(".bar-label")?.textContent ?? "", probability: Number((item as HTMLElement).dataset.probability) })));
    }

    it("classifies a clicked example like onnxruntime-node does, and looks right", async () => {
      const { context, page, problems, origins } = await openPage();
      try {
        assert.equal(await page.getAttribute("#app", "data-state"), "ready", await page.textContent("#status") ?? "");
        assert.equal(await page.locator("#preview").isVisible(), false, "no empty preview before a picture is chosen");
        assert.equal(await page.locator("#top-label").isVisible(), false);
        // The fixture's export has no `cam` output (as a fine-tuned network's): the toggle says so and stays off.
        assert.equal(await page.locator("#cam-toggle").isDisabled(), true);
        assert.equal(await page.textContent("#cam-note"), "Where it looked: not available for this model.");
        const preprocess = JSON.parse(await fs.readFile(path.join(spaceDir, "preprocess.json"), "utf8")) as Preprocess;
        const manifest = JSON.parse(await fs.readFile(path.join(spaceDir, "space.json"), "utf8")) as { examples: string[] };
        assert.equal(await page.locator("#examples .example").count(), manifest.examples.length);
        const session = await createOnnxSession(path.join(spaceDir, "model.onnx"), { threads: 1 });
        try {
          for (const [index, example] of manifest.examples.entries()) {
            await page.locator("#examples .example").nth(index).click();
            await page.waitForFunction(() => document.getElementById("app")?.dataset.state === "done", undefined, { timeout: 30_000 });
            const bars = await readBars(page);
            const [height, width] = preprocess.size;
            const input = await loadImageTensor({ source: path.join(spaceDir, example), preprocess });
            const expected = (await runOnnx(session, input, 1, height, width)).probabilities as Float32Array;
            const labels = JSON.parse(await fs.readFile(path.join(spaceDir, "labels.json"), "utf8")) as string[];
            const top = labels[expected.indexOf(Math.max(...expected))];
            assert.equal(bars[0].label, top, `${example}: top label`);
            assert.equal(await page.textContent("#top-label"), top);
            for (const bar of bars) {
              const difference = Math.abs(bar.probability - expected[labels.indexOf(bar.label)]);
              assert.ok(difference < 0.02, `${example} ${bar.label}: browser ${bar.probability} vs node ${expected[labels.indexOf(bar.label)]}`);
              if (process.env.SPACE_TEST_VERBOSE) console.log(`      ${example} ${bar.label}: browser ${bar.probability.toFixed(5)} vs node ${expected[labels.indexOf(bar.label)].toFixed(5)}`);
            }
            assert.ok(bars[0].probability >= bars[1].probability, "sorted, most likely first");
            if (index === 0) {
              await fs.mkdir(ARTIFACTS, { recursive: true });
              await page.screenshot({ path: path.join(ARTIFACTS, "space.png"), fullPage: true });
            }
          }
        } finally {
          await session.release();
        }
        assert.deepEqual([...origins], [server.url], "everything is served by the Space itself");
        assert.deepEqual(problems, [], "no console errors (CSP violations show up here)");
        assert.ok(server.requested.has("/ort/ort-wasm-simd-threaded.wasm"));
        assert.ok(server.requested.has("/model.onnx"));
      } finally {
        await context.close();
      }
    });

    it("prepares pixels like Pillow and within a level or two of sharp", async () => {
      const { context, page } = await openPage();
      try {
        const preprocess = JSON.parse(await fs.readFile(path.join(spaceDir, "preprocess.json"), "utf8")) as Preprocess;
        for (const kernel of ["linear", "cubic", "lanczos3"] as const) {
          const settings = { ...preprocess, kernel };
          // A string, not a function: TypeScript would compile a function's import() into require().
          const browserInput = await page.evaluate(`(async () => {
            const module = await import("./preprocess.js");
            const blob = await (await fetch("examples/example-1.jpg")).blob();
            const bitmap = await module.decodePicture(blob);
            return Array.from(module.bitmapToModelInput(bitmap, ${JSON.stringify(settings)}));
          })()`) as number[];
          const sharpInput = await loadImageTensor({ source: path.join(spaceDir, "examples", "example-1.jpg"), preprocess: settings });
          const { max, mean } = difference(browserInput, sharpInput);
          assert.ok(max <= 24 && mean < 0.75, `${kernel}: browser vs sharp max ${max}, mean ${mean.toFixed(3)}`);
          if (process.env.SPACE_TEST_VERBOSE) console.log(`      ${kernel}: browser vs sharp max ${max}, mean ${mean.toFixed(3)}`);
          const python = pythonWithPil();
          if (python) {
            const pil = await pythonPreprocess(python, path.join(root, "browser-check.py"), path.join(templatesDir(), "gradio"), path.join(spaceDir, "examples", "example-1.jpg"), settings);
            const exact = difference(browserInput, pil);
            assert.ok(exact.max <= 1, `${kernel}: browser vs Pillow max ${exact.max}`);
            if (process.env.SPACE_TEST_VERBOSE) console.log(`      ${kernel}: browser vs Pillow max ${exact.max}, mean ${exact.mean.toFixed(4)}`);
          }
        }
      } finally {
        await context.close();
      }
    });

    it("classifies an uploaded file and renders hostile labels as text", async () => {
      const hostile = ["<img src=x onerror=\"window.__pwned=1\">", "Real & \"quoted\" <b>bold</b>"];
      const { context, page, problems } = await openPage(async (p) => {
        await p.route("**/labels.json", (route) => route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(hostile) }));
      });
      try {
        await page.setInputFiles("#file-input", path.join(spaceDir, "examples", "example-2.jpg"));
        await page.waitForFunction(() => document.getElementById("app")?.dataset.state === "done", undefined, { timeout: 30_000 });
        const bars = await readBars(page);
        assert.deepEqual(new Set(bars.map((bar) => bar.label)), new Set(hostile));
        assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
        assert.equal(await page.locator("#bars img, #bars b, #top-label img").count(), 0);
        assert.ok(await page.locator("#preview").isVisible());
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });

    it("accepts a dropped and a pasted picture", async () => {
      const { context, page, problems } = await openPage();
      try {
        for (const [how, expected] of [["drop", "examples/example-1.jpg"], ["paste", "examples/example-2.jpg"]] as const) {
          await page.evaluate(`(async () => {
            const blob = await (await fetch(${JSON.stringify(expected)})).blob();
            const transfer = new DataTransfer();
            transfer.items.add(new File([blob], "picture.jpg", { type: "image/jpeg" }));
            if (${JSON.stringify(how)} === "drop") {
              document.getElementById("drop-zone").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
            } else {
              document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
            }
          })()`);
          await page.waitForFunction(() => document.getElementById("app")?.dataset.state === "done", undefined, { timeout: 30_000 });
          const bars = await readBars(page);
          const manifest = JSON.parse(await fs.readFile(path.join(spaceDir, "space.json"), "utf8")) as { examples: string[] };
          const label = result(manifest.examples.indexOf(expected));
          assert.equal(bars[0].label, label, how);
          await page.click("#clear");
          assert.equal(await page.getAttribute("#app", "data-state"), "ready");
        }
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }

      /** The label the exported run predicted for the n-th example (they are all correctly classified). */
      function result(index: number): string {
        const example = JSON.parse(readFileSync(path.join(spaceDir, "space.json"), "utf8")).examples[index] as string;
        const source = readFileSync(path.join(spaceDir, example));
        const prediction = project.predictions.find((p) => readFileSync(path.join(project.dataDir, p.file)).equals(source));
        assert.ok(prediction, example);
        return prediction.label;
      }
    });

    describe("where it looked (an export with maps)", () => {
      let camProject: FakeProject;
      let camServer: StaticServer;
      let camSpace: CreateSpaceResult;

      before(async () => {
        camProject = await makeFakeProject({ dir: path.join(root, "cam-project"), cam: true });
        camSpace = await createSpace({ projectDir: camProject.projectDir, git: false });
        camServer = await startStaticServer(camSpace.spaceDir);
      });
      after(async () => {
        await camServer?.close();
      });

      it(`draws the decided label's map over the picture, as Node draws it from the same input (alpha within ${CAM_ALPHA_TOLERANCE} of 255 at every pixel)`, async () => {
        assert.ok(camSpace.files.some((file) => file.path === "cam-overlay.js"), "the drawing code ships with a model that has maps");
        const { context, page, problems } = await openPage(undefined, camServer);
        try {
          assert.equal(await page.getAttribute("#app", "data-state"), "ready", await page.textContent("#status") ?? "");
          assert.equal(await page.locator("#cam-toggle").isEnabled(), true);
          assert.match((await page.textContent("#cam-note")) ?? "", /pushed the model towards its answer/);
          await page.locator("#examples .example").first().click();
          await page.waitForFunction(() => document.getElementById("app")?.dataset.state === "done", undefined, { timeout: 30_000 });
          assert.equal(await page.locator("#cam-overlay").isVisible(), false, "off until asked for");
          await page.locator("#cam-toggle").check();
          assert.equal(await page.locator("#cam-overlay").isVisible(), true);
          const box = { overlay: await page.locator("#cam-overlay").boundingBox(), preview: await page.locator("#preview").boundingBox() };
          assert.deepEqual(box.overlay, box.preview, "the map lies exactly over the picture");
          const drawn = await page.evaluate(() => {
            const canvas = document.getElementById("cam-overlay") as HTMLCanvasElement;
            return Array.from(canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data);
          });
          // The same input as the page's (its own decoding), run by onnxruntime-node and drawn by the same code.
          const manifest = JSON.parse(await fs.readFile(path.join(camSpace.spaceDir, "space.json"), "utf8")) as { examples: string[] };
          const browserInput = Float32Array.from(await page.evaluate(`(async () => {
            const module = await import("./preprocess.js");
            const bitmap = await module.decodePicture(await (await fetch(${JSON.stringify(manifest.examples[0])})).blob());
            return Array.from(module.bitmapToModelInput(bitmap, ${JSON.stringify(camProject.preprocess)}));
          })()`) as number[]);
          const [height, width] = camProject.preprocess.size;
          const fromNode = async (input: Float32Array) => {
            const session = await createOnnxSession(path.join(camSpace.spaceDir, "model.onnx"), { threads: 1 });
            try {
              const { probabilities, cam, camShape } = await runOnnx(session, input, 1, height, width, { outputs: ["probabilities", "cam"] });
              const decided = Array.from(probabilities!).indexOf(Math.max(...probabilities!));
              return drawCamOverlay({ map: classMapAt(cam!, camShape!, 0, decided, height, width), height, width });
            } finally {
              await session.release();
            }
          };
          const alpha = (pixels: ArrayLike<number>) => Array.from({ length: height * width }, (_, i) => pixels[i * 4 + 3]);
          const same = difference(alpha(drawn), alpha(await fromNode(browserInput)));
          assert.ok(same.max <= CAM_ALPHA_TOLERANCE, `browser vs node on the same input: alpha max ${same.max}, mean ${same.mean.toFixed(3)}`);
          assert.ok(alpha(drawn).some((value) => value > 100), "the map shows somewhere");
          // predict's own decoding (sharp) differs by a level or two per pixel: the map stays close.
          const sharpInput = await loadImageTensor({ source: path.join(camSpace.spaceDir, manifest.examples[0]), preprocess: camProject.preprocess });
          const close = difference(alpha(drawn), alpha(await fromNode(sharpInput)));
          assert.ok(close.mean <= CAM_ALPHA_MEAN_TOLERANCE_SHARP, `browser vs node on sharp's decoding: alpha max ${close.max}, mean ${close.mean.toFixed(3)}`);
          if (process.env.SPACE_TEST_VERBOSE) console.log(`      cam alpha: same input max ${same.max} mean ${same.mean.toFixed(3)}; sharp's decoding max ${close.max} mean ${close.mean.toFixed(3)}`);
          await fs.mkdir(ARTIFACTS, { recursive: true });
          await page.screenshot({ path: path.join(ARTIFACTS, "space-cam.png"), fullPage: true });
          await page.locator("#cam-toggle").uncheck();
          assert.equal(await page.locator("#cam-overlay").isVisible(), false);
          assert.deepEqual(problems, []);
        } finally {
          await context.close();
        }
      });
    });

    it("says so when the file is not a picture", async () => {
      const { context, page } = await openPage();
      try {
        const notAPicture = path.join(root, "not-a-picture.jpg");
        await fs.writeFile(notAPicture, "hello, I am text");
        await page.setInputFiles("#file-input", notAPicture);
        await page.waitForFunction(() => document.getElementById("app")?.dataset.state === "error", undefined, { timeout: 30_000 });
        assert.match((await page.textContent("#status")) ?? "", /not a picture/);
      } finally {
        await context.close();
      }
    });
  });

  describe("Gradio Space folder", () => {
    let result: CreateSpaceResult;

    before(async () => {
      result = await createSpace({ projectDir: project.projectDir, outDir: path.join(root, "gradio-space"), sdk: "gradio", git: false });
    });

    it("has app.py, preprocess.py, pinned requirements and a gradio front matter", async () => {
      const files = result.files.map((file) => file.path);
      for (const name of ["app.py", "preprocess.py", "requirements.txt", "model.onnx", "labels.json", "preprocess.json", "space.json", "README.md", ".gitattributes"]) assert.ok(files.includes(name), name);
      assert.ok(!files.some((file) => file.startsWith("ort/") || file === "index.html"));
      const requirements = (await fs.readFile(path.join(result.spaceDir, "requirements.txt"), "utf8")).trim().split("\n");
      assert.deepEqual(requirements.map((line) => line.split("==")[0]), ["gradio", "onnxruntime", "numpy", "pillow"]);
      assert.ok(requirements.every((line) => /^[a-z]+==\d+\.\d+\.\d+$/.test(line)), "every requirement pinned");
      const data = checkSpaceConfig(await fs.readFile(path.join(result.spaceDir, "README.md"), "utf8"), "gradio");
      assert.equal(data.app_file, "app.py");
      assert.equal(data.sdk_version, requirements[0].split("==")[1]);
      const app = await fs.readFile(path.join(result.spaceDir, "app.py"), "utf8");
      assert.match(app, /gr\.Interface\(/);
      assert.match(app, /gr\.Label\(/);
      assert.match(app, /flagging_mode="never"/);
    });

    it("wires gr.Interface as the lesson does (run with stand-in gradio and onnxruntime modules)", async function () {
      const python = pythonWithPil();
      requireSystem(python, "A python3 with numpy and PIL", "python3-numpy python3-pil");
      const stubs = path.join(root, "python-stubs");
      await fs.mkdir(stubs, { recursive: true });
      await fs.writeFile(path.join(stubs, "gradio.py"), [
        "calls = {}",
        "class Image:",
        "    def __init__(self, **kw): calls['Image'] = kw",
        "class Label:",
        "    def __init__(self, **kw): calls['Label'] = kw",
        "class Textbox:",
        "    def __init__(self, **kw): calls['Textbox'] = kw",
        "class Interface:",
        "    def __init__(self, **kw): calls['Interface'] = kw",
        "    def launch(self, *a, **kw): calls['launch'] = True",
      ].join("\n"));
      await fs.writeFile(path.join(stubs, "onnxruntime.py"), [
        "import numpy as np",
        "seen = {}",
        "class _Value:",
        "    def __init__(self, name): self.name = name",
        "class InferenceSession:",
        "    def __init__(self, path, providers=None): seen.update(path=path, providers=providers)",
        "    def get_inputs(self): return [_Value('image')]",
        "    def run(self, outputs, feeds):",
        "        seen.update(outputs=outputs, feeds=sorted(feeds), shape=list(feeds['image'].shape), dtype=str(feeds['image'].dtype))",
        "        return [np.array([[0.25, 0.75]], dtype=np.float32)]",
      ].join("\n"));
      const script = path.join(root, "run-app.py");
      await fs.writeFile(script, [
        "import json, os, sys",
        "sys.dont_write_bytecode = True",
        "stubs, space = sys.argv[1], sys.argv[2]",
        "sys.path[:0] = [stubs, space]",
        "os.chdir(space)",
        "import app, gradio, onnxruntime",
        "interface = gradio.calls['Interface']",
        "result = app.classify(app.EXAMPLES[0][0])",
        "print(json.dumps({'fn_is_classify': interface['fn'] is app.classify, 'examples': interface['examples'], 'flagging': interface.get('flagging_mode'),",
        "  'image': gradio.calls['Image'], 'label': gradio.calls['Label'], 'textbox': gradio.calls['Textbox'], 'outputs': len(interface['outputs']),",
        "  'launched': 'launch' in gradio.calls, 'title': interface['title'], 'session': onnxruntime.seen, 'result': result, 'empty': app.classify(None)}))",
      ].join("\n"));
      const output = JSON.parse(execFileSync(python, [script, stubs, result.spaceDir], { encoding: "utf8" }));
      const manifest = JSON.parse(await fs.readFile(path.join(result.spaceDir, "space.json"), "utf8"));
      assert.equal(output.fn_is_classify, true);
      assert.deepEqual(output.examples, manifest.examples.map((example: string) => [example]));
      assert.equal(output.flagging, "never");
      assert.equal(output.image.type, "filepath");
      assert.equal(output.label.num_top_classes, project.labels.length);
      assert.equal(output.launched, false, "launch only under __main__");
      assert.equal(output.title, "Deepfake Detector");
      assert.equal(output.session.path, path.join(await fs.realpath(result.spaceDir), "model.onnx"));
      assert.deepEqual(output.session.providers, ["CPUExecutionProvider"]);
      assert.deepEqual(output.session.outputs, ["probabilities"]);
      assert.deepEqual(output.session.feeds, ["image"]);
      assert.deepEqual(output.session.shape, [1, ...project.preprocess.size, 3]);
      assert.equal(output.session.dtype, "float32");
      assert.equal(output.outputs, 2, "the probabilities and the decision");
      assert.equal(output.textbox.label, "Decision");
      assert.deepEqual(output.result, [{ [project.labels[0]]: 0.25, [project.labels[1]]: 0.75 }, `${project.labels[1]}: the most probable label.`]);
      assert.deepEqual(output.empty, [{}, ""]);

      // The Space of an export with a threshold (as `export --threshold` records it) gives the threshold's label at 25 %.
      const decidedProject = await makeFakeProject({ dir: path.join(root, "decided-project"), decision: { label: project.labels[0], threshold: 0.2, method: "given" } });
      const decided = (await createSpace({ projectDir: decidedProject.projectDir, outDir: path.join(root, "gradio-space-decided"), sdk: "gradio", git: false })).spaceDir;
      const withThreshold = JSON.parse(execFileSync(python, [script, stubs, decided], { encoding: "utf8" }));
      assert.deepEqual(withThreshold.result, [{ [project.labels[0]]: 0.25, [project.labels[1]]: 0.75 }, `${project.labels[0]}: the probability of "${project.labels[0]}" (25.0%) reaches the model's decision threshold (20.0%).`]);
    });

    it("decides like predict by the export's threshold, and refuses an unusable threshold and models whose inputs it cannot make", async function () {
      const python = pythonWithPil();
      requireSystem(python, "A python3 with numpy and PIL", "python3-numpy python3-pil");
      const labels = ["Deepfake", "Real", "Other"];
      const rows = [[0.3, 0.5, 0.2], [0.2, 0.5, 0.3], [0.5, 0.25, 0.25], [0.1, 0.45, 0.45], [0.34, 0.33, 0.33], [0.05, 0.9, 0.05]];
      const decisions = [undefined, { label: "Deepfake", threshold: 0.3 }, { label: "Deepfake", threshold: 0.05 }, { label: "Real", threshold: 0.6 }, { label: "Deepfake", threshold: 0.9 }];
      const cases = decisions.flatMap((decision) => rows.map((probabilities) => ({ probabilities, decision })));
      const bad: unknown[] = [{ label: "Cat", threshold: 0.5 }, { label: "Deepfake", threshold: 1 }, { label: "Deepfake", threshold: 0 }, { label: "Deepfake", threshold: "0.5" }, { label: "Deepfake", threshold: true }, { label: "Deepfake" }, "0.5", []];
      const refused = [{ blendStatistics: { version: 1, count: 22, missing: [] } }, { faceContrast: { grid: 7 } }];
      const script = path.join(root, "decide.py");
      await fs.writeFile(script, [
        "import json, sys",
        "sys.dont_write_bytecode = True",
        "sys.path.insert(0, sys.argv[1])",
        "from preprocess import check_decision, check_preprocess, decide_label",
        "spec = json.loads(sys.stdin.read())",
        "def error(call):",
        "    try:",
        "        call()",
        "        return None",
        "    except ValueError as e:",
        "        return str(e)",
        "print(json.dumps({",
        "  'labels': [decide_label(spec['labels'], c['probabilities'], check_decision(c.get('decision'), spec['labels'])) for c in spec['cases']],",
        "  'bad': [error(lambda d=d: check_decision(d, spec['labels'])) for d in spec['bad']],",
        "  'refused': [error(lambda p=p: check_preprocess({**spec['preprocess'], **p})) for p in spec['refused']],",
        "  'plain': error(lambda: check_preprocess(spec['preprocess']))}))",
      ].join("\n"));
      const spec = JSON.stringify({ labels, cases, bad, refused, preprocess: project.preprocess });
      const output = JSON.parse(execFileSync(python, [script, path.join(templatesDir(), "gradio")], { input: spec, encoding: "utf8" })) as { labels: string[]; bad: Array<string | null>; refused: Array<string | null>; plain: string | null };
      assert.deepEqual(output.labels, cases.map((c) => labels[decideLabel({ labels, probabilities: c.probabilities, decision: c.decision })]), "the same label as predict for every case");
      assert.ok(output.labels.includes("Deepfake") && output.labels.includes("Real") && output.labels.includes("Other"), "the cases reach every label");
      for (const [i, message] of output.bad.entries()) assert.match(message ?? "", /decision threshold this app cannot use/, JSON.stringify(bad[i]));
      assert.match(output.refused[0] ?? "", /blending statistics of each face, which this Gradio app does not measure\. Create a static Space/);
      assert.match(output.refused[1] ?? "", /face contrasts .* which this Gradio app does not compute/);
      assert.equal(output.plain, null);
    });

    it("compiles with python3 and prepares pictures like the TypeScript preprocessing", async function () {
      const python = pythonWithPil();
      requireSystem(python, "A python3 with numpy and PIL", "python3-numpy python3-pil");
      execFileSync(python, ["-m", "py_compile", path.join(result.spaceDir, "app.py"), path.join(result.spaceDir, "preprocess.py")]);
      await fs.rm(path.join(result.spaceDir, "__pycache__"), { recursive: true, force: true });
      const preprocess = JSON.parse(await fs.readFile(path.join(result.spaceDir, "preprocess.json"), "utf8")) as Preprocess;
      const transparent = path.join(root, "transparent.png");
      await sharp({ create: { width: 320, height: 200, channels: 4, background: { r: 10, g: 120, b: 240, alpha: 0.3 } } }).png().toFile(transparent);
      const rotated = path.join(root, "rotated.jpg");
      await sharp(path.join(result.spaceDir, result.examples[0].path)).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toFile(rotated);
      const pictures = [...result.examples.map((example) => path.join(result.spaceDir, example.path)), transparent, rotated];
      const report: string[] = [];
      for (const kernel of ["linear", "cubic", "lanczos3"] as const) {
        const settings = { ...preprocess, kernel };
        for (const picture of pictures) {
          const fromPython = await pythonPreprocess(python, path.join(root, "check-preprocess.py"), result.spaceDir, picture, settings);
          const fromTypeScript = await loadImageTensor({ source: picture, preprocess: settings });
          const { max, mean } = difference(fromPython, fromTypeScript);
          report.push(`${kernel} ${path.basename(picture)}: max ${max}, mean ${mean.toFixed(3)}`);
          assert.ok(max <= 24 && mean < 0.75, `${kernel} ${path.basename(picture)}: Python vs TypeScript max abs diff ${max}, mean ${mean}`);
        }
      }
      if (process.env.SPACE_TEST_VERBOSE) console.log(report.join("\n"));
    });
  });
});

/** Checks the keys Hugging Face validates in a Space's README; the block is also read with js-yaml (mocha's) as a second opinion. */
function checkSpaceConfig(readme: string, sdk: string): Record<string, FrontMatterValue> {
  const { data } = parseFrontMatter(readme);
  assert.ok(data, "front matter");
  const block = /^---\n([\s\S]*?)\n---\n/.exec(readme)?.[1];
  assert.ok(block);
  const yaml = require("js-yaml") as { load(text: string): unknown };
  assert.deepEqual(yaml.load(block), data, "a real YAML parser reads the same configuration");
  assert.equal(data.sdk, sdk);
  assert.equal(typeof data.title, "string");
  assert.ok((data.title as string).length > 0);
  assert.equal(typeof data.emoji, "string");
  assert.ok(HF_COLOURS.includes(data.colorFrom as string), `colorFrom ${String(data.colorFrom)}`);
  assert.ok(HF_COLOURS.includes(data.colorTo as string), `colorTo ${String(data.colorTo)}`);
  assert.equal(typeof data.pinned, "boolean");
  assert.equal(typeof data.license, "string");
  assert.equal(typeof data.short_description, "string");
  assert.ok([...(data.short_description as string)].length <= 60, `short_description is ${String(data.short_description).length} characters`);
  return data;
}

function difference(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  assert.equal(a.length, b.length, "tensor lengths differ");
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

let pythonChoice: string | null | undefined;
/** A python3 that can import numpy and PIL (the PATH one, else Debian's /usr/bin/python3), or undefined. */
function pythonWithPil(): string | undefined {
  if (pythonChoice === undefined) {
    pythonChoice = ["python3", "/usr/bin/python3"].find((python) => {
      try {
        execFileSync(python, ["-c", "import numpy, PIL"], { stdio: "ignore" });
        return true;
      } catch {
        return false;
      }
    }) ?? null;
  }
  return pythonChoice ?? undefined;
}

/** Runs the Space's preprocess.py (from `moduleDir`) on one picture and returns the float32 tensor. */
async function pythonPreprocess(python: string, scriptPath: string, moduleDir: string, picture: string, preprocess: Preprocess): Promise<Float32Array> {
  const script = [
    "import json, sys",
    "sys.dont_write_bytecode = True",
    "sys.path.insert(0, sys.argv[1])",
    "from preprocess import check_preprocess, load_image",
    "pre = json.loads(sys.argv[3])",
    "check_preprocess(pre)",
    "array = load_image(sys.argv[2], pre)",
    "assert array.dtype.name == 'float32' and array.shape == (pre['size'][0], pre['size'][1], 3), array.shape",
    "sys.stdout.buffer.write(array.tobytes())",
  ].join("\n");
  await fs.writeFile(scriptPath, script);
  const stdout = await new Promise<Buffer>((resolve, reject) => {
    const child = spawn(python, [scriptPath, moduleDir, picture, JSON.stringify(preprocess)], { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`python exited ${code}: ${Buffer.concat(err).toString("utf8")}`))));
  });
  return new Float32Array(stdout.buffer, stdout.byteOffset, stdout.length / 4);
}

function templatesDir(): string {
  return path.resolve(__dirname, "..", "..", "templates");
}


