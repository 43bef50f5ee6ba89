/**
 * What the static Space's page draws "where it looked" with: the studio's own resize and drawing, bundled by
 * webview/build.mjs as cam-overlay.js, so the browser's map is made exactly as predict's.
 */
export { classMapAt } from "./resize-map";
export { drawCamOverlay } from "./draw-overlay";
