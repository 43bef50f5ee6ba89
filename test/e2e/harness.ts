/**
 * Drives the extension in a real VS Code: code-server 4.100.3 (VS Code 1.100.3, installed by setup.sh into its own
 * folder, never into this package) + Debian chromium through playwright-core. Everything it starts is stopped in stop().
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { promises as fs, existsSync, mkdirSync, openSync, closeSync, readFileSync, statSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Dialog, type Frame, type Page } from "playwright-core";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const E2E_ROOT = process.env.DEEPFAKE_STUDIO_E2E_ROOT ?? path.join(os.tmpdir(), "deepfake-studio-e2e");
export const CODE_SERVER = process.env.CODE_SERVER_BIN ?? path.join(E2E_ROOT, "cs", "node_modules", ".bin", "code-server");
export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
export const ARTIFACTS = path.join(REPO_ROOT, "test-artifacts", "e2e");
const EXTENSION_ID = "deepfake-studio.deepfake-studio";

/** Installs code-server (and chromium) with setup.sh when missing; idempotent and cached under E2E_ROOT. */
export function ensureCodeServer(): void {
  if (existsSync(CODE_SERVER) && existsSync(CHROMIUM)) return;
  const script = path.join(REPO_ROOT, "test", "e2e", "setup.sh");
  console.log(`    e2e: installing code-server + chromium with ${path.relative(REPO_ROOT, script)} (once, ~1–3 min)…`);
  const result = spawnSync("bash", [script], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEEPFAKE_STUDIO_E2E_ROOT: E2E_ROOT }, timeout: 900_000 });
  if (result.status !== 0 || !existsSync(CODE_SERVER)) throw new Error(`test/e2e/setup.sh failed (status ${result.status}); see its output above.`);
}

/** What every e2e suite does first: code-server installed, this run's screenshots folder emptied, the build present. */
export async function prepareE2eSuite(): Promise<void> {
  ensureCodeServer();
  await clearArtifactsOnce();
  if (!existsSync(path.join(REPO_ROOT, "out", "dist", "extension.js"))) throw new Error("run `npm run build` first (out/dist/extension.js is missing)");
}

/** Where packageVsix writes the .vsix (scripts/package-all.mjs names it <name>-<target>-<version>.vsix). */
const PACKAGED_VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
export const PACKAGED_VSIX = path.join(REPO_ROOT, "test-artifacts", "e2e-vsix", `deepfake-studio-linux-x64-${PACKAGED_VERSION}.vsix`);

let packagedThisRun: ReturnType<typeof packageVsix> | undefined;

/**
 * The .vsix of this build, packaged once per test process (the e2e specs share it): the real artifact by default,
 * DEEPFAKE_STUDIO_E2E_VSIX to test another, DEEPFAKE_STUDIO_E2E_UNPACKED=1 for the repository as it is (undefined).
 */
export function extensionUnderTest(): { vsix?: string; packagedMs?: number } {
  if (process.env.DEEPFAKE_STUDIO_E2E_VSIX) return { vsix: process.env.DEEPFAKE_STUDIO_E2E_VSIX };
  if (process.env.DEEPFAKE_STUDIO_E2E_UNPACKED === "1") return {};
  if (packagedThisRun) return { vsix: packagedThisRun.file };
  packagedThisRun = packageVsix();
  console.log(`    e2e: packaged ${path.relative(REPO_ROOT, packagedThisRun.file)} (${(packagedThisRun.bytes / 1e6).toFixed(1)} MB) in ${packagedThisRun.ms} ms`);
  return { vsix: packagedThisRun.file, packagedMs: packagedThisRun.ms };
}

let artifactsCleared = false;

/** Empties test-artifacts/e2e/ once per test process, so one run's screenshots are not mixed with an older run's. */
export async function clearArtifactsOnce(): Promise<void> {
  if (artifactsCleared) return;
  artifactsCleared = true;
  await fs.rm(ARTIFACTS, { recursive: true, force: true });
}

