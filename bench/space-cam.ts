/**
 * What class activation maps cost the static Space, side by side in one run, in Debian's Chromium (headless, the page
 * as a visitor gets it: ONNX Runtime Web, WebAssembly, one thread). The same model as bench/cam.ts (the offline
 * MobileNetV2, default taps, a seeded head) exported without maps and with them, each made into a Space by
 * createSpace; three pages classify the same pasted JPEGs: the export without maps, the export with maps and the
 * "Where it looked" toggle off, and with it on (the map drawn over every picture). Rounds are interleaved (the order
 * turns every round) so machine load hits all three alike.
 * Time per picture: from the paste to the page's "done" (decode, preprocess, run, bars and, toggle on, the map drawn).
 * CPU per picture: all of Chromium's processes (/proc), the frame painted after each picture included.
 * Run alone with: node out/bench/space-cam.js [pictures]  (BENCH_ROUNDS=9, BENCH_VERBOSE=1 prints each round)
 */
import { execFileSync } from "node:child_process";
import { existsSync, promises as fs, readdirSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { initProject, parseProjectConfig } from "../src/core/project/project-config";
import { createSpace } from "../src/core/space/create-space";
import { startStaticServer, type StaticServer } from "../test/support/static-server";
import { median, writeExport, writePictures } from "./cam";

const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
/** The Space tests' flags (test/space.spec.ts): no GPU, no background traffic. */
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];
/** Rounds (BENCH_ROUNDS): on a shared 2-core machine single rounds move by ±10 % or more. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const PICTURES_FOLDER = "bench-pictures";

type Variant = "withoutMaps" | "toggleOff" | "toggleOn";
const VARIANTS: Variant[] = ["withoutMaps", "toggleOff", "toggleOn"];

export interface SpaceCamBenchResult {
  pictures: number;
  rounds: number;
  /** Median over the rounds of the round's mean ms per picture, paste to "done". */
  ms: Record<Variant, number>;
  /** Median over the rounds of Chromium's CPU ms per picture (all its processes), or undefined without /proc. */
  cpuMs: Record<Variant, number> | undefined;
  loadBefore: number;
  loadAfter: number;
}

