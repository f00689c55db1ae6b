// Instantiating a build in Cloudflare Workers (workerd): Workers refuse to compile wasm
// from bytes at run time, so the entry imports the .wasm as a module (CompiledWasm) and
// hands it over here.
export function load(glue, module) {
  glue.initSync({ module });
}
