/**
 * Reads the YAML front matter of a README (Hugging Face model cards and Space configs). Only the subset those use
 * and the studio writes: `key: scalar`, quoted or plain, and `key:` followed by `- item` lines. Enough to check a
 * Space's config and to strip a model card's header, without a YAML dependency.
 */

export type FrontMatterValue = string | number | boolean | null | FrontMatterValue[];

export interface FrontMatter {
  /** undefined when the text has no front matter block. */
  data?: Record<string, FrontMatterValue>;
  /** The text after the block (the whole text when there is none). */
  body: string;
}

export function parseFrontMatter(text: string): FrontMatter {
  const source = text.replace(/^\uFEFF/, "");
  const match = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(source);
  if (!match) return { body: source };
  const data: Record<string, FrontMatterValue> = {};
  let listKey: string | undefined;
  for (const rawLine of match[1].split(/\r?\n/)) {
    // Comments are only stripped from unquoted lines, so a quoted "#" stays part of its value.
    const line = /["']/.test(rawLine) ? rawLine : rawLine.replace(/\s+#.*$/, "");
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    const item = /^\s+-\s*(.*)$/.exec(line) ?? /^-\s+(.*)$/.exec(line);
    if (item && listKey !== undefined) {
      (data[listKey] as FrontMatterValue[]).push(scalar(item[1]));
      continue;
    }
    const entry = /^([A-Za-z_][\w-]*)\s*:(?:\s+(.*))?$/.exec(line);
    if (!entry) throw new SyntaxError(`Front matter line is not "key: value": ${JSON.stringify(rawLine)}`);
    const [, key, value] = entry;
    if (key in data) throw new SyntaxError(`Front matter repeats the key "${key}".`);
    if (value === undefined || value.trim() === "") {
      data[key] = [];
      listKey = key;
    } else {
      data[key] = value.trim().startsWith("[") ? flowList(value.trim()) : scalar(value);
      listKey = undefined;
    }
  }
  return { data, body: source.slice(match[0].length) };
}

function scalar(raw: string): FrontMatterValue {
  const value = raw.trim();
  if (value.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(value)) throw new SyntaxError(`Unterminated double-quoted value: ${value}`);
    return JSON.parse(value) as string;
  }
  if (value.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(value)) throw new SyntaxError(`Unterminated single-quoted value: ${value}`);
    return value.slice(1, -1).replace(/''/g, "'");
  }
  if (value === "true" || value === "false") return value === "true";
  if (value === "null" || value === "~") return null;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  // Plain scalars may not start with YAML indicator characters; the studio quotes anything unusual.
  if (/^[&*!|>%@`{}[\],]/.test(value)) throw new SyntaxError(`Value needs quotes: ${value}`);
  return value;
}

function flowList(value: string): FrontMatterValue[] {
  if (!value.endsWith("]")) throw new SyntaxError(`Unterminated list: ${value}`);
  const inner = value.slice(1, -1).trim();
  return inner === "" ? [] : inner.split(",").map(scalar);
}
