// Instantiating a build in browsers (and the `default` condition): fetch and compile the
// .wasm at `url`. The entry passes `new URL("./dist/...wasm", import.meta.url)`, the
// pattern bundlers such as Vite recognize as an asset.
export async function load(glue, url) {
  await glue.default({ module_or_path: url });
}
