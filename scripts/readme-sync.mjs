// Keeps README.md's code examples identical to the files the tests run. Each example in the
// README follows a marker `<!-- include: path -->`; this script rewrites the fenced block
// after every marker from that file. `--check` exits 1 when the README is out of date (a
// test runs it), so the README's examples are always the tested ones.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const readmePath = path.join(root, "README.md");
const lang = { ".mjs": "js", ".js": "js", ".ts": "ts", ".html": "html", ".toml": "toml", ".sh": "sh" };

/** README text with every included block refreshed from its file. */
export function synced(text) {
  return text.replace(/<!-- include: (\S+) -->\n```[a-z]*\n[\s\S]*?```/g, (_, file) => {
    const body = readFileSync(path.join(root, file), "utf8").replace(/\n$/, "");
    return `<!-- include: ${file} -->\n\`\`\`${lang[path.extname(file)] ?? ""}\n${body}\n\`\`\``;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = readFileSync(readmePath, "utf8");
  const next = synced(text);
  if (process.argv.includes("--check")) {
    if (next !== text) { console.error("README.md examples differ from their files: run node scripts/readme-sync.mjs"); process.exit(1); }
  } else if (next !== text) {
    writeFileSync(readmePath, next);
    console.log("README.md examples refreshed");
  }
}
