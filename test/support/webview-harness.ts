/**
 * Opens a webview bundle (out/dist/webview/<bundle>) in headless Chromium the way a panel shows it, without VS Code:
 * under the panels' CSP (webview-html.ts, with file: standing in for webview.cspSource), its stylesheet from media/,
 * and a stub acquireVsCodeApi that records posted messages in window.__posted and keeps state in window.__state.
 * Resolves once the bundle has posted its first message (its "ready").
 */
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
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
  const csp = `default-src 'none'; img-src file:; ${params.allowMedia ? "media-src file:; " : ""}style-src file:; script-src 'nonce-${nonce}'; font-src file:`;
  const stub = path.join(params.dir, "stub.js");
  await fs.writeFile(stub, "window.__posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => window.__state, setState: (s) => { window.__state = s; } });\n");
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${pathToFileURL(path.join(ROOT, "media", params.style))}"></head>
<body><main id="app" aria-busy="true"><p class="notice">Loading…</p></main>
<script nonce="${nonce}" src="${pathToFileURL(stub)}"></script>
<script nonce="${nonce}" src="${pathToFileURL(path.join(ROOT, "out", "dist", "webview", params.bundle))}"></script></body></html>`;
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
