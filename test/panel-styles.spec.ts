/**
 * The webviews' stylesheets in media/: every page links panel.css first (webview-page.ts), so no other stylesheet
 * repeats one of its declarations (same selector, property and value); overriding a value (the cleaner's margins)
 * is allowed. The headless webview specs check the same on rendered pages (check-webview, evaluation-webview).
 */
import * as assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { SHARED_STYLE } from "../src/extension/webviews/webview-page";

const MEDIA = path.resolve(__dirname, "..", "..", "media");

/** "selector|property: value" for every declaration of a flat stylesheet (no @-rules in media/), one per selector of a list. */
function declarationsOf(css: string): Set<string> {
  const found = new Set<string>();
  for (const [, selectors, body] of css.replace(/\/\*[\s\S]*?\*\//g, "").matchAll(/([^{}]+)\{([^}]*)\}/g)) {
    for (const declaration of body.split(";").map((text) => text.trim().replace(/\s+/g, " ")).filter(Boolean)) {
      for (const selector of selectors.split(",")) found.add(`${selector.trim().replace(/\s+/g, " ")}|${declaration}`);
    }
  }
  return found;
}

describe("panel stylesheets", () => {
  it("no stylesheet repeats a declaration of the shared panel.css", async () => {
    const shared = declarationsOf(await fs.readFile(path.join(MEDIA, SHARED_STYLE), "utf8"));
    assert.ok(shared.has("body|font-family: var(--vscode-font-family)"), "panel.css is parsed");
    const others = (await fs.readdir(MEDIA)).filter((name) => name.endsWith(".css") && name !== SHARED_STYLE);
    assert.deepEqual(others.sort(), ["check.css", "cleaner.css", "evaluation.css", "training.css"]);
    for (const name of others) {
      const repeated = [...declarationsOf(await fs.readFile(path.join(MEDIA, name), "utf8"))].filter((declaration) => shared.has(declaration));
      assert.deepEqual(repeated, [], `${name} repeats panel.css`);
    }
  });
});
