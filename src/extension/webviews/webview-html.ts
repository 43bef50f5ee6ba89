/** The HTML shell of every webview: strict CSP with a fresh nonce, resources only through asWebviewUri. */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";

/** A fresh nonce per render (base64 of 18 random bytes). */
export function makeNonce(): string {
  return randomBytes(18).toString("base64");
}

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The folders a webview may load from: the extension's bundles (out/dist) and media/, plus extra ones (the data folder). */
export function localRoots(extensionUri: vscode.Uri, extra: vscode.Uri[] = []): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, "out", "dist"), vscode.Uri.joinPath(extensionUri, "media"), ...extra];
}

/** The page: CSP, the stylesheet from media/, the bundled script from out/dist/webview/, and a static skeleton body. */
export function renderWebviewHtml(params: {
  webview: vscode.Webview;
  extensionUri: vscode.Uri;
  title: string;
  script: string;
  style: string;
  body: string;
  /** Allow <video>/<audio> from the webview's own resources (the check panel plays the checked video). */
  allowMedia?: boolean;
}): string {
  const { webview, extensionUri } = params;
  const nonce = makeNonce();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource}`,
    ...(params.allowMedia ? [`media-src ${webview.cspSource}`] : []),
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
  ].join("; ");
  const scriptUri = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "out", "dist", "webview", params.script));
  const styleUri = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "media", params.style));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(styleUri.toString())}">
<title>${escapeHtml(params.title)}</title>
</head>
<body>
${params.body}
<script nonce="${nonce}" src="${escapeHtml(scriptUri.toString())}"></script>
</body>
</html>`;
}