/** Packages the built extension (out/dist) for linux-x64, as `npm run package -- --target linux-x64` does minus minifying; returns the .vsix path. */
export function packageVsix(): { file: string; bytes: number; ms: number } {
  const started = Date.now();
  const file = PACKAGED_VSIX;
  mkdirSync(path.dirname(file), { recursive: true });
  const script = path.join(REPO_ROOT, "scripts", "package-all.mjs");
  const result = spawnSync(process.execPath, [script, "--target", "linux-x64", "--out", path.dirname(file)], { cwd: REPO_ROOT, encoding: "utf8", timeout: 300_000 });
  if (result.status !== 0) throw new Error(`packaging failed: ${result.stderr || result.stdout}`);
  return { file, bytes: statSync(file).size, ms: Date.now() - started };
}

export interface Workbench {
  url: string;
  base: string;
  userData: string;
  workspace: string;
  page: Page;
  context: BrowserContext;
  timings: Record<string, number>;
  /** Lines the page logged as errors (CSP violations show up here). */
  consoleErrors: string[];
  /** Stops the browser and code-server; removes the run folder unless `keep` (kept for a failed run's logs). */
  stop(options?: { keep?: boolean }): Promise<void>;
}

export interface StartParams {
  /** Extra environment for code-server and so for the extension host (proxies, HF_ENDPOINT, backbone). */
  env: Record<string, string>;
  /** User settings added to the first-run defaults. */
  settings?: Record<string, unknown>;
  /** A .vsix to install; default: the repository itself, symlinked as an unpacked extension. */
  vsix?: string;
  /** Open the workspace in Restricted Mode (workspace trust on, the folder not trusted). */
  untrusted?: boolean;
  /** Fills the workspace before VS Code opens it. */
  prepare?: (workspace: string) => Promise<void>;
}

