/**
 * Real headless Chromium for browser tests and benchmarks: Debian's `chromium` package driven by
 * playwright-core. The one place that installs it (apt-get, as root, when it is missing) and
 * launches it with the project's flags and a fresh user-data-dir.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve, sep } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** No sandbox (root in CI), no GPU, and nothing that reaches the network on its own. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

/**
 * Makes sure /usr/bin/chromium exists, installing Debian's `chromium` with apt-get when it does
 * not (needs root; `apt-get update` first, since a fresh image has no package lists). Throws a
 * message that says what to run when it cannot.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${CHROMIUM} is missing and this is not root; install it with: sudo apt-get update && sudo apt-get install -y chromium`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "chromium"]]) {
    const r = spawnSync("apt-get", args, { env, encoding: "utf8" });
    if (r.status !== 0) {
      throw new Error(`apt-get ${args.join(" ")} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
    }
  }
  if (!existsSync(CHROMIUM))
    throw new Error(`apt-get installed chromium but ${CHROMIUM} is missing`);
  return CHROMIUM;
}

/** The installed Chromium's version line, e.g. "Chromium 156.0.8078.114 built on Debian ...". */
export function chromiumVersion(): string {
  return execFileSync(ensureChromium(), ["--version"], { encoding: "utf8" }).trim();
}

export interface Browser {
  readonly context: BrowserContext;
  /** Closes the browser and removes its user-data-dir. */
  close(): Promise<void>;
}

/** Launches headless Chromium with {@link CHROMIUM_FLAGS} in a fresh user-data-dir. */
export async function launchChromium(
  options: { downloadsPath?: string; viewport?: { width: number; height: number } } = {},
): Promise<Browser> {
  const executablePath = ensureChromium();
  const userDataDir = mkdtempSync(join(tmpdir(), "pg-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    acceptDownloads: true,
    viewport: options.viewport ?? { width: 1100, height: 760 },
    ...(options.downloadsPath ? { downloadsPath: options.downloadsPath } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

const MIME: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

/** Serves the files under `root` on 127.0.0.1 (a free port); resolves to its base URL. */
export async function serveStatic(root: string): Promise<{ url: string; server: Server }> {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = normalize(join(base, path.endsWith("/") ? `${path}index.html` : path));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/`, server };
}
