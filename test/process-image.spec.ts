import assert from "node:assert/strict";
import sharp, { type Sharp } from "sharp";
import { hammingDistance, NEAR_DUPLICATE_MAX_DISTANCE, perceptualHash } from "../src/core/shared/perceptual-hash";
import { ImageRejectedError, processImage, type ProcessedImage, type ProcessImageOptions, type RejectReason } from "../src/core/shared/process-image";
import { ANIMATED_GIF_FRAMES, EXIF_ROTATED_STORED, expectedOutcome, hostileImages, makePhoto, paintPhoto } from "./fixtures/make-images";

const RESIZE_MAX = 400;
const DEFAULTS: ProcessImageOptions = { resizeMax: RESIZE_MAX };

type Rgb = [number, number, number];
const WHITE: Rgb = [255, 255, 255];
const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];

/** processImage, but a rejection comes back as its reason instead of throwing. */
async function outcomeOf(body: Buffer, options = DEFAULTS): Promise<ProcessedImage | RejectReason> {
  try {
    return await processImage(body, options);
  } catch (error) {
    assert.ok(error instanceof ImageRejectedError, `expected an ImageRejectedError, got ${String(error)}`);
    assert.equal(error.code, "image-rejected");
    assert.ok(error.message.length > 20, `the message should say what is wrong: "${error.message}"`);
    return error.reason;
  }
}

/** The reason processImage rejected body, failing the test when it was kept. */
async function rejectionOf(body: Buffer, options = DEFAULTS): Promise<RejectReason> {
  const outcome = await outcomeOf(body, options);
  assert.equal(typeof outcome, "string", "expected the image to be rejected, but it was kept");
  return outcome as RejectReason;
}

/** processImage's result, failing the test with the reason when it was rejected. */
async function keptImage(body: Buffer, options = DEFAULTS): Promise<ProcessedImage> {
  const outcome = await outcomeOf(body, options);
  assert.notEqual(typeof outcome, "string", `expected the image to be kept, but it was rejected as ${String(outcome)}`);
  return outcome as ProcessedImage;
}

/** Asserts the output is what training expects: a metadata-free 3-channel sRGB JPEG within resizeMax. */
async function assertCleanJpeg(image: ProcessedImage, resizeMax = RESIZE_MAX): Promise<void> {
  const metadata = await sharp(image.jpeg).metadata();
  assert.equal(metadata.format, "jpeg");
  assert.deepEqual([metadata.width, metadata.height], [image.width, image.height]);
  assert.ok(Math.max(image.width, image.height) <= resizeMax, `${image.width}×${image.height} exceeds ${resizeMax}`);
  assert.equal(metadata.channels, 3);
  assert.equal(metadata.space, "srgb");
  assert.equal(metadata.hasAlpha, false);
  assert.equal(metadata.exif, undefined, "EXIF (GPS, camera serials) must be stripped");
  assert.equal(metadata.icc, undefined);
  assert.equal(metadata.orientation, undefined, "orientation must be baked into the pixels, not left as a tag");
  assert.match(image.pixelSha256, /^[0-9a-f]{64}$/);
  assert.match(image.perceptualHash, /^[0-9a-f]{16}$/);
}

/** Colour of the output pixel at (x, y). */
async function pixelAt(jpeg: Buffer, x: number, y: number): Promise<Rgb> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [data[at], data[at + 1], data[at + 2]];
}

/** Asserts two colours match within JPEG's rounding. */
function assertColourNear(actual: Rgb, expected: Rgb, where: string): void {
  const off = Math.max(...actual.map((value, i) => Math.abs(value - expected[i])));
  assert.ok(off <= 24, `${where}: expected about rgb(${expected.join(",")}), got rgb(${actual.join(",")})`);
}

/** A sharp pipeline reading raw RGB pixels, ready for an output format. */
function encodeRaw(pixels: Buffer, width: number, height: number): Sharp {
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

/** A 24-bit BMP, written by hand because sharp cannot write one. */
function makeBmp(width: number, height: number): Buffer {
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const header = Buffer.alloc(54);
  header.write("BM", 0, "latin1");
  header.writeUInt32LE(54 + rowBytes * height, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  return Buffer.concat([header, Buffer.alloc(rowBytes * height, 0x80)]);
}

/** Inserts a JPEG comment segment right after SOI: a different file around the very same compressed pixels. */
function withJpegComment(jpeg: Buffer, comment: string): Buffer {
  const text = Buffer.from(comment, "latin1");
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), segment, text, jpeg.subarray(2)]);
}

