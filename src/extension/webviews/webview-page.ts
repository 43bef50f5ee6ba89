/**
 * The HTML of every webview page, as plain text (no vscode import, so the headless webview specs render the same
 * page): strict CSP with the given nonce, media/panel.css (what every panel shares: body, header, notices, figure
 * captions, chart grid) before the page's own stylesheet, the bundled script last.
 */

/** The stylesheet in media/ that every webview links before its own. */
export const SHARED_STYLE = "panel.css";

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Parameters of webviewPage. */
export interface WebviewPageParams {
  /** webview.cspSource (file: in tests): where scripts, styles, images and fonts may come from. */
  cspSource: string;
  nonce: string;
  /** A file of the extension (path parts from its root) as the webview loads it: asWebviewUri, or a file: URL in tests. */
  uriOf: (...parts: string[]) => string;
  title: string;
  /** The bundle in out/dist/webview/, e.g. "check.js". */
  script: string;
  /** The page's own stylesheet in media/, e.g. "check.css" (linked after panel.css). */
  style: string;
  body: string;
  /** Allow <video>/<audio> from the webview's own resources (the check panel plays the checked video). */
  allowMedia?: boolean;
}

/** The page: CSP, panel.css then the page's stylesheet, a static skeleton body, and the script under the nonce. */
export function webviewPage(params: WebviewPageParams): string {
  const { cspSource, nonce, uriOf } = params;
  const csp = [
    "default-src 'none'",
    `img-src ${cspSource}`,
    ...(params.allowMedia ? [`media-src ${cspSource}`] : []),
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join("; ");
  const links = [SHARED_STYLE, params.style].map((style) => `<link rel="stylesheet" href="${escapeHtml(uriOf("media", style))}">`).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${links}
<title>${escapeHtml(params.title)}</title>
</head>
<body>
${params.body}
<script nonce="${nonce}" src="${escapeHtml(uriOf("out", "dist", "webview", params.script))}"></script>
</body>
</html>`;
}
