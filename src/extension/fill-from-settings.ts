/** The settings → project-file merge, kept free of `vscode` so it is testable: the project file always wins. */

/** Fills the fields the raw project file lacks from `settings` (keyed "field" or "section.field"); present fields are never touched. */
export function fillFromSettings(raw: Record<string, unknown>, settings: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...raw };
  for (const [field, value] of Object.entries(settings)) {
    if (value === undefined || value === "") continue;
    const [head, tail] = field.split(".");
    if (tail === undefined) {
      if (!(head in result)) result[head] = value;
      continue;
    }
    const section = result[head];
    if (section !== undefined && (typeof section !== "object" || section === null || Array.isArray(section))) continue;
    const copy = { ...(section as Record<string, unknown> | undefined) };
    if (!(tail in copy)) copy[tail] = value;
    result[head] = copy;
  }
  return result;
}