export async function benchSpaceCam(count = 24): Promise<SpaceCamBenchResult> {
  if (!existsSync(CHROMIUM)) throw new Error(`This benchmark needs Chromium at ${CHROMIUM} (Debian package chromium, or set CHROMIUM_BIN).`);
  const loadBefore = os.loadavg()[0];
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "dds-bench-space-cam-"));
  const servers: StaticServer[] = [];
  let browser: Browser | undefined;
  try {
    const projectDir = path.join(dir, "project");
    await initProject({ projectDir, config: parseProjectConfig({ categories: [{ label: "Real" }, { label: "Deepfake" }] }) });
    const exports = { withMaps: path.join(projectDir, "export"), withoutMaps: path.join(projectDir, "export-without-maps") };
    await writeExport(exports.withMaps, exports.withoutMaps);
    const pictures = await writePictures(path.join(dir, "pictures"), count);
    const spaces: Record<"withMaps" | "withoutMaps", string> = { withMaps: "", withoutMaps: "" };
    for (const which of ["withMaps", "withoutMaps"] as const) {
      const space = await createSpace({ projectDir, exportDir: exports[which], outDir: path.join(dir, `space-${which}`), examples: [], git: false });
      const hasMaps = space.files.some((file) => file.path === "cam-overlay.js");
      if (hasMaps !== (which === "withMaps")) throw new Error(`The Space of the export ${which === "withMaps" ? "with" : "without"} maps ${hasMaps ? "ships" : "lacks"} cam-overlay.js.`);
      // The same pictures in both Spaces, served like any other file of theirs.
      await fs.mkdir(path.join(space.spaceDir, PICTURES_FOLDER));
      for (const picture of pictures) await fs.copyFile(picture, path.join(space.spaceDir, PICTURES_FOLDER, path.basename(picture)));
      spaces[which] = space.spaceDir;
    }
    for (const which of ["withMaps", "withoutMaps"] as const) servers.push(await startStaticServer(spaces[which]));
    const urls = pictures.map((picture) => `${PICTURES_FOLDER}/${path.basename(picture)}`);

    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const pages: Record<Variant, Page> = {
      withoutMaps: await openSpace(browser, servers[1].url),
      toggleOff: await openSpace(browser, servers[0].url),
      toggleOn: await openSpace(browser, servers[0].url),
    };
    await pages.toggleOn.locator("#cam-toggle").check();
    // Warm-up: WebAssembly compiled, the session's first runs, the pictures fetched into blobs.
    for (const variant of VARIANTS) await classifyAll(pages[variant], variant, urls.slice(0, 4), urls);

    const wall: Record<Variant, number[]> = { withoutMaps: [], toggleOff: [], toggleOn: [] };
    const cpu: Record<Variant, number[]> = { withoutMaps: [], toggleOff: [], toggleOn: [] };
    const ticks = clockTicks();
    for (let round = 0; round < ROUNDS; round++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
      for (const variant of order) {
        await pages[variant].bringToFront();
        const cpuBefore = chromiumCpuMs(ticks);
        const times = await classifyAll(pages[variant], variant, urls, urls);
        const cpuAfter = chromiumCpuMs(ticks);
        wall[variant].push(times.reduce((a, b) => a + b, 0) / times.length);
        if (cpuBefore !== undefined && cpuAfter !== undefined) cpu[variant].push((cpuAfter - cpuBefore) / times.length);
      }
      if (process.env.BENCH_VERBOSE) process.stderr.write(`round ${round}: ${VARIANTS.map((v) => `${v} ${wall[v][round].toFixed(1)}${cpu[v][round] !== undefined ? ` (CPU ${cpu[v][round].toFixed(1)})` : ""}`).join(" / ")} ms/picture\n`);
    }
    const medians = (values: Record<Variant, number[]>) => Object.fromEntries(VARIANTS.map((v) => [v, median(values[v])])) as Record<Variant, number>;
    return { pictures: count, rounds: ROUNDS, ms: medians(wall), cpuMs: cpu.withoutMaps.length === ROUNDS ? medians(cpu) : undefined, loadBefore, loadAfter: os.loadavg()[0] };
  } finally {
    await browser?.close();
    for (const server of servers) await server.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function openSpace(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(`${url}/index.html`);
  await page.waitForFunction(() => ["ready", "error"].includes(document.getElementById("app")?.dataset.state ?? ""), undefined, { timeout: 120_000 });
  const state = await page.getAttribute("#app", "data-state");
  if (state !== "ready") throw new Error(`The Space at ${url} did not load: ${await page.textContent("#status")}`);
  return page;
}

/**
 * Pastes each picture into the page as a visitor would and times it from the paste to the page's "done"; after each,
 * the next frame is painted (untimed, but in the CPU figure). Checks the page drew the map exactly when asked to.
 */
async function classifyAll(page: Page, variant: Variant, urls: string[], allUrls: string[]): Promise<number[]> {
  const times = await page.evaluate(async ({ urls, allUrls }) => {
    const store = window as unknown as { benchBlobs?: Map<string, Blob> };
    if (!store.benchBlobs) {
      store.benchBlobs = new Map();
      for (const url of allUrls) store.benchBlobs.set(url, await (await fetch(url)).blob());
    }
    const app = document.getElementById("app")!;
    const times: number[] = [];
    for (const url of urls) {
      const transfer = new DataTransfer();
      transfer.items.add(new File([store.benchBlobs.get(url)!], "picture.jpg", { type: "image/jpeg" }));
      const finished = new Promise<string>((resolve) => {
        const observer = new MutationObserver(() => {
          const state = app.dataset.state ?? "";
          if (state === "done" || state === "error") {
            observer.disconnect();
            resolve(state);
          }
        });
        observer.observe(app, { attributes: true, attributeFilter: ["data-state"] });
      });
      const started = performance.now();
      document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
      const state = await finished;
      times.push(performance.now() - started);
      if (state !== "done") throw new Error(`${url}: ${document.getElementById("status")?.textContent}`);
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    }
    return times;
  }, { urls, allUrls });
  const drawn = await page.evaluate(() => ({ overlay: !(document.getElementById("cam-overlay") as HTMLCanvasElement).hidden, toggle: (document.getElementById("cam-toggle") as HTMLInputElement).disabled ? "disabled" : (document.getElementById("cam-toggle") as HTMLInputElement).checked ? "on" : "off" }));
  const expected = { withoutMaps: { overlay: false, toggle: "disabled" }, toggleOff: { overlay: false, toggle: "off" }, toggleOn: { overlay: true, toggle: "on" } }[variant];
  if (drawn.overlay !== expected.overlay || drawn.toggle !== expected.toggle) throw new Error(`${variant}: the page shows ${JSON.stringify(drawn)}, expected ${JSON.stringify(expected)}.`);
  return times;
}

function clockTicks(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** CPU ms (user + system) of every process under this one: Chromium's browser, renderers, GPU and utility processes. */
function chromiumCpuMs(ticks: number): number | undefined {
  if (!existsSync("/proc/self/stat")) return undefined;
  const processes = new Map<number, { parent: number; ms: number }>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Fields after the command name (in parentheses, which may hold spaces): state ppid ... utime(14) stime(15).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      processes.set(Number(name), { parent: Number(fields[1]), ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks });
    } catch {
      // Gone between the listing and the read.
    }
  }
  let total = 0;
  for (const [pid, entry] of processes) {
    if (pid === process.pid) continue;
    for (let parent = entry.parent, hops = 0; parent > 1 && hops < 16; parent = processes.get(parent)?.parent ?? 0, hops++) {
      if (parent === process.pid) {
        total += entry.ms;
        break;
      }
    }
  }
  return total;
}

/** The result as BENCHMARKS.md rows. */
export function spaceCamBenchRows(r: SpaceCamBenchResult): string[] {
  const change = (a: number, b: number) => {
    const percent = (b / a - 1) * 100;
    return `${percent >= 0 ? "+" : "−"}${Math.abs(percent).toFixed(0)} %`;
  };
  const row = (what: string, m: Record<Variant, number>) =>
    `| static Space in Chromium (ORT Web, 1 thread), ${r.pictures} JPEGs 640x480 pasted, ${what} per picture, export without maps; load ${r.loadBefore.toFixed(1)}→${r.loadAfter.toFixed(1)} | ${m.withoutMaps.toFixed(1)} ms | export with maps, toggle off: ${m.toggleOff.toFixed(1)} ms (${change(m.withoutMaps, m.toggleOff)}); toggle on (map drawn): ${m.toggleOn.toFixed(1)} ms (${change(m.withoutMaps, m.toggleOn)}; ${change(m.toggleOff, m.toggleOn)} over toggle off) |`;
  return [row("paste to result", r.ms), ...(r.cpuMs ? [row("Chromium's CPU time", r.cpuMs)] : [])];
}

if (require.main === module) {
  const count = Number(process.argv[2] ?? 24);
  benchSpaceCam(count).then((r) => {
    process.stdout.write(`${spaceCamBenchRows(r).join("\n")}\n`);
  }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
