// Brings the islands of this page to life: loads the WASM bundle, then
// hydrates each <leptos-island> with its own export. Pages work without
// it; if the bundle cannot be loaded they stay as the server made them.
const tag = document.querySelector("script[data-wasm]");
window.__RESOLVED_RESOURCES ??= [];
window.__SERIALIZED_ERRORS ??= [];
window.__INCOMPLETE_CHUNKS ??= [];
try {
  const bundle = await import(tag.dataset.js);
  await bundle.default({ module_or_path: tag.dataset.wasm });
  bundle.hydrate();
  for (const island of document.querySelectorAll("leptos-island")) {
    const hydrateIsland = bundle[island.dataset.component];
    if (hydrateIsland) hydrateIsland(island);
  }
  document.getElementById("main")?.setAttribute("data-hydrated", "true");
} catch (error) {
  console.warn("This page works without its scripts:", error);
}
