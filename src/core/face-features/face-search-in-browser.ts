/**
 * What the static Space's face search and crop (templates/static/face-crop.js) take from the studio's own code,
 * bundled by webview/build.mjs into face-search.js, so the page finds and cuts faces as import, predict and training
 * do: the face-likeness check every studio search applies, the close-up retry around each detector, the framing
 * (faceFrame) and the crop's resampling (cropTrainingFace), and the tilted-head retry's geometry.
 */
export { withCloseUpRetry } from "../face-crop/close-up-retry";
export { cropTrainingFace } from "../face-crop/crop-training-face";
export { isPlausibleFace } from "../face-crop/is-plausible-face";
export { faceFrame } from "../face-nets/face-frame";
export { TILT_DEGREES, turnFaceBack, turnPixels } from "./tilt-geometry";