/** Starts code-server on a free port with a fresh profile and an empty workspace, then chromium on it. */
export async function startWorkbench(params: StartParams): Promise<Workbench> {
  const t0 = Date.now();
  await fs.mkdir(E2E_ROOT, { recursive: true });
  const base = await fs.mkdtemp(path.join(E2E_ROOT, "run-"));
  const userData = path.join(base, "user-data");
  const extensions = path.join(base, "extensions");
  const workspace = path.join(base, "workspace");
  for (const dir of [userData, extensions, workspace, path.join(userData, "User")]) await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(workspace, "README.md"), "# e2e workspace\n");
  await params.prepare?.(workspace);
  await fs.writeFile(path.join(userData, "User", "settings.json"), JSON.stringify({
    "security.workspace.trust.enabled": params.untrusted === true,
    "security.workspace.trust.startupPrompt": "always",
    "workbench.startupEditor": "none",
    "workbench.welcomePage.walkthroughs.openOnInstall": false,
    "workbench.tips.enabled": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "chat.disableAIFeatures": true,
    "workbench.colorTheme": "Default Dark Modern",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "files.simpleDialog.enable": true,
    // The suites train with the studio engine; the one-time engine question would wait for an answer.
    "deepfakeStudio.train.askEngine": false,
    ...params.settings,
  }, null, 2));
  const xdg = { XDG_CONFIG_HOME: path.join(base, "xdg-config"), XDG_DATA_HOME: path.join(base, "xdg-data"), XDG_CACHE_HOME: path.join(base, "xdg-cache") };
  const env = { ...process.env, ...xdg, ...params.env };
  const common = ["--config", path.join(base, "config.yaml"), "--user-data-dir", userData, "--extensions-dir", extensions];
  if (params.vsix) {
    const installed = spawnSync(CODE_SERVER, [...common, "--install-extension", params.vsix], { env, encoding: "utf8", timeout: 180_000 });
    if (installed.status !== 0) throw new Error(`Installing ${params.vsix} failed: ${installed.stderr || installed.stdout}`);
  } else {
    const pkg = JSON.parse(await fs.readFile(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    await fs.symlink(REPO_ROOT, path.join(extensions, `${EXTENSION_ID}-${pkg.version}`));
  }
  const tInstalled = Date.now();

  const port = await freePort();
  const logFd = openSync(path.join(base, "code-server.log"), "w");
  const server: ChildProcess = spawn(CODE_SERVER, [
    ...common,
    "--auth", "none",
    "--bind-addr", `127.0.0.1:${port}`,
    "--disable-telemetry", "--disable-update-check", ...(params.untrusted ? [] : ["--disable-workspace-trust"]), "--disable-getting-started-override", "--ignore-last-opened",
    workspace,
  ], { stdio: ["ignore", logFd, logFd], detached: true, env });
  closeSync(logFd);
  const url = `http://127.0.0.1:${port}`;
  let context: BrowserContext | undefined;
  const stop = async (options: { keep?: boolean } = {}) => {
    await context?.close().catch(() => undefined);
    try {
      if (server.pid) process.kill(-server.pid, "SIGTERM");
    } catch {
      // already gone
    }
    if (!options.keep && !process.env.DEEPFAKE_STUDIO_E2E_KEEP) {
      await sleep(500);
      await fs.rm(base, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
    } else {
      console.log(`    e2e: kept ${base} (code-server.log, user-data/logs)`);
    }
  };
  try {
    await waitHttp(`${url}/healthz`, 60_000);
    const tServer = Date.now();
    context = await chromium.launchPersistentContext(path.join(base, "chrome-profile"), {
      executablePath: CHROMIUM,
      headless: true,
      env: { ...process.env, ...xdg },
      viewport: { width: 1440, height: 900 },
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleErrors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 60_000 });
    if (params.untrusted) {
      // The startup trust prompt: answer "No, I don't trust the authors" → Restricted Mode.
      await page.locator(".monaco-dialog-box .monaco-button", { hasText: "don't trust" }).first().click({ timeout: 60_000 });
    }
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "README.md" }).waitFor({ timeout: 60_000 });
    await activityBarItem(page).waitFor({ timeout: 60_000 });
    const tReady = Date.now();
    return {
      url, base, userData, workspace, page, context, consoleErrors, stop,
      timings: { installMs: tInstalled - t0, serverStartMs: tServer - tInstalled, workbenchReadyMs: tReady - tServer },
    };
  } catch (error) {
    await stop({ keep: true });
    throw error;
  }
}

/** The Deepfake Studio icon in the activity bar. */
export function activityBarItem(page: Page) {
  return page.locator('.activitybar .action-item a[aria-label^="Deepfake Studio"], .activitybar .action-item[aria-label^="Deepfake Studio"]').first();
}

/** Runs "Category: Title" from the command palette; with `input`, leaves the next quick input open. */
export async function runCommand(page: Page, label: string, options: { input?: boolean } = {}): Promise<void> {
  const widget = page.locator(".quick-input-widget");
  const input = widget.locator(".quick-input-box input");
  const row = widget.locator(".quick-input-list .monaco-list-row", { hasText: label }).first();
  // Reopen the palette until the command shows: it lists only commands enabled when it opens (right after start-up
  // one whose enablement needs workspace trust was missing, in CI), and a panel taking focus can close it under us.
  const end = Date.now() + 45_000;
  for (;;) {
    try {
      await openCommandPalette(page);
      await input.fill(`>${label}`, { timeout: 5_000 });
      await row.waitFor({ state: "visible", timeout: 5_000 });
      break;
    } catch (error) {
      if (Date.now() > end) throw error;
      await page.keyboard.press("Escape");
    }
  }
  await input.press("Enter");
  if (!options.input) await widget.waitFor({ state: "hidden" });
}

