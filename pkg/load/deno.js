// Instantiating a build in Deno: read the .wasm from disk when the package is local (npm:
// or file:), otherwise fetch it.
export async function load(glue, url) {
  if (url.protocol === "file:") {
    glue.initSync({ module: await Deno.readFile(url) });
  } else {
    await glue.default({ module_or_path: url });
  }
}
