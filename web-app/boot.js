// Starts the editor. Trunk would inline this loader into index.html, which the
// page's Content-Security-Policy (script-src 'self', no 'unsafe-inline')
// forbids; so Trunk.toml's `pattern_preload` only emits two preload links
// (with the hashed file names) and this file, loaded from the same origin,
// reads them and starts the WebAssembly module.
const link = (kind) => {
  const element = document.querySelector(`link[data-netpolkit="${kind}"]`);
  if (!element) throw new Error(`netpolkit: the ${kind} preload link is missing from index.html`);
  return element.href;
};

try {
  const { default: init } = await import(link('js'));
  await init({ module_or_path: link('wasm') });
} catch (error) {
  // Say so on the page rather than leaving it blank, then report as usual.
  const app = document.getElementById('app');
  if (app && !app.querySelector('.app')) {
    app.textContent = 'The netpolkit editor could not start (it needs WebAssembly): ' + error;
    app.className = 'fallback';
  }
  throw error;
}
