/**
 * Opens a webview bundle (out/dist/webview/<bundle>) in headless Chromium the way a panel shows it, without VS Code:
 * as the panels' own page (webview-page.ts: CSP with file: standing in for webview.cspSource, media/panel.css and its stylesheet),
 * and a stub acquireVsCodeApi that records posted messages in window.__posted and keeps state in window.__state.
 * Resolves once the bundle has posted its first message (its "ready").
 */
import * as assert from "node:assert/strict";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { webviewPage } from "../../src/extension/webviews/webview-page";
import { requireSystem } from "./require-system";

const ROOT = path.resolve(__dirname, "..", "..", "..");
export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--allow-file-access-from-files"];

/** Parameters of openWebviewBundle. */
export interface OpenWebviewBundleParams {
  /** A scratch folder for the page and the stub. */
  dir: string;
  /** e.g. "check.js". */
  bundle: string;
  /** e.g. "check.css". */
  style: string;
  /** The check panel allows media from its own resources. */
  allowMedia?: boolean;
  /** Filled with the Content Security Policy violations the page reports. */
  violations: string[];
}

export async function openWebviewBundle(params: OpenWebviewBundleParams): Promise<{ browser: Browser; page: Page }> {
  requireSystem(existsSync(CHROMIUM), `Chromium (${CHROMIUM})`, "chromium");
  const nonce = "dGVzdG5vbmNl";
  const stub = path.join(params.dir, "stub.js");
  await fs.writeFile(stub, "window.__posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => window.__state, setState: (s) => { window.__state = s; } });\n");
  // The panels' own page (webview-page.ts), with file: for webview.cspSource; the stub runs before the bundle.
  const html = webviewPage({
    cspSource: "file:",
    nonce,
    uriOf: (...parts) => pathToFileURL(path.join(ROOT, ...parts)).toString(),
    title: params.bundle,
    script: params.bundle,
    style: params.style,
    allowMedia: params.allowMedia,
    body: `<main id="app" aria-busy="true"><p class="notice">Loading…</p></main>\n<script nonce="${nonce}" src="${pathToFileURL(stub)}"></script>`,
  });
  await fs.writeFile(path.join(params.dir, "index.html"), html);
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) params.violations.push(message.text());
  });
  await page.goto(pathToFileURL(path.join(params.dir, "index.html")).toString());
  await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
  return { browser, page };
}

/**
 * Asserts that the page links media/panel.css before `style` and takes its shared look from panel.css alone: body
 * margins, the header bar, the title's size and figure captions change when panel.css is switched off (then back on),
 * which they would not if `style` repeated those rules.
 */
export async function assertSharedPanelStyle(page: Page, style: string): Promise<void> {
  const { sheets, withShared, withoutShared } = await page.evaluate(() => {
    const all = Array.from(document.styleSheets);
    const look = () => {
      const of = (selector: string) => getComputedStyle(document.querySelector(selector)!);
      return { bodyPadding: of("body").padding, headerDisplay: of(".header").display, titleSize: of(".header h1").fontSize, captionSize: of("figcaption").fontSize };
    };
    const shared = all.find((sheet) => sheet.href?.endsWith("/panel.css"));
    const before = look();
    if (shared) shared.disabled = true;
    const after = look();
    if (shared) shared.disabled = false;
    return { sheets: all.map((sheet) => sheet.href?.split("/").pop() ?? "(inline)"), withShared: before, withoutShared: after };
  });
  assert.deepEqual(sheets, ["panel.css", style]);
  assert.deepEqual(withShared, { bodyPadding: "12px 20px", headerDisplay: "flex", titleSize: "22.4px", captionSize: "14.4px" });
  for (const key of Object.keys(withShared) as Array<keyof typeof withShared>) {
    assert.notEqual(withoutShared[key], withShared[key], `${key} is set by panel.css, not repeated in ${style}`);
  }
}
