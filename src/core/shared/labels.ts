/** Labels become folder names (fastai's parent_label reads them back), so they must be safe on every OS. */
import { StudioError } from "./errors";

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const MAX_FOLDER_LENGTH = 80;

/** Maps a category label to a folder name with no separators, no `..`, no control or reserved names. */
export function labelToFolderName(label: string): string {
  const cleaned = label
    .normalize("NFC")
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]/g, "_")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^\.+/, "")
    .replace(/[. ]+$/, "")
    .slice(0, MAX_FOLDER_LENGTH)
    .trim();
  if (cleaned === "" || /^_+$/.test(cleaned)) {
    throw new StudioError(`The label "${label}" has no usable characters for a folder name.`, "label-invalid", "Use letters or digits in category labels.");
  }
  return WINDOWS_RESERVED.test(cleaned) ? `${cleaned}_` : cleaned;
}
