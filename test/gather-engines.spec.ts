import { strict as assert } from "node:assert";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { Agent, EnvHttpProxyAgent } from "undici";
import { readManifest } from "../src/core/dataset/manifest";
import { gather, type GatherParams } from "../src/core/gather/gather";
import { CONFIG_FILE_NAME, parseProjectConfig, type ProjectConfig } from "../src/core/project/project-config";
import { StudioError } from "../src/core/shared/errors";
import { startFakeDuckDuckGo, type FakeDuckDuckGo } from "./fixtures/fake-duckduckgo";
import { startFakeEngines, type FakeEngineImage, type FakeEngines } from "./fixtures/fake-engines";
import { startImageHost, type ImageHost } from "./fixtures/image-host";
import { closedPortUrl } from "./fixtures/network-faults";
import { runCli } from "./support/run-cli";
import { listTree, makeTempDir, removeDir, setEnv } from "./support/temp-dir";

const QUERY = "Tom Cruise photo";

function testConfig(engines: string[], overrides: Record<string, unknown> = {}): ProjectConfig {
  return parseProjectConfig({
    categories: [{ label: "Real Tom Cruise", search: QUERY }, { label: "Deepfake Tom Cruise" }],
    search: { engines, delaySeconds: 0, retries: 3, backoffSeconds: 0.01, timeoutSeconds: 5 },
    download: { concurrency: 4, timeoutSeconds: 5, maxBytes: 5_000_000, maxRedirects: 3 },
    ...overrides,
  });
}

