/** The error of an image that cannot become model input (decode-image-pixels.ts): predict, train and check share it. */
import { StudioError } from "./errors";

/** Why one image could not become model input. */
export type ImageReadReason = "missing" | "not-a-file" | "not-an-image" | "unsupported-format" | "damaged" | "too-many-pixels";

/** One image could not be read; predict turns it into an `{ file, error }` entry instead of stopping. */
export class ImageReadError extends StudioError {
  constructor(readonly reason: ImageReadReason, message: string) {
    super(message, "image-unreadable");
  }
}