describe("processImage: hostile downloads end as documented", () => {
  for (const [name, make] of Object.entries(hostileImages)) {
    const expected = expectedOutcome[name as keyof typeof hostileImages];
    it(`${name} → ${expected}`, async () => {
      const { body } = await make();
      const outcome = await outcomeOf(body);
      if (expected === "kept") {
        assert.notEqual(typeof outcome, "string", `${name} was rejected as ${String(outcome)}`);
        await assertCleanJpeg(outcome as ProcessedImage);
      } else {
        assert.equal(outcome, expected);
      }
    });
  }

  it("applies EXIF orientation 6: dimensions swap and the top-left mark lands top-right", async () => {
    const image = await keptImage((await hostileImages.exifRotated()).body);
    const { width, height, markWidth, markHeight } = EXIF_ROTATED_STORED;
    const scale = RESIZE_MAX / width;
    assert.deepEqual([image.width, image.height], [Math.round(height * scale), RESIZE_MAX]);
    // Rotating 90° clockwise moves the stored top-left block to the top-right: x ≥ width−markHeight, y < markWidth.
    const insideMark = { x: image.width - Math.round((markHeight * scale) / 2), y: Math.round((markWidth * scale) / 2) };
    assertColourNear(await pixelAt(image.jpeg, insideMark.x, insideMark.y), RED, "top-right");
    assertColourNear(await pixelAt(image.jpeg, 20, insideMark.y), WHITE, "top-left");
    assertColourNear(await pixelAt(image.jpeg, insideMark.x, image.height - 20), WHITE, "bottom-right");
  });

  it("flattens transparency onto white, not black", async () => {
    const image = await keptImage((await hostileImages.pngWithAlpha()).body);
    assert.deepEqual([image.width, image.height, image.sourceFormat], [300, 200, "png"]);
    assertColourNear(await pixelAt(image.jpeg, 60, 100), WHITE, "transparent half");
    assertColourNear(await pixelAt(image.jpeg, 240, 100), BLUE, "opaque half");
  });

  it("keeps only the first frame of an animated GIF or WebP", async () => {
    const gif = (await hostileImages.animatedGif()).body;
    const webp = await sharp(gif, { animated: true }).webp({ lossless: true }).toBuffer();
    assert.equal((await sharp(webp).metadata()).pages, ANIMATED_GIF_FRAMES.length);
    for (const [format, body] of [["gif", gif], ["webp", webp]] as const) {
      const image = await keptImage(body);
      assert.deepEqual([image.width, image.height, image.sourceFormat], [200, 150, format]);
      assertColourNear(await pixelAt(image.jpeg, 100, 75), ANIMATED_GIF_FRAMES[0], `first ${format} frame`);
    }
  });

  it("converts CMYK to sRGB with the colours of the original", async () => {
    const image = await keptImage((await hostileImages.cmykJpeg()).body);
    const decoded = await sharp(image.jpeg).raw().toBuffer();
    const original = await encodeRaw(paintPhoto(104, 800, 600), 800, 600).resize(image.width, image.height).raw().toBuffer();
    const meanDifference = decoded.reduce((sum, value, i) => sum + Math.abs(value - original[i]), 0) / decoded.length;
    // A CMYK round trip through ICC profiles costs ~11 levels; CMYK read as RGB would be off by ~100.
    assert.ok(meanDifference < 20, `mean channel difference ${meanDifference.toFixed(1)} is too large`);
  });

  it("refuses a bomb from its header alone, before decoding any pixels", async () => {
    const header = (await hostileImages.bomb()).body.subarray(0, 1_000);
    // With the pixel data cut off, decoding would fail as "truncated"; only the header check says "too-many-pixels".
    assert.equal(await rejectionOf(header), "too-many-pixels");
    assert.equal(await rejectionOf(header, { ...DEFAULTS, maxInputPixels: 60_000_000 }), "truncated");
  });

  it("classifies other junk: BMP is unsupported, binary noise is not an image, a JPEG cut inside its header is truncated", async () => {
    assert.equal(await rejectionOf(makeBmp(64, 64)), "unsupported-format");
    assert.equal(await rejectionOf(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256))), "not-an-image");
    assert.equal(await rejectionOf(Buffer.from('{"error":"rate limited"}')), "not-an-image");
    assert.equal(await rejectionOf((await makePhoto(7)).subarray(0, 300)), "truncated");
  });
});

