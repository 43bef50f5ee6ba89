/** Finds cycles among compiled CommonJS files by their relative `require("./…")` calls (what tsc emits for imports that carry values). */
import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";

const RELATIVE_REQUIRE = /\brequire\("(\.{1,2}\/[^"]*)"\)/g;

/** The files a compiled module loads from its own tree (packages and node: modules are left out). */
function requiredFiles(file: string): string[] {
  const found: string[] = [];
  for (const [, request] of readFileSync(file, "utf8").matchAll(RELATIVE_REQUIRE)) {
    const base = path.resolve(path.dirname(file), request);
    const target = [`${base}.js`, path.join(base, "index.js"), base].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
    if (target?.endsWith(".js")) found.push(target);
  }
  return found;
}

/** Every import cycle reachable from `entries`, each as its files relative to `root`, first file repeated at the end. */
export function findRequireCycles(entries: string[], root: string): string[][] {
  const done = new Set<string>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (file: string): void => {
    const open = stack.indexOf(file);
    if (open >= 0) {
      cycles.push([...stack.slice(open), file].map((entry) => path.relative(root, entry)));
      return;
    }
    if (done.has(file)) return;
    stack.push(file);
    for (const next of requiredFiles(file)) visit(next);
    stack.pop();
    done.add(file);
  };
  for (const entry of entries) visit(entry);
  return cycles;
}
