/**
 * A second chance for a head tilted sideways: both face detectors miss most faces rolled by about 20° or more in a
 * tight crop (on the self-blend bench's crops a third had no face found; BENCHMARKS.md), so when the upright picture
 * gives none, copies turned by ±TILT_DEGREES are searched and the face found is turned back into the picture's pixels.
 * The geometry is shared with the static Space (tilt-geometry.ts); here libvips turns the pixels.
 */
import sharp from "sharp";
import type { DetectedFace, FacePoint } from "../face-nets/detect-faces";
import { TILT_DEGREES, turnedToPicture, turnFaceBack, type RgbPicture } from "./tilt-geometry";

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
  return { image: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height }, toPicture: turnedToPicture(image, info, degrees) };
}
