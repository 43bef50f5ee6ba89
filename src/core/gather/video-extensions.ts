/** The file types `import` reads as videos (what the check reads): no heavy import, so VS Code's dialog can use it. */
export const VIDEO_EXTENSIONS: ReadonlySet<string> = new Set([".mp4", ".m4v", ".mov", ".webm", ".mkv"]);
