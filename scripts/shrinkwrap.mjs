#!/usr/bin/env node
// `npm pack`'s prepack/postpack: the CLI tarball carries package-lock.json as npm-shrinkwrap.json, so
// `npm install -g deepfake-studio-<v>.tgz` gets exactly the dependency tree the tests ran (npm's advice for CLIs).
// The copy exists only while npm packs; left in the repository, npm would take it for the project's own lock file.
// Usage: node scripts/shrinkwrap.mjs [--remove]
import { copyFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const shrinkwrap = path.join(root, "npm-shrinkwrap.json");
if (process.argv.includes("--remove")) rmSync(shrinkwrap, { force: true });
else copyFileSync(path.join(root, "package-lock.json"), shrinkwrap);
