import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { readManifest, readSkipped } from "../src/core/dataset/manifest";
import { gather } from "../src/core/gather/gather";
import { CONFIG_FILE_NAME, parseProjectConfig, type ProjectConfig } from "../src/core/project/project-config";
import { CancelledError, StudioError } from "../src/core/shared/errors";
import { startFakeDuckDuckGo, type FakeDuckDuckGo, type FakeImageResult } from "./fixtures/fake-duckduckgo";
import { startImageHost, type ImageHost } from "./fixtures/image-host";
import { hostileImages } from "./fixtures/make-images";
import { closedPortUrl, startPasswordProxy, startSelfSignedServer, startSilentServer } from "./fixtures/network-faults";
import { listTree, makeTempDir, removeDir, setEnv } from "./support/temp-dir";

const FAKE_QUERY = "Deepfake Tom Cruise photo";
const REAL_QUERY = "Tom Cruise photo";

function testConfig(overrides: Partial<Record<string, unknown>> = {}): ProjectConfig {
  return parseProjectConfig({
    categories: [
      { label: "Deepfake Tom Cruise", search: FAKE_QUERY },
      { label: "Real Tom Cruise", search: REAL_QUERY },
    ],
    search: { engines: ["duckduckgo"], delaySeconds: 0, retries: 3, backoffSeconds: 0.01 },
    download: { concurrency: 6, timeoutSeconds: 6, maxBytes: 5_000_000, maxRedirects: 3 },
    ...overrides,
  });
}

function result(url: string, index: number): FakeImageResult {
  return { image: url, url: `https://news.example/article/${index}`, title: `Picture ${index} &amp; caption` };
}