/** F1 can race a closing quick input or a focused notification: retry until the palette is really open. */
async function openCommandPalette(page: Page): Promise<void> {
  const widget = page.locator(".quick-input-widget");
  const input = widget.locator(".quick-input-box input");
  for (let attempt = 0; ; attempt++) {
    if (await widget.isVisible()) await page.keyboard.press("Escape");
    await page.keyboard.press("F1");
    try {
      await input.waitFor({ state: "visible", timeout: 5_000 });
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/** Runs "Developer: Reload Window" and waits until the reloaded workbench is back (restored editors come after). */
export async function reloadWindow(page: Page): Promise<void> {
  // A beforeunload prompt would be dismissed by default, which cancels the reload.
  const acceptUnload = (dialog: Dialog) => void (dialog.type() === "beforeunload" ? dialog.accept() : dialog.dismiss());
  page.on("dialog", acceptUnload);
  try {
    const reloaded = page.waitForEvent("load", { timeout: 60_000 });
    await runCommand(page, "Developer: Reload Window");
    await reloaded;
    await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 60_000 });
  } finally {
    page.off("dialog", acceptUnload);
  }
}

/** Right-clicks a row of the Explorer and picks a context-menu entry (once it is enabled). */
export async function explorerContextMenu(page: Page, row: string, entry: string, timeoutMs = 30_000): Promise<void> {
  const item = page.locator(".explorer-folders-view .monaco-list-row", { hasText: row }).first();
  await item.waitFor({ timeout: 15_000 });
  const action = page.locator(".context-view .monaco-menu .action-item", { hasText: entry }).first();
  // Right after start-up an entry can be listed disabled (its enablement, e.g. isWorkspaceTrusted, is not settled yet):
  // the menu does not update while open, so it is reopened until the entry is enabled.
  const end = Date.now() + timeoutMs;
  for (;;) {
    await item.click({ button: "right" });
    await action.waitFor();
    const disabled = await action.evaluate((element) => element.classList.contains("disabled") || element.querySelector('.disabled, [aria-disabled="true"]') !== null);
    if (!disabled) break;
    await page.keyboard.press("Escape");
    if (Date.now() > end) throw new Error(`"${entry}" stayed disabled in the context menu of ${row}`);
    await sleep(1000);
  }
  // Monaco menus act on mouse-up of a settled menu: hover first, then accept with Enter (what a keyboard user does).
  await action.hover();
  await page.keyboard.press("Enter");
  await page.locator(".context-view .monaco-menu").waitFor({ state: "hidden", timeout: 5_000 });
}

/** Types into the open quick input (input box or quick pick) and accepts. */
export async function answerQuickInput(page: Page, value: string | undefined, options: { placeholderIncludes?: string } = {}): Promise<void> {
  const widget = page.locator(".quick-input-widget");
  await widget.waitFor({ state: "visible" });
  const input = widget.locator(".quick-input-box input");
  if (options.placeholderIncludes) await widget.locator(`.quick-input-box input[placeholder*="${options.placeholderIncludes}"], .quick-input-title:has-text("${options.placeholderIncludes}")`).first().waitFor();
  if (value !== undefined) await input.fill(value);
  await input.press("Enter");
  await widget.waitFor({ state: "hidden" });
}

/** The environment that points the extension host at local fakes: DuckDuckGo behind HTTP(S)_PROXY, a hub via HF_ENDPOINT, the offline backbone. */
export function fakeWebEnv(params: { proxyUrl: string; hubUrl?: string }): Record<string, string> {
  const cache = path.join(REPO_ROOT, "test-artifacts", "e2e-cache");
  const backbone = spawnSync(process.execPath, [path.join(REPO_ROOT, "out", "src", "cli", "main.js"), "backbone", "--offline"], { encoding: "utf8", env: { ...process.env, DEEPFAKE_STUDIO_CACHE: cache } });
  if (backbone.status !== 0) throw new Error(`deepfake-studio backbone --offline failed: ${backbone.stderr}`);
  return {
    HTTP_PROXY: params.proxyUrl,
    HTTPS_PROXY: params.proxyUrl,
    http_proxy: params.proxyUrl,
    https_proxy: params.proxyUrl,
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
    ...(params.hubUrl ? { HF_ENDPOINT: params.hubUrl } : {}),
    HF_TOKEN: "",
    HUGGING_FACE_HUB_TOKEN: "",
    HF_HOME: path.join(cache, "hf-home"),
    DEEPFAKE_STUDIO_CACHE: cache,
    DEEPFAKE_STUDIO_BACKBONE: backbone.stdout.trim().split("\n").pop() as string,
  };
}

/** A notification toast whose text matches. */
export function toast(page: Page, text: string | RegExp) {
  return page.locator(".notifications-toasts .notification-toast", { hasText: text }).first();
}

/** The progress notification titled `title` while it runs (a toast with a Cancel button: messages have none). */
export function progressToast(page: Page, title: string | RegExp) {
  return page.locator(".notifications-toasts .notification-toast", { hasText: title }).filter({ has: page.locator(".monaco-button", { hasText: /^Cancel$/ }) }).first();
}

/**
 * Clicks `label` on a message toast. A toast that has just appeared can still slide while a progress toast closes
 * beside it (seen on a slow CI machine: the click landed where the button had been): wait until no progress toast is
 * left, click, and click again when the toast is still there, since pressing a button always closes a message.
 */
export async function clickToastButton(page: Page, message: ReturnType<typeof toast>, label: string | RegExp): Promise<void> {
  await page.locator(".notifications-toasts .notification-toast").filter({ has: page.locator(".monaco-button", { hasText: /^Cancel$/ }) }).first().waitFor({ state: "hidden", timeout: 60_000 });
  const button = message.locator(".monaco-button", { hasText: label });
  for (let attempt = 1; ; attempt += 1) {
    await button.click();
    try {
      await message.waitFor({ state: "hidden", timeout: 5_000 });
      return;
    } catch (error) {
      if (attempt === 3 || !(await button.isVisible())) throw error;
    }
  }
}

/** Waits for a notification with `text`: as a toast, else (toasts can be hidden by focus changes) in the notification center. */
export async function waitNotification(page: Page, text: string | RegExp, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await toast(page, text).isVisible()) return;
    await runCommand(page, "Notifications: Show Notifications");
    const inCenter = page.locator(".notifications-center .notification-list-item", { hasText: text }).first();
    if (await inCenter.isVisible()) {
      await page.keyboard.press("Escape");
      return;
    }
    await page.keyboard.press("Escape");
    if (Date.now() > end) throw new Error(`No notification matching ${String(text)}`);
    await sleep(1000);
  }
}

