// Headless Chromium through playwright-core with the flags this machine needs.
import { chromium } from "playwright-core";
import { build } from "esbuild";
import { mkdir, copyFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { packageWasmFiles } from "./paths.mjs";

/** Launches /usr/bin/chromium headless. */
export function launchChromium() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    timeout: 30_000,
  });
}

/**
 * Bundles `entry` for the browser with esbuild into `dir/app.js` (the wasm copied to
 * `dir/dist/`, where the package's `new URL(..., import.meta.url)` looks for it) and
 * writes an index.html that loads it (a copy of `html` when given).
 */
export async function bundleForBrowser(entry, dir, html) {
  await mkdir(path.join(dir, "dist"), { recursive: true });
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    minify: true,
    metafile: true,
    outfile: path.join(dir, "app.js"),
    logLevel: "error",
  });
  for (const f of packageWasmFiles()) await copyFile(f, path.join(dir, "dist", path.basename(f)));
  if (html) await copyFile(html, path.join(dir, "index.html"));
  else await writeFile(path.join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><title>tasklane</title><body>running</body><script type="module" src="./app.js"></script>\n`);
  return result;
}

/**
 * Opens `url` in a new page of `browser`, waits until the app set `globalThis.__result` or
 * `__error`, screenshots it to `shot`, and returns both with the page's console lines and
 * the paths of the .wasm files it fetched.
 */
export async function runPage(browser, url, shot) {
  const page = await browser.newPage();
  const logs = [];
  const wasm = [];
  page.on("console", (m) => logs.push(m.text()));
  page.on("pageerror", (e) => logs.push(String(e)));
  page.on("request", (r) => { if (r.url().endsWith(".wasm")) wasm.push(new URL(r.url()).pathname); });
  await page.goto(url);
  await page.waitForFunction(() => globalThis.__result || globalThis.__error, null, { timeout: 60_000 });
  await page.screenshot({ path: shot });
  const { result, error } = await page.evaluate(() => ({ result: globalThis.__result, error: globalThis.__error }));
  return { result, error, logs, wasm };
}