describe("processImage: size limits and formats", () => {
  it("fits a landscape and a portrait photo inside resizeMax", async () => {
    const landscape = await keptImage(await makePhoto(1, 1000, 750));
    const portrait = await keptImage(await makePhoto(2, 750, 1000));
    assert.deepEqual([landscape.width, landscape.height], [400, 300]);
    assert.deepEqual([portrait.width, portrait.height], [300, 400]);
    await assertCleanJpeg(landscape);
    await assertCleanJpeg(portrait);
  });

  it("never enlarges a small image", async () => {
    const image = await keptImage(await makePhoto(3, 200, 150));
    assert.deepEqual([image.width, image.height], [200, 150]);
  });

  it("honours resizeMax and jpegQuality", async () => {
    const photo = await makePhoto(4);
    const small = await keptImage(photo, { resizeMax: 128 });
    assert.deepEqual([small.width, small.height], [128, 96]);
    const rough = await keptImage(photo, { resizeMax: RESIZE_MAX, jpegQuality: 30 });
    const fine = await keptImage(photo, { resizeMax: RESIZE_MAX, jpegQuality: 95 });
    assert.ok(rough.jpeg.length < fine.jpeg.length / 2, `quality 30 (${rough.jpeg.length} B) should be far smaller than 95 (${fine.jpeg.length} B)`);
  });

  it("rejects sides under minSide and accepts exactly minSide", async () => {
    const flat = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: "#468" } }).png().toBuffer();
    assert.equal(await rejectionOf(await flat(31, 40)), "too-small");
    await keptImage(await flat(32, 40));
    assert.equal(await rejectionOf(await flat(100, 60), { ...DEFAULTS, minSide: 64 }), "too-small");
  });

  it("applies maxInputPixels: a 1000×750 photo passes at 750 000 and is refused at 749 999", async () => {
    const photo = await makePhoto(5);
    await keptImage(photo, { ...DEFAULTS, maxInputPixels: 750_000 });
    assert.equal(await rejectionOf(photo, { ...DEFAULTS, maxInputPixels: 749_999 }), "too-many-pixels");
  });

  it("accepts greyscale and 16-bit images as 8-bit sRGB", async () => {
    const pixels = paintPhoto(6, 300, 200);
    const grey = await keptImage(await encodeRaw(pixels, 300, 200).toColourspace("b-w").jpeg().toBuffer());
    const deep = await keptImage(await encodeRaw(pixels, 300, 200).toColourspace("rgb16").png().toBuffer());
    await assertCleanJpeg(grey);
    await assertCleanJpeg(deep);
    assert.equal((await sharp(deep.jpeg).metadata()).depth, "uchar");
  });

  it("reads WebP, TIFF and AVIF and names the source format", async () => {
    const pixels = encodeRaw(paintPhoto(8, 300, 200), 300, 200);
    assert.equal((await keptImage(await pixels.clone().webp().toBuffer())).sourceFormat, "webp");
    assert.equal((await keptImage(await pixels.clone().tiff().toBuffer())).sourceFormat, "tiff");
    assert.equal((await keptImage(await pixels.clone().avif().toBuffer())).sourceFormat, "avif");
  });

  it("refuses nonsensical options with a RangeError", async () => {
    const photo = await makePhoto(9, 100, 80);
    await assert.rejects(processImage(photo, { resizeMax: 0 }), RangeError);
    await assert.rejects(processImage(photo, { resizeMax: 400, jpegQuality: 101 }), RangeError);
  });
});