/** Closes every notification (so later waits see only new ones). */
export async function clearNotifications(page: Page): Promise<void> {
  await page.keyboard.press("Escape");
  await runCommand(page, "Notifications: Clear All Notifications").catch(() => undefined);
}

/** The webview frame (any view or panel of this extension) that contains `selector`. */
export async function webviewFrame(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (!frame.url().includes("fake.html") && !frame.url().includes("index.html")) continue;
      if (await frame.locator(selector).count().catch(() => 0)) return frame;
    }
    if (Date.now() > end) throw new Error(`No webview frame with ${selector}; frames: ${page.frames().map((f) => f.url().slice(0, 80)).join(" | ")}`);
    await sleep(250);
  }
}

/** Saves a full-page screenshot to test-artifacts/e2e/<name>.png and returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await fs.mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Polls `check` until it returns a value (not undefined/false) or the time is up. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ""}`);
    await sleep(200);
  }
}

/** The text of the extension's output channel, from the log file VS Code writes for it. */
export async function outputChannelText(userData: string): Promise<string> {
  const logs = path.join(userData, "logs");
  const files = (await fs.readdir(logs, { recursive: true }).catch(() => [] as string[])).filter((file) => file.endsWith("Deepfake Studio.log"));
  const texts = await Promise.all(files.map((file) => fs.readFile(path.join(logs, file), "utf8")));
  return texts.join("\n");
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function waitHttp(url: string, timeoutMs: number): Promise<void> {
  await waitFor(url, () => new Promise<boolean>((resolve) => {
    http.get(url, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    }).on("error", () => resolve(false));
  }), timeoutMs);
}
