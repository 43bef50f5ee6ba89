/**
 * A second chance for a head tilted sideways: both face detectors miss most faces rolled by about 20° or more in a
 * tight crop (on the self-blend bench's crops a third had no face found; BENCHMARKS.md), so when the upright picture
 * gives none, copies turned by ±TILT_DEGREES are searched and the face found is turned back into the picture's pixels.
 */
import sharp from "sharp";
import type { DetectedFace, FacePoint } from "../reference-data/detect-faces";

/** Each way: a face rolled 10–40° comes within the detectors' reach. */
export const TILT_DEGREES = 25;

/** Packed RGB pixels. */
export interface RgbPicture {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Runs `detect` on the picture turned by -TILT_DEGREES and then +TILT_DEGREES; the first faces found, in the picture's own pixels. */
export async function detectTiltedFaces(image: RgbPicture, detect: (image: RgbPicture) => Promise<DetectedFace[]>): Promise<DetectedFace[]> {
  for (const degrees of [-TILT_DEGREES, TILT_DEGREES]) {
    const turned = await turnPicture(image, degrees);
    const faces = await detect(turned.image);
    if (faces.length > 0) return faces.map((face) => turnFaceBack(face, turned.toPicture));
  }
  return [];
}

/** The picture turned clockwise by `degrees` about its centre (grey corners), and the map from its pixels back to the picture's. */
export async function turnPicture(image: RgbPicture, degrees: number): Promise<{ image: RgbPicture; toPicture: (p: FacePoint) => FacePoint }> {
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .rotate(degrees, { background: { r: 128, g: 128, b: 128 } })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const radians = (degrees * Math.PI) / 180;
  const [cos, sin] = [Math.cos(radians), Math.sin(radians)];
  // libvips turns about the centre and grows the canvas to hold the corners: centres map onto centres.
  const toPicture = (p: FacePoint): FacePoint => {
    const dx = p.x - info.width / 2;
    const dy = p.y - info.height / 2;
    return { x: image.width / 2 + dx * cos + dy * sin, y: image.height / 2 - dx * sin + dy * cos };
  };
  return { image: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height }, toPicture };
}

function turnFaceBack(face: DetectedFace, toPicture: (p: FacePoint) => FacePoint): DetectedFace {
  const { x, y, width, height } = face.box;
  const corners = [{ x, y }, { x: x + width, y }, { x, y: y + height }, { x: x + width, y: y + height }].map(toPicture);
  const xs = corners.map((p) => p.x);
  const ys = corners.map((p) => p.y);
  const box = { x: Math.min(...xs), y: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
  return { ...face, box, landmarks: face.landmarks.map(toPicture) };
}
