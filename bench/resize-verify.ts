import sharp from "sharp";
import { processImage } from "../src/core/shared/process-image";
import { makePhoto } from "../test/fixtures/make-images";

/** Images processed at once; measured fastest on 2 cores (sharp runs each image on one libuv worker). */
const IN_FLIGHT = 4;
/** The gather step's size, fastai's `resize_images(max_size=400)`. */
const RESIZE_MAX = 400;

export interface ResizeVerifyBench {
  images: number;
  seconds: number;
  imagesPerSecond: number;
  /** The same images through a bare sharp resize + JPEG encode, so the ratio to imagesPerSecond is meaningful. */
  sharpOnlyImagesPerSecond: number;
}

/** Times processImage over `count` ~1000 px photo-like JPEGs against a plain sharp resize of the same files. */
export async function benchResizeVerify(count = 200): Promise<ResizeVerifyBench> {
  const photos = await generatePhotos(count);
  const sharpOnly = (photo: Buffer) => sharp(photo).resize(RESIZE_MAX, RESIZE_MAX, { fit: "inside" }).jpeg().toBuffer();
  const pipeline = (photo: Buffer) => processImage(photo, { resizeMax: RESIZE_MAX });
  // Warm both paths first so neither pays for loading libvips modules or JIT inside its timing.
  await runLimited(photos.slice(0, IN_FLIGHT * 2), sharpOnly);
  await runLimited(photos.slice(0, IN_FLIGHT * 2), pipeline);
  const sharpOnlySeconds = await runLimited(photos, sharpOnly);
  const seconds = await runLimited(photos, pipeline);
  return { images: count, seconds, imagesPerSecond: count / seconds, sharpOnlyImagesPerSecond: count / sharpOnlySeconds };
}

/** Distinct photos around 1000 px, alternating landscape and portrait like a web search result page. */
async function generatePhotos(count: number): Promise<Buffer[]> {
  const photos: Buffer[] = [];
  for (let seed = 1; seed <= count; seed++) photos.push(await makePhoto(seed, seed % 2 ? 1000 : 750, seed % 2 ? 750 : 1000));
  return photos;
}

/** Runs work over every item with at most IN_FLIGHT pending, returning the wall-clock seconds taken. */
async function runLimited(items: Buffer[], work: (item: Buffer) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, worker));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

if (require.main === module) {
  benchResizeVerify().then((result) => console.log(JSON.stringify(result, null, 2)));
}
