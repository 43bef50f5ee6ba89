/**
 * The augmented "views" of a training image, cached as extra feature rows (the backbone is frozen, so fastai's
 * per-batch augmentation becomes a fixed set of augmented copies per image). View 0 is the image itself.
 */
import { createSeededRandom } from "../shared/seeded-random";

/** Changes to the recipe below must change this, so cached features of the old views are not reused. */
export const AUGMENT_RECIPE = "a1";

/** What one view does to the decoded image, in this order: crop, squish-resize, flip, lighting. */
export interface ViewTransform {
  view: number;
  /** Source rectangle in pixels (RandomResizedCrop); the whole image for view 0. */
  crop: { left: number; top: number; width: number; height: number };
  /** Mirror left-right. */
  flip: boolean;
  /** fastai Brightness/Contrast in logit space: p' = sigmoid(contrast · (logit(p) + brightness)); 0 and 1 = unchanged. */
  brightness: number;
  contrast: number;
}

/** RandomResizedCrop(min_scale=0.5, ratio=(3/4, 4/3)) as in the lesson's item transforms. */
const MIN_SCALE = 0.5;
const RATIO: [number, number] = [3 / 4, 4 / 3];
/** aug_transforms(max_lighting=0.2, p_lighting=0.75). */
const MAX_LIGHTING = 0.2;
const P_LIGHTING = 0.75;

/**
 * The transform of `view` for an image of `width` x `height`; a pure function of the image's content hash and
 * the view number, so the same bytes always get the same views and their cached features stay valid.
 */
export function viewTransform(params: { contentSha256: string; view: number; width: number; height: number }): ViewTransform {
  const { view, width, height } = params;
  const whole = { left: 0, top: 0, width, height };
  if (view === 0) return { view, crop: whole, flip: false, brightness: 0, contrast: 1 };
  const random = createSeededRandom(Number.parseInt(params.contentSha256.slice(0, 8), 16)).derive(view);
  const flip = random.chance(0.5);
  let crop = centreCrop(width, height);
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = random.uniform(MIN_SCALE, 1) * width * height;
    const ratio = Math.exp(random.uniform(Math.log(RATIO[0]), Math.log(RATIO[1])));
    const cropWidth = Math.round(Math.sqrt(area * ratio));
    const cropHeight = Math.round(Math.sqrt(area / ratio));
    if (cropWidth >= 1 && cropHeight >= 1 && cropWidth <= width && cropHeight <= height) {
      crop = { left: random.int(width - cropWidth + 1), top: random.int(height - cropHeight + 1), width: cropWidth, height: cropHeight };
      break;
    }
  }
  const lit = random.chance(P_LIGHTING);
  const brightness = lit ? logit(0.5 + random.uniform(-MAX_LIGHTING, MAX_LIGHTING)) : 0;
  const contrast = random.chance(P_LIGHTING) ? Math.exp(random.uniform(Math.log(1 - MAX_LIGHTING), -Math.log(1 - MAX_LIGHTING))) : 1;
  return { view, crop, flip, brightness, contrast };
}

/** fastai's fallback when no random box fits: the largest centred box with the ratio clamped into range. */
function centreCrop(width: number, height: number): ViewTransform["crop"] {
  const ratio = width / height;
  const clamped = Math.min(Math.max(ratio, RATIO[0]), RATIO[1]);
  const cropWidth = ratio > clamped ? Math.round(height * clamped) : width;
  const cropHeight = ratio < clamped ? Math.round(width / clamped) : height;
  return { left: Math.floor((width - cropWidth) / 2), top: Math.floor((height - cropHeight) / 2), width: cropWidth, height: cropHeight };
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}