describe("processImage: duplicate detection hashes", () => {
  it("gives identical results for identical bytes", async () => {
    const photo = await makePhoto(10);
    const [first, second] = [await keptImage(photo), await keptImage(photo)];
    assert.equal(first.pixelSha256, second.pixelSha256);
    assert.equal(first.perceptualHash, second.perceptualHash);
    assert.ok(first.jpeg.equals(second.jpeg));
  });

  it("gives the same pixelSha256 to the same pixels in PNG, lossless WebP and TIFF", async () => {
    const pixels = encodeRaw(paintPhoto(11, 320, 240), 320, 240);
    const hashes = await Promise.all(
      [pixels.clone().png(), pixels.clone().webp({ lossless: true }), pixels.clone().tiff({ compression: "lzw" })].map(async (encoder) => (await keptImage(await encoder.toBuffer())).pixelSha256),
    );
    assert.deepEqual(new Set(hashes).size, 1, `hashes differ: ${hashes.join(", ")}`);
  });

  it("gives the same pixelSha256 to a JPEG with an extra metadata segment", async () => {
    const photo = await makePhoto(12);
    const wrapped = withJpegComment(photo, "Downloaded from a mirror site");
    assert.ok(!wrapped.equals(photo));
    assert.equal((await keptImage(wrapped)).pixelSha256, (await keptImage(photo)).pixelSha256);
  });

  for (const seed of [13, 14, 15, 16]) {
    it(`keeps edits of photo ${seed} within NEAR_DUPLICATE_MAX_DISTANCE (${NEAR_DUPLICATE_MAX_DISTANCE})`, async () => {
      const photo = await makePhoto(seed);
      const original = await keptImage(photo);
      const edits = {
        "re-encoded at quality 60": sharp(photo).jpeg({ quality: 60 }),
        "resized to 70 %": sharp(photo).resize(700).jpeg({ quality: 90 }),
        "brightened 10 %": sharp(photo).modulate({ brightness: 1.1 }).jpeg({ quality: 90 }),
      };
      for (const [edit, encoder] of Object.entries(edits)) {
        const edited = await keptImage(await encoder.toBuffer());
        // Lossy edits change pixels, so only the perceptual hash can match them.
        assert.notEqual(edited.pixelSha256, original.pixelSha256, edit);
        const distance = hammingDistance(original.perceptualHash, edited.perceptualHash);
        assert.ok(distance <= NEAR_DUPLICATE_MAX_DISTANCE, `${edit}: distance ${distance}`);
      }
    });
  }

  it("puts different photos further apart than NEAR_DUPLICATE_MAX_DISTANCE", async () => {
    const hashes: string[] = [];
    for (let seed = 20; seed < 36; seed++) hashes.push((await keptImage(await makePhoto(seed))).perceptualHash);
    for (let i = 0; i < hashes.length; i++) {
      for (let j = i + 1; j < hashes.length; j++) {
        const distance = hammingDistance(hashes[i], hashes[j]);
        assert.ok(distance > NEAR_DUPLICATE_MAX_DISTANCE, `photos ${20 + i} and ${20 + j} are only ${distance} bits apart`);
      }
    }
  });
});

describe("perceptualHash and hammingDistance", () => {
  it("counts differing bits", () => {
    assert.equal(hammingDistance("0000000000000000", "0000000000000000"), 0);
    assert.equal(hammingDistance("ffffffffffffffff", "0000000000000000"), 64);
    assert.equal(hammingDistance("8000000000000001", "0000000000000000"), 2);
    assert.equal(hammingDistance("F0", "0f"), 8);
  });

  it("refuses hashes of different lengths or with non-hex characters", () => {
    assert.throws(() => hammingDistance("00", "000"), RangeError);
    assert.throws(() => hammingDistance("zz", "00"), RangeError);
  });

  it("hashes raw pixels of any size and channel count, including images narrower than its 32-cell grid", async () => {
    const tiny = await perceptualHash({ data: Buffer.from(paintPhoto(40, 10, 5)), width: 10, height: 5, channels: 3 });
    assert.match(tiny, /^[0-9a-f]{16}$/);
    const rgb = paintPhoto(41, 64, 48);
    const rgba = Buffer.alloc(64 * 48 * 4, 255);
    for (let i = 0; i < 64 * 48; i++) rgb.copy(rgba, i * 4, i * 3, i * 3 + 3);
    assert.equal(await perceptualHash({ data: rgba, width: 64, height: 48, channels: 4 }), await perceptualHash({ data: rgb, width: 64, height: 48, channels: 3 }));
  });
});
