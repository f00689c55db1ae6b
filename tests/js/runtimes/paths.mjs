// Paths the runtime checks share.
import { fileURLToPath } from "node:url";
import path from "node:path";

/** The repository root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** The npm package directory. */
export const pkgDir = path.join(root, "pkg");
/** Where the checks write bundles, logs and screenshots (gitignored). */
export const outDir = (name) => path.join(root, "test-output", name);
