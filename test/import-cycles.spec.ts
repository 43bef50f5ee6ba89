/**
 * No module of src/ imports itself through others (a cycle leaves one side reading `undefined` while the other
 * is still loading; the CLI's commands once imported main for its Ctrl-C signal). Walks the compiled out/src,
 * starting from every file that has a source in src/ (a stale out/ file of a deleted source is not looked at).
 */
import * as assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { findRequireCycles } from "./support/require-cycles";
import { makeTempDir, removeDir } from "./support/temp-dir";

const ROOT = path.resolve(__dirname, "..", "..");

describe("import cycles", () => {
  it("src/ has none: the CLI's main imports its commands, and no command imports main", async () => {
    const sources = (await fs.readdir(path.join(ROOT, "src"), { recursive: true })).filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"));
    const compiled = sources.map((file) => path.join(ROOT, "out", "src", file.replace(/\.ts$/, ".js")));
    assert.ok(compiled.some((file) => file.endsWith(path.join("cli", "main.js"))), "the CLI's main is among the files walked");
    const cycles = findRequireCycles(compiled, path.join(ROOT, "out", "src"));
    assert.deepEqual(cycles.map((cycle) => cycle.join(" → ")), []);
  });

  it("the walk finds a cycle when there is one (a → b → a, through a folder's index.js)", async () => {
    const dir = await makeTempDir("dds-cycles-");
    try {
      await fs.mkdir(path.join(dir, "b"));
      await fs.writeFile(path.join(dir, "a.js"), 'const b = require("./b");\nconst fs = require("node:fs");\n');
      await fs.writeFile(path.join(dir, "b", "index.js"), 'const a = require("../a");\n');
      await fs.writeFile(path.join(dir, "c.js"), 'require("./a");\n');
      assert.deepEqual(findRequireCycles([path.join(dir, "c.js")], dir), [["a.js", path.join("b", "index.js"), "a.js"]]);
    } finally {
      await removeDir(dir);
    }
  });
});
