/** Whole `gather` against the local fakes: search, download through the proxy, verify, resize, dedupe, manifest. */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gather } from "../src/core/gather/gather";
import { parseProjectConfig } from "../src/core/project/project-config";
import { startFakeDuckDuckGo } from "../test/fixtures/fake-duckduckgo";
import { startImageHost } from "../test/fixtures/image-host";

export async function benchGather(perCategory = 100): Promise<{ images: number; seconds: number; imagesPerSecond: number }> {
  const duck = await startFakeDuckDuckGo();
  const host = await startImageHost();
  const projectDir = await fs.mkdtemp(path.join(os.tmpdir(), "dds-bench-gather-"));
  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, HTTPS_PROXY: process.env.HTTPS_PROXY };
  process.env.HTTP_PROXY = process.env.HTTPS_PROXY = duck.proxyUrl;
  try {
    const seeds = Array.from({ length: perCategory * 2 }, (_, index) => 1000 + index);
    // Warm the host's photo cache so the bench times our pipeline, not the fixture's JPEG painting.
    for (const seed of seeds) await fetch(host.photo(seed)).then((response) => response.arrayBuffer());
    duck.results.set("fake", seeds.slice(0, perCategory).map((seed, index) => ({ image: host.photo(seed), url: `https://page.example/${index}`, title: `${seed}` })));
    duck.results.set("real", seeds.slice(perCategory).map((seed, index) => ({ image: host.photo(seed), url: `https://page.example/r${index}`, title: `${seed}` })));
    const config = parseProjectConfig({ categories: [{ label: "Fake", search: "fake" }, { label: "Real", search: "real" }], maxImages: perCategory, search: { delaySeconds: 0 } });
    const started = process.hrtime.bigint();
    const report = await gather({ projectDir, config });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const images = report.categories.reduce((sum, row) => sum + row.kept, 0);
    return { images, seconds, imagesPerSecond: images / seconds };
  } finally {
    Object.assign(process.env, saved);
    for (const [key, value] of Object.entries(saved)) if (value === undefined) delete process.env[key];
    await duck.close();
    await host.close();
    await fs.rm(projectDir, { recursive: true, force: true });
  }
}
