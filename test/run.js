#!/usr/bin/env node
// Runs the compiled mocha suites and ends with the line CI reads: "N passed, N failed".
// Usage: node test/run.js [--unit] [file-or-glob ...]   (default: every out/test/**/*.spec.js)
"use strict";
const mochaModule = require("mocha");
const Mocha = mochaModule.Mocha ?? mochaModule.default ?? mochaModule;
const path = require("node:path");
const fs = require("node:fs");

function findSpecs(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findSpecs(full);
    return entry.name.endsWith(".spec.js") ? [full] : [];
  });
}

const root = path.resolve(__dirname, "..");
// --unit: every suite except the VS Code e2e one (out/test/e2e needs code-server and Debian; CI runs it on Linux only).
const unit = process.argv.includes("--unit");
const requested = process.argv.slice(2).filter((arg) => arg !== "--unit");
const e2eDir = path.join(root, "out", "test", "e2e") + path.sep;
const specs = requested.length > 0
  ? requested.map((file) => path.resolve(file.endsWith(".ts") ? path.join(root, "out", file.replace(/\.ts$/, ".js")) : file))
  : findSpecs(path.join(root, "out", "test")).filter((spec) => !unit || !spec.startsWith(e2eDir)).sort();

const mocha = new Mocha({ reporter: "spec", timeout: 60_000, slow: 5_000 });
for (const spec of specs) mocha.addFile(spec);
mocha.loadFilesAsync().then(() => {
  const runner = mocha.run((failures) => { process.exitCode = failures > 0 ? 1 : 0; });
  runner.on("end", () => {
    const { passes, failures, pending } = runner.stats;
    console.log(`\n${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ""}`);
  });
}, (error) => {
  console.error(error);
  console.log("\n0 passed, 1 failed");
  process.exitCode = 1;
});
