/** The HTML shell of every webview: strict CSP with a fresh nonce, resources only through asWebviewUri. */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { webviewPage, type WebviewPageParams } from "./webview-page";

/** A fresh nonce per render (base64 of 18 random bytes). */
export function makeNonce(): string {
  return randomBytes(18).toString("base64");
}

/** The folders a webview may load from: the extension's bundles (out/dist) and media/, plus extra ones (the data folder). */
export function localRoots(extensionUri: vscode.Uri, extra: vscode.Uri[] = []): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, "out", "dist"), vscode.Uri.joinPath(extensionUri, "media"), ...extra];
}

/** The page (webview-page.ts): media/panel.css and the page's stylesheet from media/, the bundled script from out/dist/webview/. */
export function renderWebviewHtml(params: Omit<WebviewPageParams, "cspSource" | "nonce" | "uriOf"> & { webview: vscode.Webview; extensionUri: vscode.Uri }): string {
  const { webview, extensionUri } = params;
  return webviewPage({
    ...params,
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    uriOf: (...parts) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts)).toString(),
  });
}