describe("gather", function () {
  this.timeout(120_000);
  let duck: FakeDuckDuckGo;
  let host: ImageHost;
  let projectDir: string;
  let restoreEnv: () => void;

  before(async () => {
    duck = await startFakeDuckDuckGo();
    host = await startImageHost();
  });
  after(async () => {
    await duck.close();
    await host.close();
  });
  beforeEach(async () => {
    projectDir = await makeTempDir();
    duck.searchRequests.length = 0;
    duck.forwardedHosts.length = 0;
    duck.failures.length = 0;
    restoreEnv = setEnv({ HTTP_PROXY: duck.proxyUrl, HTTPS_PROXY: duck.proxyUrl, http_proxy: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined });
  });
  afterEach(async () => {
    restoreEnv();
    await removeDir(projectDir);
  });

  /** A realistic, messy result list: good photos, copies, and every hostile answer. */
  function messyResults(): void {
    const fake = [1, 2, 3, 4, 5, 6].map((seed) => host.photo(seed));
    fake.push(`${host.photo(2)}?copy=1`, host.nearCopy(1), `${host.baseUrl}/redirect/7`);
    for (const name of Object.keys(hostileImages)) fake.push(host.hostile(name as keyof typeof hostileImages));
    fake.push(`${host.baseUrl}/status/404`, `${host.baseUrl}/status/500`, `${host.baseUrl}/redirect-loop/0`, `${host.baseUrl}/hang`, `${host.baseUrl}/huge`, "ftp://files.example/a.jpg");
    duck.results.set(FAKE_QUERY, fake.map(result));
    const real = [20, 21, 22, 23, 24, 25].map((seed) => host.photo(seed));
    real.push(`${host.photo(3)}?reused=1`, host.nearCopy(4));
    duck.results.set(REAL_QUERY, real.map((url, index) => result(url, 100 + index)));
  }

  it("keeps exactly the good, distinct images and says why each other one was dropped", async () => {
    messyResults();
    const report = await gather({ projectDir, config: testConfig() });
    const [fake, real] = report.categories;
    assert.equal(fake.label, "Deepfake Tom Cruise");
    assert.equal(fake.found, 28);
    // 6 photos + the redirected one + CMYK, alpha PNG, EXIF-rotated, animated GIF.
    assert.equal(fake.kept, 11);
    assert.equal(fake.duplicates, 1);
    assert.equal(fake.nearDuplicates, 1);
    assert.deepEqual(fake.failed, {
      "http-404": 1,
      "http-500": 1,
      "not-an-image": 1,
      "too-large": 1,
      "too-many-pixels": 1,
      "too-many-redirects": 1,
      "too-small": 1,
      "unsupported-format": 2,
      "unsupported-protocol": 1,
      empty: 1,
      timeout: 1,
      truncated: 3,
    });
    // The exact copy of a fake photo is refused; a near copy (a swap of that photo, say) is kept and reported.
    assert.equal(real.kept, 7);
    assert.equal(real.crossCategory, 1);
    assert.equal(real.similarAcrossLabels, 1);
    assert.deepEqual(report.conflicts.map((c) => [c.kind, c.label, c.otherLabel]).sort(), [["same-pixels", "Real Tom Cruise", "Deepfake Tom Cruise"], ["similar", "Real Tom Cruise", "Deepfake Tom Cruise"]]);
    assert.ok(report.conflicts.find((c) => c.kind === "similar")?.source === host.nearCopy(4));
    assert.equal(fake.total, 11);
    assert.equal(real.total, 7);

    const files = await listTree(path.join(projectDir, "data"));
    assert.equal(files.filter((file) => file.startsWith("Deepfake Tom Cruise/")).length, 11);
    assert.equal(files.filter((file) => file.startsWith("Real Tom Cruise/")).length, 7);
    assert.ok(!files.some((file) => file.includes(".tmp") || file.endsWith(".part")), "no temp files left");
  });

  it("writes a provenance manifest that traces every kept file to its source", async () => {
    messyResults();
    await gather({ projectDir, config: testConfig() });
    const dataDir = path.join(projectDir, "data");
    const manifest = await readManifest(dataDir);
    assert.equal(manifest.length, 18);
    for (const record of manifest) {
      const bytes = await fs.readFile(path.join(dataDir, record.file));
      assert.equal(createHash("sha256").update(bytes).digest("hex"), record.sha256, record.file);
      const metadata = await sharp(bytes).metadata();
      assert.equal(metadata.format, "jpeg");
      assert.equal(metadata.width, record.width);
      assert.ok(Math.max(record.width, record.height) <= 400, `${record.file} is ${record.width}x${record.height}`);
      assert.match(record.perceptualHash, /^[0-9a-f]{16}$/);
      assert.ok(Date.parse(record.time) > 0);
    }
    const first = manifest.find((record) => record.imageUrl === host.photo(1));
    assert.ok(first);
    assert.equal(first.label, "Deepfake Tom Cruise");
    assert.equal(first.query, FAKE_QUERY);
    assert.equal(first.pageUrl, "https://news.example/article/0");
    assert.equal(first.title, "Picture 0 & caption");
    assert.equal(first.source, "duckduckgo");
    const redirected = manifest.find((record) => record.imageUrl === `${host.baseUrl}/redirect/7`);
    assert.ok(redirected, "the URL found by the search is recorded, not the redirect target");
  });

  it("resumes: a second run skips known URLs, retries only transient failures and overwrites nothing", async () => {
    messyResults();
    await gather({ projectDir, config: testConfig() });
    const dataDir = path.join(projectDir, "data");
    const filesBefore = await listTree(dataDir);
    const stats = await Promise.all(filesBefore.map((file) => fs.stat(path.join(dataDir, file))));
    host.requests.length = 0;

    const again = await gather({ projectDir, config: testConfig() });
    assert.equal(again.categories[0].kept, 0);
    assert.equal(again.categories[0].total, 11);
    // Only the 500 and the hanging server are transient, so only they are asked again.
    assert.deepEqual(host.requests.sort(), ["/hang", "/status/500"]);
    assert.deepEqual(again.categories[0].failed, { "http-500": 1, timeout: 1 });
    assert.deepEqual(await listTree(dataDir), filesBefore);
    const statsAfter = await Promise.all(filesBefore.map((file) => fs.stat(path.join(dataDir, file))));
    statsAfter.forEach((stat, index) => assert.equal(stat.mtimeMs, stats[index].mtimeMs, filesBefore[index]));
    assert.equal((await readManifest(dataDir)).length, 18);
  });

  it("stops cleanly when cancelled and the next run completes the set", async () => {
    duck.results.set(FAKE_QUERY, Array.from({ length: 30 }, (_, index) => result(host.photo(200 + index), index)));
    duck.results.set(REAL_QUERY, [30, 31, 32].map((seed, index) => result(host.photo(seed), index)));
    const controller = new AbortController();
    let downloaded = 0;
    await assert.rejects(
      gather({
        projectDir,
        config: testConfig(),
        signal: controller.signal,
        onProgress: (event) => {
          if (event.event === "progress" && event.phase === "download" && ++downloaded === 5) controller.abort();
        },
      }),
      CancelledError,
    );
    const dataDir = path.join(projectDir, "data");
    const manifest = await readManifest(dataDir);
    const files = (await listTree(dataDir)).filter((file) => file.endsWith(".jpg"));
    assert.ok(files.length >= 5 && files.length < 30, `kept ${files.length} before stopping`);
    assert.deepEqual(files.sort(), manifest.map((record) => record.file).sort(), "every file on disk is in the manifest and vice versa");
    for (const file of files) await sharp(path.join(dataDir, file)).stats();
    assert.ok(!(await listTree(dataDir)).some((file) => file.endsWith(".part")));

    const resumed = await gather({ projectDir, config: testConfig() });
    assert.equal(resumed.categories[0].total, 30);
    assert.equal(resumed.categories[0].alreadyKnown, files.length);
    assert.equal(resumed.categories[1].total, 3);
  });

  it("pages through results until maxImages unique URLs", async () => {
    const urls = Array.from({ length: 250 }, (_, index) => result(`${host.baseUrl}/status/404?n=${index}`, index));
    duck.results.set(FAKE_QUERY, urls);
    duck.results.set(REAL_QUERY, []);
    const report = await gather({ projectDir, config: testConfig({ maxImages: 220 }) });
    assert.equal(report.categories[0].found, 220);
    assert.deepEqual(duck.searchRequests.slice(0, 4), ["vqd", "i.js?s=0", "i.js?s=100", "i.js?s=200"]);
    assert.equal(report.categories[1].found, 0);
  });

  it("retries rate-limit answers with back-off and then succeeds", async () => {
    duck.results.set(FAKE_QUERY, [result(host.photo(40), 0)]);
    duck.results.set(REAL_QUERY, [result(host.photo(41), 0)]);
    duck.failures.push("403", "anomaly", "empty-body");
    const warnings: string[] = [];
    const report = await gather({ projectDir, config: testConfig(), onProgress: (event) => event.event === "warning" && warnings.push(event.message) });
    assert.equal(report.categories[0].kept, 1);
    assert.equal(report.categories[1].kept, 1);
    assert.equal(warnings.filter((warning) => warning.startsWith("DuckDuckGo:")).length, 3);
  });

  it("reports a persistent rate limit clearly instead of a stack trace", async () => {
    duck.results.set(FAKE_QUERY, [result(host.photo(42), 0)]);
    duck.failures.push("418-html", "no-vqd", "403", "anomaly", "403", "403");
    await assert.rejects(gather({ projectDir, config: testConfig() }), (error: unknown) => {
      assert.ok(error instanceof StudioError);
      assert.equal(error.code, "search-rate-limited");
      assert.match(error.message, /DuckDuckGo did not answer the search "Deepfake Tom Cruise photo" after 4 attempts/);
      assert.match(error.hint ?? "", /Wait a few minutes/);
      return true;
    });
  });

  it("sends every request through the configured proxy, and none when NO_PROXY covers the host", async () => {
    duck.results.set(FAKE_QUERY, [result(host.photo(50), 0), result(host.photo(51), 1)]);
    duck.results.set(REAL_QUERY, [result(host.photo(52), 0)]);
    const connectionsBefore = host.connections();
    const report = await gather({ projectDir, config: testConfig() });
    assert.equal(report.categories[0].kept + report.categories[1].kept, 3);
    const imageHost = new URL(host.baseUrl).host;
    const tunnels = duck.forwardedHosts.filter((forwarded) => forwarded === imageHost).length;
    assert.ok(tunnels >= 1, "downloads went through the proxy");
    assert.equal(host.connections() - connectionsBefore, tunnels, "every connection to the image host came through the proxy");
    assert.ok(duck.searchRequests.length >= 4, "the searches went through the proxy too");

    duck.forwardedHosts.length = 0;
    const secondProject = await makeTempDir();
    const restore = setEnv({ NO_PROXY: "127.0.0.1" });
    try {
      duck.results.set(FAKE_QUERY, [result(host.photo(53), 0)]);
      const direct = await gather({ projectDir: secondProject, config: testConfig(), labels: ["Deepfake Tom Cruise"] });
      assert.equal(direct.categories[0].kept, 1);
      assert.deepEqual(duck.forwardedHosts, [], "NO_PROXY hosts are fetched directly");
    } finally {
      restore();
      await removeDir(secondProject);
    }
  });

  it("records permanent failures so they are not fetched again", async () => {
    duck.results.set(FAKE_QUERY, [result(`${host.baseUrl}/status/404`, 0), result(host.hostile("htmlAsJpeg"), 1)]);
    duck.results.set(REAL_QUERY, [result(host.photo(60), 0)]);
    await gather({ projectDir, config: testConfig() });
    const skipped = await readSkipped(path.join(projectDir, "data"));
    assert.deepEqual(skipped.map((record) => record.reason).sort(), ["http-404", "not-an-image"]);
  });

  describe("without a usable network: fails at once, naming the cause, never as a rate limit", () => {
    /** The default back-off (4 s, doubling): a network failure mistaken for a rate limit would take a minute. */
    const patient = () => testConfig({ search: { engines: ["duckduckgo"], delaySeconds: 0, retries: 4, backoffSeconds: 4, timeoutSeconds: 20 } });

    async function failsFast(proxy: string, config: ProjectConfig, check: (error: StudioError) => void): Promise<void> {
      const restore = setEnv({ HTTP_PROXY: proxy, HTTPS_PROXY: proxy });
      const warnings: string[] = [];
      const started = Date.now();
      try {
        await assert.rejects(gather({ projectDir, config, onProgress: (event) => event.event === "warning" && warnings.push(event.message) }), (error: unknown) => {
          assert.ok(error instanceof StudioError, String(error));
          assert.equal(error.code, "search-unreachable", error.message);
          assert.doesNotMatch(error.message, /rate-limit/);
          check(error);
          return true;
        });
      } finally {
        restore();
      }
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
      assert.deepEqual(warnings, [], "no retries");
    }

    it("a proxy where nothing listens", async () => {
      const dead = await closedPortUrl();
      await failsFast(dead, patient(), (error) => {
        assert.equal(error.message, `Could not search DuckDuckGo for "Deepfake Tom Cruise photo": the proxy ${dead} refused the connection (ECONNREFUSED).`);
        assert.match(error.hint ?? "", /HTTPS_PROXY/);
        assert.match(error.hint ?? "", /run gather again/);
      });
    });

    it("a proxy whose name does not resolve (no network, no DNS, or a mistyped HTTPS_PROXY)", async () => {
      await failsFast("http://nonexistent.invalid:3128", patient(), (error) => {
        assert.match(error.message, /^Could not search DuckDuckGo for "Deepfake Tom Cruise photo": the proxy http:\/\/nonexistent\.invalid:3128 cannot be found \(its name does not resolve \((ENOTFOUND|EAI_AGAIN)\)\)\.$/);
        assert.match(error.hint ?? "", /HTTPS_PROXY/);
      });
    });

    it("a proxy that wants a password (407)", async () => {
      const proxy = await startPasswordProxy();
      try {
        await failsFast(proxy.url, patient(), (error) => {
          assert.equal(error.message, `Could not search DuckDuckGo for "Deepfake Tom Cruise photo": the proxy ${proxy.url} wants a user name and password (HTTP 407).`);
          assert.match(error.hint ?? "", /HTTPS_PROXY=http:\/\/user:password@proxy:port/);
        });
        assert.equal(proxy.requests(), 1);
      } finally {
        await proxy.close();
      }
    });

    it("an untrusted certificate, as a firm proxy that inspects HTTPS shows: a certificate problem, with the fix", async () => {
      const tls = await startSelfSignedServer();
      try {
        await failsFast(tls.url, patient(), (error) => {
          assert.match(error.message, /certificate is not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)\.$/);
          assert.match(error.hint ?? "", /NODE_EXTRA_CA_CERTS/);
        });
      } finally {
        await tls.close();
      }
    });

    it("downloads from a server with an untrusted certificate: counted as 'certificate' and explained once, with the fix", async () => {
      const tls = await startSelfSignedServer();
      try {
        duck.results.set(FAKE_QUERY, [result(`${tls.url}/a.jpg`, 0), result(`${tls.url}/b.jpg`, 1)]);
        duck.results.set(REAL_QUERY, [result(`${tls.url}/c.jpg`, 0)]);
        const warnings: string[] = [];
        const report = await gather({ projectDir, config: testConfig(), onProgress: (event) => event.event === "warning" && warnings.push(event.message) });
        assert.deepEqual(report.categories.map((row) => row.failed), [{ certificate: 2 }, { certificate: 1 }]);
        const explained = warnings.filter((warning) => warning.startsWith("Downloads fail:"));
        assert.equal(explained.length, 1, warnings.join("\n"));
        assert.match(explained[0], /^Downloads fail: The secure connection to 127\.0\.0\.1:\d+ failed: its certificate is not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)\. .*NODE_EXTRA_CA_CERTS/);
        assert.deepEqual(await readSkipped(path.join(projectDir, "data")), [], "tried again next run, once the certificate is trusted");
      } finally {
        await tls.close();
      }
    });

    it("a proxy that accepts the connection and never answers: a timeout, in words", async () => {
      const silent = await startSilentServer();
      try {
        await failsFast(silent.url, testConfig({ search: { engines: ["duckduckgo"], delaySeconds: 0, retries: 4, backoffSeconds: 4, timeoutSeconds: 0.5 } }), (error) => {
          assert.equal(error.message, `Could not search DuckDuckGo for "Deepfake Tom Cruise photo": DuckDuckGo at duckduckgo.com did not answer in 500 ms (asked through the proxy ${silent.url}).`);
        });
        assert.equal(silent.requests(), 1);
      } finally {
        await silent.close();
      }
    });
  });

  /** Runs the built CLI in a child process (async, so the fakes in this process keep answering). */
  function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [path.resolve(__dirname, "../src/cli/main.js"), "--project", projectDir, ...args], { env: process.env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
  }

  it("works end to end from the command line, with a clear error and no stack trace on a rate limit", async () => {
    await fs.writeFile(path.join(projectDir, CONFIG_FILE_NAME), JSON.stringify(testConfig()));
    duck.results.set(FAKE_QUERY, [result(host.photo(70), 0), result(`${host.baseUrl}/status/404`, 1)]);
    duck.results.set(REAL_QUERY, [result(host.photo(71), 0)]);
    const ok = await runCli(["gather"]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /Searching "Deepfake Tom Cruise photo" for Deepfake Tom Cruise/);
    assert.match(ok.stdout, /Deepfake Tom Cruise\s+2\s+0\s+1\s+1\s+0\s+0\s+1\s+1/);
    assert.match(ok.stdout, /failed \(Deepfake Tom Cruise\): http-404 1/);

    duck.failures.push("403", "403", "403", "403", "403");
    const limited = await runCli(["gather", "--category", "Real Tom Cruise"]);
    assert.equal(limited.status, 1);
    assert.match(limited.stderr, /Error: DuckDuckGo did not answer the search "Tom Cruise photo" after 4 attempts \(HTTP 403 \(blocked\)\)/);
    assert.doesNotMatch(limited.stderr, /\n\s+at /);

    // No way out to the internet: said at once, with the fix, and no stack trace.
    const restore = setEnv({ HTTP_PROXY: await closedPortUrl(), HTTPS_PROXY: undefined });
    try {
      const started = Date.now();
      const offline = await runCli(["gather", "--category", "Real Tom Cruise"]);
      assert.equal(offline.status, 1);
      assert.match(offline.stderr, /Error: Could not search DuckDuckGo for "Tom Cruise photo": the proxy http:\/\/127\.0\.0\.1:\d+ refused the connection \(ECONNREFUSED\)\.\n {2}Check HTTPS_PROXY/);
      assert.doesNotMatch(offline.stderr, /rate-limit|\n\s+at /);
      assert.ok(Date.now() - started < 10_000);
    } finally {
      restore();
    }
  });
});
