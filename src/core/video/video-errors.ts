/** Errors of reading media (checking a video and importing its frames both read them): a file ffmpeg cannot read, or no ffmpeg. */
import { StudioError } from "../shared/errors";

/** Why one input could not be checked (or could only partly be). */
export type MediaReadReason = "missing" | "not-a-file" | "empty" | "unsupported-container" | "unreadable" | "no-video-stream" | "damaged";

/** One input file could not be read; check turns it into an `{ file, error }` entry instead of stopping. */
export class MediaReadError extends StudioError {
  constructor(readonly reason: MediaReadReason, message: string, hint?: string) {
    super(message, `media-${reason}`, hint);
  }
}

/** Videos need the ffmpeg and ffprobe programs, and they were not found (or do not run). */
export class FfmpegMissingError extends StudioError {
  constructor(message: string) {
    super(message, "ffmpeg-missing",
      "Either reinstall Deepfake Studio for your platform (its ffmpeg comes in the npm packages @ffmpeg-installer/* and @ffprobe-installer/*: `npm ci` without --omit=optional), " +
        "or use a system ffmpeg: install it (Debian/Ubuntu: `sudo apt-get install ffmpeg`; macOS: `brew install ffmpeg`; Windows: `winget install ffmpeg`) so it is on the PATH, " +
        "or point DEEPFAKE_STUDIO_FFMPEG (in VS Code: the setting deepfakeStudio.check.ffmpegPath) at the ffmpeg program (ffprobe is looked for next to it). Images (JPEG, PNG) are checked without it.");
  }
}
