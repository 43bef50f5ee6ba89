/** The one shape a cleaned picture's path has: `<label folder>/<file>`, relative to the data folder, forward slashes. */

/**
 * Splits `relative` into its label folder and file name; undefined when it is anything else (a backslash, `..`, `.`,
 * an empty part, a dot-folder such as .trash, an absolute path, more or fewer than two parts).
 */
export function splitDatasetPath(relative: string): [folder: string, file: string] | undefined {
  if (relative.includes("\\") || relative.includes("\0")) return undefined;
  const parts = relative.split("/");
  if (parts.length !== 2 || parts.some((part) => part === "" || part.startsWith("."))) return undefined;
  return [parts[0], parts[1]];
}
