#!/usr/bin/env node
// `npm test`'s pretest: what the suites need from the system is there before any suite starts, so none is skipped.
// As root with apt-get (CI, a fresh container) it installs the missing Debian packages; otherwise it names them and stops.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");

const succeeds = (command, args) => spawnSync(command, args, { stdio: "ignore" }).status === 0;
const onPath = (command) => succeeds("sh", ["-c", `command -v ${command}`]);
const python = () => ["python3", "/usr/bin/python3"];
const pythonImports = (modules) => python().some((candidate) => succeeds(candidate, ["-c", `import ${modules}`]));

/** Each Debian package, and how to tell it is usable; what the suites use it for. */
const NEEDS = [
  { pkg: "chromium", ok: () => fs.existsSync(process.env.CHROMIUM_BIN ?? "/usr/bin/chromium"), why: "Space pages, webview panels and the VS Code e2e run in it" },
  { pkg: "ffmpeg", ok: () => onPath("ffmpeg") && onPath("ffprobe"), why: "check samples video frames" },
  { pkg: "git-lfs", ok: () => succeeds("git", ["lfs", "version"]), why: "Space folders keep binaries in LFS" },
  { pkg: "python3-numpy", ok: () => pythonImports("numpy"), why: "the Gradio app's preprocessing" },
  { pkg: "python3-pil", ok: () => pythonImports("PIL"), why: "the Gradio app's preprocessing" },
  { pkg: "python3-onnx", ok: () => pythonImports("onnx"), why: "onnx.checker on exported models" },
  { pkg: "libkrb5-dev", ok: () => fs.existsSync("/usr/include/krb5.h") || fs.existsSync("/usr/include/krb5/krb5.h"), why: "code-server's kerberos addon builds against it (e2e)" },
  { pkg: "pkg-config", ok: () => onPath("pkg-config"), why: "code-server's native addons (e2e)" },
  { pkg: "openssl", ok: () => onPath("openssl"), why: "certificates for the TLS failure tests" },
  { pkg: "ripgrep", ok: () => onPath("rg"), why: "code-server's search, standing in for its download (e2e)" },
];

const missing = () => NEEDS.filter((need) => !need.ok());
let absent = missing();
if (absent.length > 0 && process.getuid?.() === 0 && onPath("apt-get")) {
  const names = absent.map((need) => need.pkg);
  console.log(`Installing the system packages the tests need: ${names.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("apt-get", ["-o", "DPkg::Lock::Timeout=300", "update", "-qq"], { stdio: "inherit", env });
  spawnSync("apt-get", ["-o", "DPkg::Lock::Timeout=300", "install", "-y", "-qq", ...names], { stdio: "inherit", env });
  absent = missing();
}
if (absent.length > 0) {
  const names = absent.map((need) => need.pkg).join(" ");
  console.error(`npm test needs these system packages, missing here: ${absent.map((need) => `${need.pkg} (${need.why})`).join("; ")}. Install them (Debian/Ubuntu: sudo apt-get install -y ${names}) and run npm test again.`);
  console.log("\n0 passed, 1 failed");
  process.exit(1);
}
