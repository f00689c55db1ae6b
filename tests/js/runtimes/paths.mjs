// Paths the runtime checks share.
import { fileURLToPath } from "node:url";
import path from "node:path";
import { readdirSync } from "node:fs";

/** The repository root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** The npm package directory. */
export const pkgDir = path.join(root, "pkg");
/** Where the checks write bundles, logs and screenshots (gitignored). */
export const outDir = (name) => path.join(root, "test-output", name);

/**
 * The .wasm files of the package's four builds (pkg/dist/, pkg/client/dist/,
 * pkg/webhook/dist/, pkg/proxy/dist/). Their names differ, and each entry loads its own from `./dist/<name>`
 * (relative to the entry, so relative to a bundle of it): a bundle's directory needs them
 * all under `dist/`, flat.
 */
export function packageWasmFiles() {
  return ["dist", "client/dist", "webhook/dist", "proxy/dist"].flatMap((d) =>
    readdirSync(path.join(pkgDir, d)).filter((f) => f.endsWith(".wasm")).map((f) => path.join(pkgDir, d, f)));
}
