import { strict as assert } from "node:assert";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { allowsPublishing } from "../src/core/dataset/allows-publishing";
import { MANIFEST_FILE_NAME, type ManifestRecord } from "../src/core/dataset/manifest";
import { createSpace } from "../src/core/space/create-space";
import { makeFakeProject, type FakeProject } from "./fixtures/fake-export";
import { makeTempDir, removeDir } from "./support/temp-dir";

describe("space examples and licences", function () {
  this.timeout(180_000);
  let root: string;
  let project: FakeProject;

  before(async () => {
    root = await makeTempDir("dds-space-licences-");
    project = await makeFakeProject({ dir: path.join(root, "project") });
  });
  after(async () => {
    await removeDir(root);
  });

  /** Writes the provenance manifest gather would have written, with `licensed` files carrying a licence. */
  async function writeManifest(licensed: Map<string, Partial<ManifestRecord>>): Promise<void> {
    const lines = project.images.map((image, index) => {
      const extra = licensed.get(image.file) ?? {};
      const record = { file: image.file, label: image.label, source: extra.license ? "wikimedia" : "duckduckgo", imageUrl: `https://img.example/${index}.jpg`, sha256: "0".repeat(64), pixelSha256: "0".repeat(64), perceptualHash: "0".repeat(16), width: 400, height: 300, sourceFormat: "jpeg", time: new Date(0).toISOString(), ...extra };
      return JSON.stringify(record);
    });
    await fs.writeFile(path.join(project.dataDir, MANIFEST_FILE_NAME), `${lines.join("\n")}\n`);
  }

  /** For each label, its least confident correctly classified validation picture: never the automatic first choice. */
  function leastConfident(label: string): string {
    const right = project.predictions.filter((p) => p.label === label && p.predicted === label && p.split === "valid").sort((a, b) => a.probabilities[label] - b.probabilities[label]);
    assert.ok(right.length >= 2, `the fake model needs two right validation pictures of ${label}`);
    return right[0].file;
  }

  it("knows which licences allow publishing", () => {
    for (const yes of ["CC BY-SA 4.0", "CC BY 2.0", "CC0", "CC0 1.0", "Public domain", "Public Domain Mark 1.0", "cc-by-sa-3.0", "CC BY-SA 3.0 de"]) assert.ok(allowsPublishing(yes), yes);
    for (const no of ["CC BY-NC 2.0", "CC BY-ND 4.0", "CC BY-NC-SA 3.0", "GFDL", "All rights reserved", "", undefined]) assert.ok(!allowsPublishing(no), String(no));
  });

  it("uses only pictures whose licence allows publishing when a class has some, and credits them in the README", async () => {
    const labels = project.labels;
    const chosen = labels.map(leastConfident);
    const nonCommercial = project.predictions.find((p) => p.label === labels[0] && p.predicted === labels[0] && !chosen.includes(p.file))!.file;
    await writeManifest(new Map<string, Partial<ManifestRecord>>([
      [chosen[0], { license: "CC BY-SA 4.0", licenseUrl: "https://creativecommons.org/licenses/by-sa/4.0", author: "Jane Doe", title: "Portrait one", pageUrl: "https://commons.wikimedia.org/wiki/File:One.jpg" }],
      [chosen[1], { license: "CC0", author: "Ann Example", title: "Portrait two" }],
      [nonCommercial, { license: "CC BY-NC 2.0", author: "Someone" }],
    ]));
    const result = await createSpace({ projectDir: project.projectDir, outDir: path.join(root, "licensed"), git: false });
    assert.deepEqual(result.examples.map((example) => path.relative(project.dataDir, example.source).split(path.sep).join("/")).sort(), [...chosen].sort());
    assert.ok(result.examples.every((example) => example.publishable));
    assert.ok(!result.warnings.some((warning) => /without a licence/.test(warning)), result.warnings.join("\n"));
    const readme = await fs.readFile(path.join(result.spaceDir, "README.md"), "utf8");
    assert.match(readme, /- `examples\/example-\d\.jpg`: “Portrait one” by Jane Doe, \[CC BY-SA 4\.0\]\(https:\/\/creativecommons\.org\/licenses\/by-sa\/4\.0\) \(\[source\]\(https:\/\/commons\.wikimedia\.org\/wiki\/File:One\.jpg\)\)/);
    assert.match(readme, /- `examples\/example-\d\.jpg`: “Portrait two” by Ann Example, CC0/);
    assert.match(readme, new RegExp(`## Training data\\n\\n${project.images.length} pictures\\. Found by: duckduckgo ${project.images.length - 3}, wikimedia 3\\. Licences: unknown ${project.images.length - 3}, CC BY-NC 2\\.0 1, CC BY-SA 4\\.0 1, CC0 1`));
  });

  it("without licences: the usual choice, with a warning that the pictures will be public", async () => {
    await writeManifest(new Map());
    const result = await createSpace({ projectDir: project.projectDir, outDir: path.join(root, "unlicensed"), git: false });
    assert.equal(result.examples.length, 3);
    assert.ok(result.examples.every((example) => !example.publishable));
    assert.ok(result.warnings.some((warning) => /^The example pictures come from your data folder without a licence known to allow publishing, and will be public with the Space/.test(warning)), result.warnings.join("\n"));
    const readme = await fs.readFile(path.join(result.spaceDir, "README.md"), "utf8");
    assert.match(readme, /Example pictures come from the training data; their copyright stays with their owners\./);
  });
});
