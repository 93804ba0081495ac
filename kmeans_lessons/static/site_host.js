// Shows the stepper on a static page of the course site, with no Jupyter server and no kernel.
//
// A saved notebook keeps every widget's state (for the stepper: the whole run, and the ES module
// that draws it). kmeans_lessons/site.py writes each stepper's saved state into the page as
// JSON; this script gives the module what Jupyter would: a model with get / set / on / off /
// save_changes over that state. Nothing is downloaded: the module arrives inside the page and is
// imported from a blob: URL, which works from a web server and from a file opened directly.

class SavedModel {
  constructor(state) {
    this.state = { ...state, static_page: true };
    this.listeners = new Map();
  }
  get(name) { return this.state[name]; }
  set(name, value) {
    if (this.state[name] === value) return;
    this.state[name] = value;
    for (const callback of this.listeners.get(`change:${name}`) || []) callback(this, value);
  }
  on(event, callback) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(callback);
  }
  off(event, callback) {
    if (!event) { this.listeners.clear(); return; }
    if (callback) this.listeners.get(event)?.delete(callback); else this.listeners.delete(event);
  }
  save_changes() {}  // nowhere to save to: the page is the whole world
  send() {}
}

const modules = new Map();  // module source -> its default export

async function widgetFor(source) {
  if (!modules.has(source)) {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    modules.set(source, import(url).then((module) => {
      const widget = module.default;
      return typeof widget === "function" ? widget() : widget;
    }));
  }
  return modules.get(source);
}

function addStyle(css) {
  if (!css || document.querySelector(`style[data-kmeans-css="${css.length}"]`)) return;
  const style = document.createElement("style");
  style.dataset.kmeansCss = String(css.length);
  style.textContent = css;
  document.head.appendChild(style);
}

async function showSavedSteppers() {
  for (const holder of document.querySelectorAll(".kmeans-stepper-static")) {
    const saved = JSON.parse(holder.querySelector("script[type='application/json']").textContent);
    try {
      addStyle(saved.state._css);
      const widget = await widgetFor(saved.state._esm);
      const model = new SavedModel(saved.state);
      if (widget.initialize) await widget.initialize({ model });
      const el = document.createElement("div");
      holder.appendChild(el);
      await widget.render({ model, el });
      holder.dataset.rendered = "true";
    } catch (error) {
      holder.dataset.rendered = "failed";
      holder.append(`The stepper could not be shown here: ${error}`);
    }
  }
}

showSavedSteppers();
