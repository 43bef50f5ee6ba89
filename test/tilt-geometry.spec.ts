/**
 * The tilted-head retry's geometry (face-features/tilt-geometry.ts): the static Space turns pictures in JavaScript
 * (turnPixels), the studio with libvips (detect-tilted-face.ts's turnPicture). Both must give the same canvas, nearly
 * the same pixels, and faces found on either copy must land on the same place of the picture once turned back.
 */
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { detectStillFaces } from "../src/core/face-crop/detect-still-faces";
import { turnPicture } from "../src/core/face-features/detect-tilted-face";
import { decodePicture } from "../src/core/face-features/face-landmarks";
import { TILT_DEGREES, turnFaceBack, turnPixels } from "../src/core/face-features/tilt-geometry";
import { buildFaceDataset } from "../src/core/reference-data/build-face-dataset";
import { makeTempDir, removeDir } from "./support/temp-dir";

/** Mean |JavaScript − libvips| over the turned pixels, in grey levels: bilinear both, libvips in fixed point (measured 0.97–1.15). */
const PIXEL_MEAN_TOLERANCE = 2;
/** Mean distance between the landmarks found on the two turned copies, turned back, in pixels (measured 0.42). */
const LANDMARK_TOLERANCE = 1;

describe("tilt geometry: the page's turned copy against the studio's", function () {
  this.timeout(120_000);
  let work: string;
  let crops: string[];

  before(async () => {
    work = await makeTempDir("dds-tilt-");
    await buildFaceDataset({ outDir: work, perClass: 4, seed: 3 });
    crops = (await fs.readdir(path.join(work, "Real"))).filter((name) => name.endsWith(".jpg")).sort().map((name) => path.join(work, "Real", name));
  });
  after(async () => removeDir(work));

  it("turns onto the same canvas, with nearly the same pixels, both ways", async () => {
    const picture = await decodePicture(await fs.readFile(crops[0]));
    for (const degrees of [-TILT_DEGREES, TILT_DEGREES]) {
      const studio = await turnPicture(picture, degrees);
      const page = turnPixels(picture, degrees);
      assert.ok(Math.abs(page.image.width - studio.image.width) <= 1 && Math.abs(page.image.height - studio.image.height) <= 1, `${degrees}°: ${page.image.width}x${page.image.height} vs ${studio.image.width}x${studio.image.height}`);
      // Compare where both canvases have the picture (away from the grey corners and the borders' half pixel).
      let sum = 0;
      let count = 0;
      for (let y = 0; y < Math.min(page.image.height, studio.image.height); y++) {
        for (let x = 0; x < Math.min(page.image.width, studio.image.width); x++) {
          const inPicture = studio.toPicture({ x: x + 0.5, y: y + 0.5 });
          if (inPicture.x < 2 || inPicture.y < 2 || inPicture.x > picture.width - 2 || inPicture.y > picture.height - 2) continue;
          for (let c = 0; c < 3; c++) sum += Math.abs(page.image.data[(y * page.image.width + x) * 3 + c] - studio.image.data[(y * studio.image.width + x) * 3 + c]);
          count += 3;
        }
      }
      const mean = sum / count;
      console.log(`      ${degrees}°: JavaScript vs libvips turned pixels, mean ${mean.toFixed(2)} grey levels over ${count / 3} pixels`);
      assert.ok(count > picture.width * picture.height * 0.5 * 3, "most of the picture compared");
      assert.ok(mean <= PIXEL_MEAN_TOLERANCE, `${degrees}°: ${mean}`);
    }
  });

  it(`finds a rolled head on either copy at the same place of the picture (landmarks within ${LANDMARK_TOLERANCE} px)`, async () => {
    // A crop rolled by 30° in a tight frame: upright, no detector finds it (space-face-crop.spec.ts relies on this kind).
    const turned = await sharp(crops[1]).rotate(-30, { background: "#777" }).toBuffer();
    const { width = 0, height = 0 } = await sharp(turned).metadata();
    const side = Math.round(Math.min(width, height) * 0.72);
    const picture = await decodePicture(await sharp(turned).extract({ left: Math.round((width - side) / 2), top: Math.round((height - side) / 2), width: side, height: side }).jpeg({ quality: 92 }).toBuffer());
    const detect = async (image: typeof picture) => (await detectStillFaces({ image, detector: "fast", plausibleOnly: true })).faces;
    let compared = 0;
    for (const degrees of [-TILT_DEGREES, TILT_DEGREES]) {
      const studio = await turnPicture(picture, degrees);
      const page = turnPixels(picture, degrees);
      const [studioFaces, pageFaces] = [await detect(studio.image), await detect(page.image)];
      assert.equal(pageFaces.length, studioFaces.length, `${degrees}°: as many faces on either copy`);
      if (studioFaces.length === 0) continue;
      const [a, b] = [turnFaceBack(studioFaces[0], studio.toPicture), turnFaceBack(pageFaces[0], page.toPicture)];
      const distance = a.landmarks.reduce((sum, p, i) => sum + Math.hypot(p.x - b.landmarks[i].x, p.y - b.landmarks[i].y), 0) / a.landmarks.length;
      console.log(`      ${degrees}°: landmarks found on the JavaScript copy vs the libvips copy, mean ${distance.toFixed(3)} px`);
      assert.ok(distance <= LANDMARK_TOLERANCE, `${degrees}°: ${distance}`);
      compared += 1;
    }
    assert.ok(compared >= 1, "the rolled head is found on a turned copy");
  });
});
