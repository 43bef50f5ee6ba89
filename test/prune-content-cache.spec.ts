/**
 * The one pruning policy of the project's content-addressed caches (shared/prune-content-cache.ts): the entries of a
 * picture not in use go once untouched for a week, in every shard and version folder; entries in use, recent ones,
 * files that are not entries and links stay; temp files a killed run left go once a week old. Train's wiring of it
 * is tested in train.spec (features) and synthesize.spec (same-person fakes, face records, blending statistics).
 */
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { pruneContentCache, STALE_CACHE_KEPT_MS } from "../src/core/shared/prune-content-cache";
import { listTree, makeTempDir, removeDir } from "./support/temp-dir";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const DAY = 24 * 60 * 60 * 1000;

describe("pruneContentCache", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir("dds-prune-");
  });
  afterEach(async () => removeDir(dir));

  /** Writes `relative` under the cache, last touched `daysAgo` days ago. */
  async function entry(relative: string, daysAgo: number): Promise<void> {
    const file = path.join(dir, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, "x".repeat(10));
    const when = new Date(Date.now() - daysAgo * DAY);
    await fs.utimes(file, when, when);
  }

  it("removes week-old entries of pictures not in use, in every shard and version folder, and old temp files", async () => {
    const [used, gone, recent] = [sha("used"), sha("gone"), sha("recent")];
    const shard = (key: string) => key.slice(0, 2);
    const old = [`sb1/${shard(gone)}/${gone}-face.json`, `sb1/${shard(gone)}/${gone}-s1-blend0.png`, `sb2/${shard(gone)}/${gone}-s1-swap-${used.slice(0, 16)}.png`, `v2-224x224-linear/${shard(gone)}/${gone}.json`, `${shard(used)}/.${used}.0.f32.0a1b2c3d.part`, `${shard(used)}/${used}.json.1234.tmp`];
    const kept = [`sb1/${shard(used)}/${used}-face.json`, `sb1/${shard(recent)}/${recent}-s1-blend0.png`, `${shard(used)}/${used}.1.f32`, `${shard(used)}/${used}.json.99.tmp`, "cache.json", `${shard(gone)}/notes.txt`];
    for (const file of old) await entry(file, 8);
    for (const file of kept) await entry(file, file.includes(recent) || file.endsWith(".99.tmp") ? 1 : 30);
    await fs.symlink(path.join(dir, kept[0]), path.join(dir, "sb1", shard(used), `${gone}-link.json`));
    await fs.utimes(path.join(dir, kept[0]), new Date(Date.now() - 30 * DAY), new Date(Date.now() - 30 * DAY));

    const removed = await pruneContentCache({ dir, keep: new Set([used]) });
    assert.deepEqual(removed, { files: old.length, bytes: old.length * 10 });
    assert.deepEqual(await listTree(dir), [...kept].sort(), "the link is not a file: left alone");
    assert.ok((await fs.lstat(path.join(dir, "sb1", shard(used), `${gone}-link.json`))).isSymbolicLink());
  });

  it("keeps everything younger than minAgeMs (a week by default), and a missing cache is nothing to prune", async () => {
    await entry(`ab/${sha("gone")}.0.f32`, 6);
    assert.equal(STALE_CACHE_KEPT_MS, 7 * DAY);
    assert.deepEqual(await pruneContentCache({ dir, keep: new Set() }), { files: 0, bytes: 0 });
    assert.deepEqual(await pruneContentCache({ dir, keep: new Set(), minAgeMs: 5 * DAY }), { files: 1, bytes: 10 });
    assert.deepEqual(await pruneContentCache({ dir: path.join(dir, "missing"), keep: new Set() }), { files: 0, bytes: 0 });
  });
});
