/**
 * .github/workflows/release.yml cannot run here: this spec parses it and holds it to the scripts that do run here,
 * so a renamed npm script, a new package target or a token written inline breaks the build, not the release.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
// js-yaml (a devDependency) ships no types: the spec only needs load().
const yaml = require("js-yaml") as { load(text: string): unknown };

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  "runs-on": string;
  container?: string;
  if?: string;
  needs?: string[];
  strategy?: { matrix: Record<string, string[]> };
  steps: Step[];
}
interface Workflow {
  on: { push: { branches: string[]; tags: string[] }; pull_request: unknown };
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

describe("the release workflow (.github/workflows/release.yml)", () => {
  const workflow = yaml.load(readFileSync(path.join(ROOT, ".github", "workflows", "release.yml"), "utf8")) as Workflow;
  const scripts = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  const jobs = Object.entries(workflow.jobs);
  const runs = jobs.flatMap(([id, job]) => job.steps.filter((step) => step.run).map((step) => ({ id, job, step, run: step.run! })));

  it("names only npm scripts that exist in package.json, and runs README's `npm test` on Linux", () => {
    const named = runs.flatMap(({ run }) => [...run.matchAll(/\bnpm (?:run(?:-script)?|test)\b\s*([\w:.-]*)/g)].map((match) => (match[0].startsWith("npm test") ? "test" : match[1])));
    assert.deepEqual([...new Set(named)].sort(), ["package", "test", "test:unit"]);
    for (const script of named) assert.ok(script in scripts, `npm script "${script}" is not in package.json (${Object.keys(scripts).join(", ")})`);
    const linux = jobs.filter(([, job]) => job["runs-on"] === "ubuntu-latest" && runsCommand(job, /^npm test$/));
    assert.equal(linux.length, 1, "one Linux job runs `npm test` (unit + e2e)");
    assert.match(linux[0][1].container ?? "", /bookworm/, "in Debian, whose packages the pretest installs");
    for (const step of runs) assert.doesNotMatch(step.run, /\bnpm (install|i)\b/, "CI installs with npm ci only");
  });

  it("tests on Linux, macOS and Windows; the unit suites on macOS and Windows", () => {
    const systems = new Set(jobs.flatMap(([, job]) => (job["runs-on"].includes("matrix.os") ? job.strategy?.matrix.os ?? [] : [job["runs-on"]])));
    for (const os of ["ubuntu-latest", "macos-latest", "windows-latest"]) assert.ok(systems.has(os), `${os} in ${[...systems].join(", ")}`);
    const unit = jobs.find(([, job]) => runsCommand(job, /^npm run test:unit$/));
    assert.ok(unit, "a job runs npm run test:unit");
    assert.deepEqual([...(unit[1].strategy?.matrix.os ?? [])].sort(), ["macos-latest", "windows-latest"]);
  });

  it("on a version tag only, after the tests, packages every target of scripts/package-all.mjs and publishes with tokens from secrets", () => {
    assert.deepEqual(workflow.on.push.tags, ["v*"]);
    const publishing = jobs.filter(([, job]) => job.steps.some((step) => /\b(vsce|ovsx)\b.*\bpublish\b/.test(step.run ?? "")));
    assert.equal(publishing.length, 1);
    const [, publish] = publishing[0];
    assert.match(publish.if ?? "", /startsWith\(github\.ref, 'refs\/tags\/v'\)/);
    assert.deepEqual([...(publish.needs ?? [])].sort(), jobs.filter(([id]) => id.startsWith("test")).map(([id]) => id).sort());
    const targets = execFileSync(process.execPath, [path.join(ROOT, "scripts", "package-all.mjs"), "--list"], { encoding: "utf8" }).trim().split("\n");
    assert.deepEqual(publish.strategy?.matrix.target, targets);
    assert.ok(runsCommand(publish, /^npm run package -- --target \$\{\{ matrix\.target \}\}/), "packages with npm run package -- --target");
    const tokens = publish.steps.filter((step) => /publish/.test(step.run ?? ""));
    assert.deepEqual(tokens.map((step) => Object.keys(step.env ?? {})), [["VSCE_PAT"], ["OVSX_PAT"]]);
    for (const step of tokens) {
      for (const [name, value] of Object.entries(step.env ?? {})) assert.equal(value, `\${{ secrets.${name} }}`);
      assert.doesNotMatch(step.run ?? "", /secrets\.|_PAT/, "tokens go through env, never the command line");
    }
    assert.deepEqual(workflow.permissions, { contents: "read" });
  });
});

/** True when a step of the job runs a command matching `pattern`. */
function runsCommand(job: Job, pattern: RegExp): boolean {
  return job.steps.some((step) => (step.run ?? "").split("\n").some((line) => pattern.test(line.trim())));
}