describe("gather with several search engines", function () {
  this.timeout(120_000);
  let duck: FakeDuckDuckGo;
  let engines: FakeEngines;
  let host: ImageHost;
  let projectDir: string;
  let restoreEnv: () => void;
  let dispatcher: EnvHttpProxyAgent;

  before(async () => {
    [duck, engines, host] = await Promise.all([startFakeDuckDuckGo(), startFakeEngines(), startImageHost()]);
    engines.attach(duck);
  });
  after(async () => {
    await Promise.all([duck.close(), engines.close(), host.close()]);
  });
  beforeEach(async () => {
    projectDir = await makeTempDir();
    engines.reset();
    duck.results.clear();
    duck.failures.length = 0;
    duck.searchRequests.length = 0;
    restoreEnv = setEnv({ HTTP_PROXY: duck.proxyUrl, HTTPS_PROXY: duck.proxyUrl, http_proxy: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined, BRAVE_API_KEY: undefined });
    // Trusts the fake engines' certificate, as NODE_EXTRA_CA_CERTS would; everything else is as in a real run.
    dispatcher = new EnvHttpProxyAgent({ requestTls: { ca: engines.ca } });
  });
  afterEach(async () => {
    restoreEnv();
    await dispatcher.destroy();
    await removeDir(projectDir);
  });

  async function run(config: ProjectConfig, extra: Partial<GatherParams> = {}) {
    const warnings: string[] = [];
    const report = await gather({ projectDir, config, dispatcher, onProgress: (event) => event.event === "warning" && warnings.push(event.message), ...extra });
    return { report, row: report.categories[0], warnings };
  }

  /** Result lists that cost no decoding: every URL answers 404. */
  function missing(count: number, tag: string): FakeEngineImage[] {
    return Array.from({ length: count }, (_, index) => ({ image: `${host.baseUrl}/status/404?${tag}=${index}`, page: `https://pages.example/${tag}/${index}`, title: `${tag} ${index}` }));
  }

  function photos(seeds: number[], extra: Partial<FakeEngineImage> = {}): FakeEngineImage[] {
    return seeds.map((seed) => ({ image: host.photo(seed), page: `https://pages.example/photo/${seed}`, title: `Photo ${seed}`, ...extra }));
  }

  describe("bing", () => {
    it("pages with first/count until maxImages and stops when a page brings nothing new", async () => {
      engines.results.bing.set(QUERY, missing(80, "b"));
      const { row, warnings } = await run(testConfig(["bing"], { maxImages: 100 }));
      assert.equal(row.found, 80);
      assert.deepEqual(engines.requests.bing, ["first=1&count=35", "first=36&count=35", "first=71&count=35", "first=106&count=35"]);
      assert.deepEqual(row.engines, { bing: { found: 80, kept: 0 } });
      assert.deepEqual(warnings.filter((w) => !w.startsWith("Downloads fail")), []);
    });

    it("stops at maxImages without asking for more pages", async () => {
      engines.results.bing.set(QUERY, missing(200, "b"));
      const { row } = await run(testConfig(["bing"], { maxImages: 40 }));
      assert.equal(row.found, 40);
      assert.deepEqual(engines.requests.bing, ["first=1&count=35", "first=36&count=35"]);
    });

    it("keeps the pictures, with title, page and engine in the manifest", async () => {
      engines.results.bing.set(QUERY, [...photos([301, 302]), { image: host.photo(303), page: "https://pages.example/amp?a=1&b=2", title: "Tom & \"Top Gun\"" }]);
      const { row } = await run(testConfig(["bing"]));
      assert.equal(row.kept, 3);
      const manifest = await readManifest(path.join(projectDir, "data"));
      const third = manifest.find((record) => record.imageUrl === host.photo(303));
      assert.ok(third);
      assert.equal(third.source, "bing");
      assert.equal(third.pageUrl, "https://pages.example/amp?a=1&b=2");
      assert.equal(third.title, 'Tom & "Top Gun"');
      assert.equal(third.license, undefined);
    });

    it("an empty result page is no results, not a changed page", async () => {
      const { row, warnings } = await run(testConfig(["bing"]));
      assert.equal(row.found, 0);
      assert.deepEqual(warnings, ['No images found for "Tom Cruise photo". Try a broader query in deepfake-studio.json.']);
    });
  });

  describe("wikimedia", () => {
    it("pages with gsroffset, keeps rank order, skips drawings, and records licence, its URL and the author as text", async () => {
      const licensed = photos([311, 312], { license: "CC BY-SA 4.0", licenseUrl: "https://creativecommons.org/licenses/by-sa/4.0", author: '<a href="//commons.wikimedia.org/wiki/User:Jane" title="User:Jane">Jane&#32;Doe</a>' });
      const drawing: FakeEngineImage = { image: `${host.baseUrl}/status/404?svg`, mime: "image/svg+xml", title: "Logo" };
      engines.results.wikimedia.set(QUERY, [...licensed, drawing, ...missing(117, "w")]);
      const { row } = await run(testConfig(["wikimedia"], { maxImages: 500 }));
      assert.deepEqual(engines.requests.wikimedia, ["gsroffset=0&gsrlimit=50", "gsroffset=50&gsrlimit=50", "gsroffset=100&gsrlimit=50"]);
      assert.equal(row.found, 119, "every file but the SVG");
      assert.equal(row.kept, 2);
      const manifest = await readManifest(path.join(projectDir, "data"));
      const first = manifest.find((record) => record.imageUrl === host.photo(311));
      assert.ok(first);
      assert.equal(first.source, "wikimedia");
      assert.equal(first.license, "CC BY-SA 4.0");
      assert.equal(first.licenseUrl, "https://creativecommons.org/licenses/by-sa/4.0");
      assert.equal(first.author, "Jane Doe");
      assert.equal(first.title, "Photo 311");
    });

    it("an API rate limit in a 200 answer is waited out", async () => {
      engines.results.wikimedia.set(QUERY, missing(3, "w"));
      engines.faults.wikimedia.push("api-ratelimited", "429");
      const { row, warnings } = await run(testConfig(["wikimedia"]));
      assert.equal(row.found, 3);
      assert.deepEqual(warnings.filter((w) => w.startsWith("Wikimedia")).map((w) => w.replace(/ in .*/, "")), [
        'Wikimedia Commons: API rate limit (ratelimited / maxlag); retrying "Tom Cruise photo"',
        'Wikimedia Commons: HTTP 429, rate limit; retrying "Tom Cruise photo"',
      ]);
    });
  });

  describe("openverse", () => {
    it("pages 20 at a time, never past the 12 pages anonymous callers may read, and records licence and creator", async () => {
      engines.results.openverse.set(QUERY, [...photos([321], { license: "by-sa", licenseVersion: "2.0", author: "Ann Example" }), ...missing(299, "o")]);
      const { row } = await run(testConfig(["openverse"], { maxImages: 1000 }));
      assert.equal(engines.requests.openverse.length, 12);
      assert.deepEqual(engines.requests.openverse.slice(0, 2), ["page=1&page_size=20", "page=2&page_size=20"]);
      assert.equal(row.found, 240);
      const [record] = await readManifest(path.join(projectDir, "data"));
      assert.equal(record.source, "openverse");
      assert.equal(record.license, "CC BY-SA 2.0");
      assert.equal(record.licenseUrl, "https://creativecommons.org/licenses/by-sa/2.0/");
      assert.equal(record.author, "Ann Example");
    });

    it("a changed answer is named in one line and the next engine is used", async () => {
      engines.faults.openverse.push("changed");
      engines.results.bing.set(QUERY, missing(5, "b"));
      const { row, warnings } = await run(testConfig(["openverse", "bing"]));
      assert.equal(row.found, 5);
      assert.deepEqual(row.engines, { bing: { found: 5, kept: 0 } });
      assert.deepEqual(warnings.filter((w) => !w.startsWith("Downloads fail")), ["Openverse changed its page (no results list in the answer); other engines used."]);
    });
  });

  describe("brave", () => {
    it("sends the key in its header only: never in the output, the report or the data folder", async () => {
      const restore = setEnv({ BRAVE_API_KEY: engines.braveKey });
      try {
        engines.results.brave.set(QUERY, photos([331, 332]));
        const events: string[] = [];
        const report = await gather({ projectDir, config: testConfig(["brave"]), dispatcher, onProgress: (event) => events.push(JSON.stringify(event)) });
        assert.equal(report.categories[0].kept, 2);
        assert.deepEqual(engines.braveTokens, [engines.braveKey]);
        assert.deepEqual(engines.requests.brave, ["count=100"]);
        const manifest = await readManifest(path.join(projectDir, "data"));
        assert.deepEqual(manifest.map((record) => record.source), ["brave", "brave"]);
        const written = await Promise.all((await listTree(projectDir)).map((file) => fs.readFile(path.join(projectDir, file), "latin1")));
        for (const text of [...events, JSON.stringify(report), ...written]) assert.ok(!text.includes(engines.braveKey), "the key leaked");
      } finally {
        restore();
      }
    });

    it("without a key, or with a refused one, says so in one line and goes on with the next engine", async () => {
      engines.results.brave.set(QUERY, photos([333]));
      engines.results.bing.set(QUERY, missing(2, "b"));
      const missingKey = await run(testConfig(["brave", "bing"]));
      assert.equal(missingKey.row.found, 2);
      assert.deepEqual(engines.braveTokens, [], "no request without a key");
      assert.match(missingKey.warnings[0], /^Brave Search needs an API key, and none is set; other engines used\.$/);

      const wrongKey = "BSA-wrong-key-0000";
      const refused = await run(testConfig(["brave", "bing"]), { braveApiKey: wrongKey });
      assert.equal(refused.row.found, 2);
      assert.equal(refused.warnings[0], 'Brave Search refused the search "Tom Cruise photo" (HTTP 401, the API key was refused); other engines used.');
      assert.ok(!refused.warnings.join("\n").includes(wrongKey));
      assert.deepEqual(engines.braveTokens, [wrongKey], "a refused key is not retried");
    });
  });

  describe("one pipeline: order, fallback, counts", () => {
    it("asks the next engine only while pictures are missing, and counts each engine's share", async () => {
      duck.results.set(QUERY, photos([341, 342]).map((image) => ({ image: image.image, url: image.page!, title: image.title! })));
      engines.results.bing.set(QUERY, [...photos([342, 343]), ...missing(3, "b")]);
      engines.results.wikimedia.set(QUERY, missing(5, "w"));
      const { row } = await run(testConfig(["duckduckgo", "bing", "wikimedia"], { maxImages: 6 }));
      assert.equal(row.found, 6);
      // Bing's copy of photo 342 is DuckDuckGo's: found once, credited to the engine asked first; Wikimedia fills the gap.
      assert.deepEqual(row.engines, { duckduckgo: { found: 2, kept: 2 }, bing: { found: 3, kept: 1 }, wikimedia: { found: 1, kept: 0 } });
      assert.deepEqual(Object.keys(row.engines!), ["duckduckgo", "bing", "wikimedia"], "in the order asked");
      const manifest = await readManifest(path.join(projectDir, "data"));
      assert.deepEqual(manifest.map((record) => record.source).sort(), ["bing", "duckduckgo", "duckduckgo"]);

      engines.reset();
      const enough = await run(testConfig(["duckduckgo", "bing"], { maxImages: 2 }));
      assert.deepEqual(enough.row.engines, { duckduckgo: { found: 2, kept: 0 } });
      assert.deepEqual(engines.requests.bing, [], "the first engine found enough: the second is not asked");
    });

    it("DuckDuckGo rate-limited, Bing blocked and Bing changed: each in one line, then the next engine", async () => {
      duck.failures.push("403", "403", "403", "403");
      engines.faults.bing.push("captcha", "captcha", "captcha", "captcha");
      engines.results.openverse.set(QUERY, missing(4, "o"));
      const { row, warnings } = await run(testConfig(["duckduckgo", "bing", "openverse"]));
      assert.equal(row.found, 4);
      assert.deepEqual(row.engines, { openverse: { found: 4, kept: 0 } });
      const skipped = warnings.filter((w) => w.endsWith("other engines used."));
      assert.deepEqual(skipped, [
        'DuckDuckGo did not answer the search "Tom Cruise photo" after 4 attempts (HTTP 403 (blocked)). It is rate-limiting this machine; other engines used.',
        'Bing did not answer the search "Tom Cruise photo" after 4 attempts (a bot check (captcha) instead of results); other engines used.',
      ]);
      assert.doesNotMatch(warnings.join("\n"), /\n\s+at /);

      engines.reset();
      engines.faults.bing.push("changed");
      engines.results.openverse.set(QUERY, missing(2, "o2"));
      const changed = await run(testConfig(["bing", "openverse"]));
      assert.equal(changed.row.found, 2);
      assert.match(changed.warnings[0], /^Bing changed its page \(no a\.iusc results in a \d+ KB answer\); other engines used\.$/);
      assert.deepEqual(engines.requests.bing, ["fault changed"], "a changed page is not asked again");
    });

    it("server errors are retried, then the engine is skipped; when every engine fails, each is named", async () => {
      engines.faults.bing.push("503");
      engines.results.bing.set(QUERY, missing(1, "b"));
      const recovered = await run(testConfig(["bing"]));
      assert.equal(recovered.row.found, 1);
      assert.match(recovered.warnings[0], /^Bing: HTTP 503, server error; retrying "Tom Cruise photo" in \d+ ms$/);

      engines.reset();
      engines.faults.bing.push("503", "503", "503", "503");
      engines.faults.wikimedia.push("changed");
      await assert.rejects(run(testConfig(["bing", "wikimedia"])), (error: unknown) => {
        assert.ok(error instanceof StudioError);
        assert.equal(error.code, "search-failed");
        assert.match(error.message, /^No search engine answered the search "Tom Cruise photo" \(Bing, Wikimedia Commons\): Bing did not answer .* after 4 attempts \(HTTP 503, server error\)\. Wikimedia Commons changed its page/);
        assert.match(error.hint ?? "", /search\.engines/);
        return true;
      });
    });

    it("a rate limit that persists on one engine does not stop the gather", async () => {
      engines.faults.bing.push("429", "429", "429", "429");
      engines.results.wikimedia.set(QUERY, missing(2, "w"));
      const { row, warnings } = await run(testConfig(["bing", "wikimedia"]));
      assert.equal(row.found, 2);
      assert.equal(warnings.filter((w) => w.startsWith("Bing: HTTP 429")).length, 3, "three back-offs");
      assert.ok(warnings.includes('Bing did not answer the search "Tom Cruise photo" after 4 attempts (HTTP 429, rate limit); other engines used.'));

      // Asked to come back in an hour: not waited for, the next engine is used at once.
      engines.reset();
      engines.faults.openverse.push("429-hour");
      engines.results.wikimedia.set(QUERY, missing(1, "w2"));
      const started = Date.now();
      const later = await run(testConfig(["openverse", "wikimedia"]));
      assert.equal(later.row.found, 1);
      assert.deepEqual(later.warnings.filter((w) => w.startsWith("Openverse")), ['Openverse did not answer the search "Tom Cruise photo" after 1 attempt (HTTP 429, rate limit); other engines used.']);
      assert.ok(Date.now() - started < 10_000);
    });
  });

  describe("no usable network: the cause within seconds, never a rate limit", () => {
    it("a proxy where nothing listens stops the search at once, before the next engine", async () => {
      const dead = await closedPortUrl();
      const restore = setEnv({ HTTP_PROXY: dead, HTTPS_PROXY: dead });
      const local = new EnvHttpProxyAgent({ requestTls: { ca: engines.ca } });
      const started = Date.now();
      try {
        for (const order of [["duckduckgo", "bing"], ["bing", "duckduckgo"]]) {
          const warnings: string[] = [];
          await assert.rejects(gather({ projectDir, config: testConfig(order, { search: { engines: order, retries: 4, backoffSeconds: 4, delaySeconds: 0 } }), dispatcher: local, onProgress: (e) => e.event === "warning" && warnings.push(e.message) }), (error: unknown) => {
            assert.ok(error instanceof StudioError);
            assert.equal(error.code, "search-unreachable");
            assert.match(error.message, /the proxy http:\/\/127\.0\.0\.1:\d+ refused the connection \(ECONNREFUSED\)\.$/);
            assert.doesNotMatch(error.message, /rate-limit/);
            return true;
          });
          assert.deepEqual(warnings, []);
        }
      } finally {
        restore();
        await local.destroy();
      }
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    });

    it("no DNS and no proxy: \"No network\" within seconds, pointing to import, and no other engine is tried", async () => {
      const restore = setEnv({ HTTP_PROXY: undefined, HTTPS_PROXY: undefined });
      // What a computer without network answers for every name, at the socket layer.
      const offline = new Agent({ connect: { lookup: (hostname, _options, callback) => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", hostname }), "", 4) } });
      const warnings: string[] = [];
      const started = Date.now();
      try {
        await assert.rejects(gather({ projectDir, config: testConfig(["bing", "wikimedia", "openverse"]), dispatcher: offline, onProgress: (e) => e.event === "warning" && warnings.push(e.message) }), (error: unknown) => {
          assert.ok(error instanceof StudioError);
          assert.equal(error.code, "search-unreachable");
          assert.equal(error.message, 'No network: could not search Bing for "Tom Cruise photo": could not look up www.bing.com: this computer seems to have no network connection, or no working DNS (ENOTFOUND).');
          assert.match(error.hint ?? "", /To work offline, use `deepfake-studio import <folder> --label <label>` with pictures or videos you have\.$/);
          assert.deepEqual(error.hintParts?.filter((part) => typeof part === "object"), [{ step: "import" }], "VS Code shows it as an Import Folder button");
          assert.doesNotMatch(error.message, /rate-limit/);
          return true;
        });
      } finally {
        restore();
        await offline.destroy();
      }
      assert.deepEqual(warnings, []);
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    });

    it("an engine the proxy cannot reach is skipped in one line", async () => {
      duck.routes.delete("www.bing.com:443");
      try {
        engines.results.wikimedia.set(QUERY, missing(2, "w"));
        const { row, warnings } = await run(testConfig(["bing", "wikimedia"]));
        assert.equal(row.found, 2);
        assert.match(warnings[0], /^Could not search Bing for "Tom Cruise photo": the proxy http:\/\/127\.0\.0\.1:\d+ would not connect to www\.bing\.com \(HTTP 502\); other engines used\.$/);
      } finally {
        engines.attach(duck);
      }
    });
  });

  /** The built CLI in a child process that trusts the fake engines as a firm's CA would be trusted. */
  function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
    return runCli(["--project", projectDir, ...args], { NODE_EXTRA_CA_CERTS: engines.caFile, ...env });
  }

  it("from the command line: --engine runs one engine, the table counts per engine, the key stays secret", async () => {
    await fs.writeFile(path.join(projectDir, CONFIG_FILE_NAME), JSON.stringify(testConfig(["duckduckgo", "bing"])));
    engines.results.wikimedia.set(QUERY, photos([351, 352], { license: "CC0" }));
    engines.results.brave.set(QUERY, photos([353]));
    const wiki = await cli(["gather", "--engine", "wikimedia"]);
    assert.equal(wiki.code, 0, wiki.stderr);
    assert.match(wiki.stdout, /engines \(kept\/found\)/);
    assert.match(wiki.stdout, /Real Tom Cruise\s+2\s+.*wikimedia 2\/2/);
    assert.deepEqual(duck.searchRequests, [], "only the engine asked for");
    assert.deepEqual(engines.requests.bing, []);

    const secret = await cli(["gather", "--engine", "brave"], { BRAVE_API_KEY: engines.braveKey });
    assert.equal(secret.code, 0, secret.stderr);
    assert.match(secret.stdout, /brave 1\/1/);
    const written = await Promise.all((await listTree(projectDir)).map((file) => fs.readFile(path.join(projectDir, file), "latin1")));
    for (const text of [secret.stdout, secret.stderr, ...written]) assert.ok(!text.includes(engines.braveKey), "the key leaked");

    const unknown = await cli(["gather", "--engine", "google"]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /duckduckgo, bing, wikimedia, openverse, brave/);
  });
});
