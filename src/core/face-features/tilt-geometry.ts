/**
 * The geometry of the tilted-head retry (detect-tilted-face.ts), without Node imports so the static Space bundles it:
 * the angle, how a picture is turned about its centre onto a canvas that holds its corners, and how faces found on
 * the turned copy map back into the picture's pixels.
 */
import type { DetectedFace, FacePoint } from "../face-nets/detect-faces";
import { sampleBilinear } from "../reference-data/rgb-image";

/** Each way: a face rolled 10–40° comes within the detectors' reach. */
export const TILT_DEGREES = 25;

/** Packed RGB pixels. */
export interface RgbPicture {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Grey of the turned canvas's corners (libvips' background in the studio: the same in the page). */
const CORNER_GREY = 128;

/** Maps a point of a canvas `turned` (the picture turned clockwise by `degrees` about its centre) back into the picture. */
export function turnedToPicture(picture: { width: number; height: number }, turned: { width: number; height: number }, degrees: number): (p: FacePoint) => FacePoint {
  const radians = (degrees * Math.PI) / 180;
  const [cos, sin] = [Math.cos(radians), Math.sin(radians)];
  // Centres map onto centres, as libvips turns about the centre and grows the canvas to hold the corners.
  return (p) => {
    const dx = p.x - turned.width / 2;
    const dy = p.y - turned.height / 2;
    return { x: picture.width / 2 + dx * cos + dy * sin, y: picture.height / 2 - dx * sin + dy * cos };
  };
}

/**
 * The picture turned clockwise by `degrees` about its centre, bilinear, on a canvas just large enough for its corners
 * (grey outside), in plain JavaScript for the browser; the studio turns with libvips (sharp), whose canvas and
 * interpolation differ from this by up to a pixel and about a grey level on average (test/tilt-geometry.spec.ts).
 */
export function turnPixels(picture: RgbPicture, degrees: number): { image: RgbPicture; toPicture: (p: FacePoint) => FacePoint } {
  const radians = (degrees * Math.PI) / 180;
  const [cos, sin] = [Math.abs(Math.cos(radians)), Math.abs(Math.sin(radians))];
  const width = Math.round(picture.width * cos + picture.height * sin);
  const height = Math.round(picture.width * sin + picture.height * cos);
  const toPicture = turnedToPicture(picture, { width, height }, degrees);
  const data = new Uint8Array(width * height * 3);
  const sample = new Float32Array(3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 3;
      // libvips' convention, measured against it: pixel (x, y) of either image sits at the point (x, y), no half-pixel shift.
      const p = toPicture({ x, y });
      if (p.x < -0.5 || p.y < -0.5 || p.x > picture.width - 0.5 || p.y > picture.height - 0.5) {
        data[at] = data[at + 1] = data[at + 2] = CORNER_GREY;
        continue;
      }
      // sampleBilinear puts pixel centres at +0.5.
      sampleBilinear(picture, p.x + 0.5, p.y + 0.5, sample, 0);
      data[at] = Math.round(sample[0]);
      data[at + 1] = Math.round(sample[1]);
      data[at + 2] = Math.round(sample[2]);
    }
  }
  return { image: { data, width, height }, toPicture };
}

/** A face found on a turned copy, in the picture's own pixels (its box is the bounding box of the turned-back box). */
export function turnFaceBack<Face extends Pick<DetectedFace, "box" | "landmarks">>(face: Face, toPicture: (p: FacePoint) => FacePoint): Face {
  const { x, y, width, height } = face.box;
  const corners = [{ x, y }, { x: x + width, y }, { x, y: y + height }, { x: x + width, y: y + height }].map(toPicture);
  const xs = corners.map((p) => p.x);
  const ys = corners.map((p) => p.y);
  const box = { x: Math.min(...xs), y: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
  return { ...face, box, landmarks: face.landmarks.map(toPicture) };
}
