/** Import/gather outcomes in words; type imports only, so VS Code can word them at activation without loading sharp. */
import type { CategoryReport, IgnoreReason, LabelConflict } from "./ingest-image";

/** One sentence per conflict saying what happened to that picture, for the CLI and the extension alike. */
export function describeConflict(conflict: LabelConflict): string {
  if (conflict.kind === "same-pixels") {
    return `${conflict.source} was not added to "${conflict.label}": it is the same picture as ${conflict.otherFile}, already under "${conflict.otherLabel}". Decide which label is right (the cleaner can move it).`;
  }
  return `${conflict.source} was added to "${conflict.label}" as ${conflict.file}, and it looks very like ${conflict.otherFile} under "${conflict.otherLabel}" (a face swap of the same photo, or a mislabel): both are kept — check them in the cleaner.`;
}

const IGNORE_WORDS: Record<IgnoreReason, [string, string]> = {
  "symbolic-link": ["symbolic link", "links are not followed; copy the pictures themselves into the folder"],
  hidden: ["hidden file", "names starting with a dot, or inside such a folder"],
  "not-a-file": ["special file", "devices, sockets and pipes are not pictures"],
};

/** "2 symbolic links (links are not followed; …), 1 hidden file (…)", or "" when nothing was left out. */
export function describeIgnored(ignored: CategoryReport["ignored"]): string {
  return (Object.keys(IGNORE_WORDS) as IgnoreReason[])
    .filter((reason) => (ignored?.[reason] ?? 0) > 0)
    .map((reason) => {
      const [noun, why] = IGNORE_WORDS[reason];
      const count = ignored![reason]!;
      return `${count} ${noun}${count === 1 ? "" : "s"} (${why})`;
    })
    .join(", ");
}
