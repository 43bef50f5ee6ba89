/**
 * What the static Space's face search (templates/static/face-crop.js) takes from the studio's own code, bundled by
 * webview/build.mjs into face-search.js: the face-likeness check every studio search applies, and the tilted-head
 * retry's geometry, so the page finds the same faces as import, predict and training do.
 */
export { isPlausibleFace } from "../face-crop/is-plausible-face";
export { TILT_DEGREES, turnFaceBack, turnPixels } from "./tilt-geometry";
