// The k-means stepper in the browser: slider, Play and drawing, with no call back into Python.
//
// An anywidget ES module (no build step, no imports): Python computes the whole run once and
// sends it as the model's `frames` (see kmeans_lessons/frames.py for every key); this module
// draws any frame of it on two stacked canvases. The still parts (axes, ticks, labels, the J
// curve) are drawn once per run on the lower canvas; a slider step redraws only the moving parts
// on the upper one (regions, samples, trails, centres, the current J, the title), from caches
// built the first time a frame is shown. The layout, colours and texts come from the matplotlib
// figure the course draws elsewhere, so both pictures look the same.
//
// The same module renders the saved widget state on the static course site
// (kmeans_lessons/static/site_host.js provides the model there).

const FORMAT_VERSION = 1;
// Pictures of samples kept per run (each one is the size of the data panel).
const MAX_LAYERS = 48;

// --- decoding the run ------------------------------------------------------------------------

function bytesOf(base64) {
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function floatsOf(base64) {
  const bytes = bytesOf(base64);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** The run as typed arrays, and the list of frames the slider walks through. */
class Run {
  constructor(frames) {
    if (frames.version !== FORMAT_VERSION) {
      throw new Error(`stepper data of version ${frames.version}, this page draws version ` +
                      `${FORMAT_VERSION}: execute the notebook again`);
    }
    this.n = frames.n;
    this.k = frames.k;
    this.xy = floatsOf(frames.xy);
    this.labels = frames.labels.map(bytesOf);
    this.steps = frames.steps;
    this.centres = frames.centres;
    this.offPlane = frames.off_plane;
    this.colors = frames.colors;
    this.regionAlpha = frames.region_alpha;
    this.grid = frames.grid;
    this.layout = frames.layout;
    this.seeding = frames.seeding;
    this.chances = this.seeding ? this.seeding.chances.map(floatsOf) : [];
    this.nPicks = this.chances.length;
  }

  get nFrames() { return this.nPicks + this.steps.length; }

  /** Frame i: a k-means++ pick ({pick: j}) or a half-step ({step: s}). */
  frame(i) {
    return i < this.nPicks ? { pick: i } : { step: i - this.nPicks };
  }

  title(i) {
    const f = this.frame(i);
    return f.pick !== undefined ? this.seeding.titles[f.pick] : this.steps[f.step].title;
  }

  readout(i) {
    const f = this.frame(i);
    return f.pick !== undefined ? `pick ${f.pick + 1}/${this.k}`
                                : `${f.step}/${this.steps.length - 1}`;
  }
}

// --- geometry ----------------------------------------------------------------------------------

/** Maps data coordinates of one matplotlib Axes to canvas pixels (origin top left). */
class Axes {
  constructor(spec, width, height) {
    const [x0, y0, w, h] = spec.box;
    this.spec = spec;
    this.left = x0 * width;
    this.right = (x0 + w) * width;
    this.top = height - (y0 + h) * height;
    this.bottom = height - y0 * height;
    const [xa, xb] = spec.xlim, [ya, yb] = spec.ylim;
    this.sx = (this.right - this.left) / (xb - xa);
    this.sy = (this.bottom - this.top) / (yb - ya);
    this.xa = xa;
    this.ya = ya;
  }
  px(x) { return this.left + (x - this.xa) * this.sx; }
  py(y) { return this.bottom - (y - this.ya) * this.sy; }
  get width() { return this.right - this.left; }
  get height() { return this.bottom - this.top; }
}

function font(layout, px) {
  const families = layout.font_family.filter((f) => f !== "sans-serif")
    .map((f) => `"${f}"`);
  return `${px}px ${[...families, "sans-serif"].join(", ")}`;
}

// matplotlib's filled "X" marker, a unit-size outline (markers.py, _x_filled_path).
const X_MARKER = [[-1, -2], [0, -1], [1, -2], [2, -1], [1, 0], [2, 1], [1, 2], [0, 1], [-1, 2],
                  [-2, 1], [-1, 0], [-2, -1]].map(([x, y]) => [x / 4, y / 4]);

function hexToRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

// --- drawing -----------------------------------------------------------------------------------

/** Draws frames of one run on a lower (still) and an upper (moving) canvas. */
class Painter {
  constructor(figure, run) {
    this.run = run;
    const L = run.layout;
    this.width = L.width;
    this.height = L.height;
    this.ratio = Math.max(1, Math.round((globalThis.devicePixelRatio || 1) * 100) / 100);
    this.still = figure.querySelector("canvas.kmeans-stepper-still");
    this.moving = figure.querySelector("canvas.kmeans-stepper-moving");
    for (const canvas of [this.still, this.moving]) {
      canvas.width = Math.round(this.width * this.ratio);
      canvas.height = Math.round(this.height * this.ratio);
    }
    figure.style.width = `${this.width}px`;
    figure.style.aspectRatio = `${this.width} / ${this.height}`;
    this.data = new Axes(L.data, this.width, this.height);
    this.loss = new Axes(L.loss, this.width, this.height);
    this.clearCaches();
  }

  clearCaches() {
    this.regionImages = new Map();   // iteration -> canvas of the shaded regions
    this.pointLayers = new Map();    // label array index (-1: grey) -> canvas of the samples
    this.chanceLayers = new Map();   // k-means++ pick -> canvas of the samples by chance
  }

  context(canvas) {
    const ctx = canvas.getContext("2d");
    ctx.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    return ctx;
  }

  // ---- the still picture: axes, ticks, labels, panel titles, the J curve

  drawStill() {
    const ctx = this.context(this.still);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, this.width, this.height);
    this.drawLossCurve(ctx);
    this.drawAxisDecor(ctx, this.data, false);  // its title depends on the frame
    this.drawAxisDecor(ctx, this.loss);
    this.drawSpines(ctx, this.loss);
  }

  drawAxisDecor(ctx, axes, withTitle = true) {
    const L = this.run.layout, spec = axes.spec;
    const tick = L.tick_px, pad = L.tick_pad_px;
    ctx.strokeStyle = L.colors.axes;
    ctx.fillStyle = L.colors.text;
    ctx.lineWidth = L.spine_px;
    ctx.font = font(L, L.font_px.tick);
    // x ticks below the axes, labels centred under them
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    spec.xticks.at.forEach((value, i) => {
      const x = axes.px(value);
      ctx.beginPath();
      ctx.moveTo(x, axes.bottom);
      ctx.lineTo(x, axes.bottom + tick);
      ctx.stroke();
      ctx.fillText(spec.xticks.labels[i], x, axes.bottom + tick + pad);
    });
    // y ticks left of the axes, labels right-aligned
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    let widest = 0;
    spec.yticks.at.forEach((value, i) => {
      const y = axes.py(value);
      ctx.beginPath();
      ctx.moveTo(axes.left, y);
      ctx.lineTo(axes.left - tick, y);
      ctx.stroke();
      ctx.fillText(spec.yticks.labels[i], axes.left - tick - pad, y);
      widest = Math.max(widest, ctx.measureText(spec.yticks.labels[i]).width);
    });
    if (spec.yticks.offset) {
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      ctx.fillText(spec.yticks.offset, axes.left, axes.top - 2);
    }
    // axis labels and the panel title
    ctx.font = font(L, L.font_px.label);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const below = axes.bottom + tick + pad + L.font_px.tick * 1.15 + L.label_pad_px;
    ctx.fillText(spec.xlabel, (axes.left + axes.right) / 2, below);
    ctx.save();
    ctx.translate(axes.left - tick - pad - widest - L.label_pad_px, (axes.top + axes.bottom) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "bottom";
    ctx.fillText(spec.ylabel, 0, 0);
    ctx.restore();
    if (withTitle) this.drawPanelTitle(ctx, axes, spec.title);
  }

  drawPanelTitle(ctx, axes, text) {
    const L = this.run.layout;
    ctx.fillStyle = L.colors.text;
    ctx.font = font(L, L.font_px.panel_title);
    ctx.textAlign = "center";
    ctx.textBaseline = "alphabetic";
    ctx.fillText(text, (axes.left + axes.right) / 2, axes.top - L.title_pad_px);
  }

  drawSpines(ctx, axes) {
    const L = this.run.layout;
    ctx.strokeStyle = L.colors.axes;
    ctx.lineWidth = L.spine_px;
    ctx.strokeRect(axes.left, axes.top, axes.width, axes.height);
  }

  drawLossCurve(ctx) {
    const L = this.run.layout, axes = this.loss, spec = axes.spec;
    // grid (behind the curve)
    ctx.save();
    ctx.beginPath();
    ctx.rect(axes.left, axes.top, axes.width, axes.height);
    ctx.clip();
    ctx.strokeStyle = L.colors.grid;
    ctx.globalAlpha = L.grid_alpha;
    ctx.lineWidth = L.spine_px;
    ctx.beginPath();
    for (const value of spec.xticks.at) {
      ctx.moveTo(axes.px(value), axes.top);
      ctx.lineTo(axes.px(value), axes.bottom);
    }
    for (const value of spec.yticks.at) {
      ctx.moveTo(axes.left, axes.py(value));
      ctx.lineTo(axes.right, axes.py(value));
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
    // J after every half-step that has one: "-o" in grey
    const points = [];
    this.run.steps.forEach((s, i) => {
      if (s.loss !== null) points.push([axes.px(i), axes.py(s.loss)]);
    });
    ctx.strokeStyle = ctx.fillStyle = L.colors.loss_line;
    ctx.lineWidth = L.loss_line_px;
    ctx.lineJoin = ctx.lineCap = "round";
    ctx.beginPath();
    points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.stroke();
    ctx.beginPath();
    for (const [x, y] of points) {
      ctx.moveTo(x + L.loss_marker_px / 2, y);
      ctx.arc(x, y, L.loss_marker_px / 2, 0, 2 * Math.PI);
    }
    ctx.fill();
    ctx.restore();
  }

  // ---- the moving picture

  /** Nearest centre of every grid cell at `iteration`, as a small canvas of region colours. */
  regionImage(iteration) {
    let image = this.regionImages.get(iteration);
    if (image) return image;
    const run = this.run, size = run.grid.size, [x0, x1, y0, y1] = run.grid.extent;
    const centres = run.centres[iteration], off = run.offPlane[iteration], k = centres.length;
    // |g - p_j|^2 + r_j up to the |g|^2 every centre shares: |p_j|^2 + r_j - 2 g.p_j
    const base = centres.map(([px, py], j) => px * px + py * py + off[j]);
    const rgb = run.colors.map(hexToRgb);
    const alpha = Math.round(run.regionAlpha * 255);
    image = document.createElement("canvas");
    image.width = image.height = size;
    const ctx = image.getContext("2d");
    const pixels = ctx.createImageData(size, size);
    const dx = (x1 - x0) / size, dy = (y1 - y0) / size;
    for (let row = 0; row < size; row++) {
      const gy = y0 + (row + 0.5) * dy;
      const out = (size - 1 - row) * size * 4;  // row 0 is the bottom of the plot
      for (let col = 0; col < size; col++) {
        const gx = x0 + (col + 0.5) * dx;
        let best = 0, bestScore = Infinity;
        for (let j = 0; j < k; j++) {
          const score = base[j] - 2 * (gx * centres[j][0] + gy * centres[j][1]);
          if (score < bestScore) { bestScore = score; best = j; }  // ties: lower index
        }
        const o = out + col * 4, c = rgb[best];
        pixels.data[o] = c[0];
        pixels.data[o + 1] = c[1];
        pixels.data[o + 2] = c[2];
        pixels.data[o + 3] = alpha;
      }
    }
    ctx.putImageData(pixels, 0, 0);
    this.regionImages.set(iteration, image);
    return image;
  }

  circles(indices, scale = 1) {
    const path = new Path2D(), r = (scale * this.run.layout.marker_px) / 2, xy = this.run.xy;
    const data = this.data;
    for (const i of indices) {
      const x = data.px(xy[2 * i]), y = data.py(xy[2 * i + 1]);
      path.moveTo(x + r, y);
      path.arc(x, y, r, 0, 2 * Math.PI);
    }
    return path;
  }

  /** A transparent canvas over the data panel with the samples drawn by `paint(ctx)`. */
  layer(paint) {
    const data = this.data, canvas = document.createElement("canvas");
    canvas.width = Math.ceil(data.width * this.ratio);
    canvas.height = Math.ceil(data.height * this.ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(this.ratio, 0, 0, this.ratio, -data.left * this.ratio,
                     -data.top * this.ratio);
    paint(ctx);
    return canvas;
  }

  /** The samples coloured by label array `which` (-1: all grey), drawn once and kept: filling
   * thousands of circles is the costly part of a frame, copying a picture of them is not. */
  pointsLayer(which) {
    let layer = this.pointLayers.get(which);
    if (layer) return layer;
    const run = this.run;
    layer = this.layer((ctx) => {
      if (which < 0) {
        ctx.fillStyle = run.layout.colors.unassigned;
        ctx.fill(this.circles(Array.from({ length: run.n }, (_, r) => r)));
        return;
      }
      const labels = run.labels[which], members = Array.from({ length: run.k }, () => []);
      for (let i = 0; i < labels.length; i++) members[labels[i]].push(i);
      members.forEach((rows, j) => {  // cluster j over cluster j - 1, as matplotlib draws them
        ctx.fillStyle = run.colors[j];
        ctx.fill(this.circles(rows));
      });
    });
    this.remember(this.pointLayers, which, layer);
    return layer;
  }

  /** The samples coloured by their chance at k-means++ pick `pick`, likeliest on top. */
  chanceLayer(pick) {
    let layer = this.chanceLayers.get(pick);
    if (layer) return layer;
    const chance = this.run.chances[pick], colormap = this.run.seeding.colormap;
    let top = 0;
    for (const c of chance) top = Math.max(top, c);
    const members = colormap.map(() => []);
    for (let i = 0; i < chance.length; i++) {
      members[Math.min(colormap.length - 1, Math.floor((chance[i] / top) * colormap.length))]
        .push(i);
    }
    layer = this.layer((ctx) => {
      members.forEach((rows, b) => {
        if (!rows.length) return;
        ctx.fillStyle = colormap[b];
        // drawn larger than cluster colours: a colour scale needs more ink to be read
        ctx.fill(this.circles(rows, 1.6));
      });
    });
    layer.top = top;
    this.remember(this.chanceLayers, pick, layer);
    return layer;
  }

  /** Build the pictures of every frame ahead, one per idle moment, so that even the first
   * visit of a frame is a copy. Stops when `alive()` turns false (a new run arrived). */
  warmUp(alive) {
    const run = this.run, jobs = [];
    for (let p = 0; p < run.nPicks; p++) jobs.push(() => this.chanceLayer(p));
    run.steps.forEach((s) => {
      jobs.push(() => this.regionImage(s.iteration));
      jobs.push(() => this.pointsLayer(s.labels));
    });
    const later = globalThis.requestIdleCallback || ((fn) => setTimeout(fn, 1));
    const next = () => {
      if (!alive() || !jobs.length) return;
      if (this.pointLayers.size >= MAX_LAYERS) return;  // the rest is drawn when visited
      jobs.shift()();
      later(next);
    };
    later(next);
  }

  /** Keep at most MAX_LAYERS pictures per kind (a long run of a big data set would otherwise
   * hold hundreds of megabytes); the oldest is dropped and drawn again if needed. */
  remember(cache, key, value) {
    cache.set(key, value);
    if (cache.size > MAX_LAYERS) cache.delete(cache.keys().next().value);
  }

  xMarker(ctx, x, y, color) {
    const L = this.run.layout, s = L.centre_px;
    ctx.beginPath();
    X_MARKER.forEach(([mx, my], i) => {
      const px = x + mx * s, py = y - my * s;
      if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py);
    });
    ctx.closePath();
    ctx.fillStyle = color;
    ctx.fill();
    ctx.lineJoin = "miter";
    ctx.lineWidth = L.centre_edge_px;
    ctx.strokeStyle = L.colors.centre_edge;
    ctx.stroke();
  }

  drawTrails(ctx, iteration) {
    const run = this.run, L = run.layout, data = this.data;
    for (let j = 0; j < run.k; j++) {
      ctx.strokeStyle = ctx.fillStyle = run.colors[j];
      ctx.lineWidth = L.trail_px;
      ctx.lineJoin = ctx.lineCap = "round";
      ctx.beginPath();
      for (let t = 0; t <= iteration; t++) {
        const [x, y] = run.centres[t][j];
        if (t) ctx.lineTo(data.px(x), data.py(y)); else ctx.moveTo(data.px(x), data.py(y));
      }
      ctx.stroke();
      ctx.beginPath();
      for (let t = 0; t <= iteration; t++) {
        const [x, y] = run.centres[t][j], r = L.trail_marker_px / 2;
        ctx.moveTo(data.px(x) + r, data.py(y));
        ctx.arc(data.px(x), data.py(y), r, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
  }

  drawTitle(ctx, text) {
    const L = this.run.layout;
    ctx.fillStyle = L.colors.text;
    ctx.font = font(L, L.font_px.title);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const lineHeight = L.font_px.title * 1.2;
    text.split("\n").forEach((line, i) => {
      ctx.fillText(line, this.width / 2, (1 - L.title_y) * this.height + i * lineHeight);
    });
  }

  drawChanceKey(ctx, top) {
    // A small colour bar in the corner of the data panel: what the colours of a pick mean.
    const L = this.run.layout, colormap = this.run.seeding.colormap, data = this.data;
    const w = 120, h = 8, x = data.right - w - 10, y = data.top + 10;
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.fillRect(x - 6, y - 4, w + 12, h + 24);
    colormap.forEach((c, b) => {
      ctx.fillStyle = c;
      ctx.fillRect(x + (b * w) / colormap.length, y, w / colormap.length + 0.5, h);
    });
    ctx.fillStyle = L.colors.text;
    ctx.font = font(L, L.font_px.panel_title);
    ctx.textBaseline = "top";
    ctx.textAlign = "left";
    ctx.fillText("chance 0", x, y + h + 3);
    ctx.textAlign = "right";
    ctx.fillText(`${(top * 100).toPrecision(2)} %`, x + w, y + h + 3);
  }

  /** Draw frame i on the upper canvas (the still canvas below must be drawn already). */
  drawFrame(i) {
    const run = this.run, L = run.layout, ctx = this.context(this.moving), data = this.data;
    ctx.clearRect(0, 0, this.width, this.height);
    const f = run.frame(i);
    const step = f.step !== undefined ? run.steps[f.step] : null;
    const iteration = step ? step.iteration : 0;

    ctx.save();
    ctx.beginPath();
    ctx.rect(data.left, data.top, data.width, data.height);
    ctx.clip();
    if (step) {
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(this.regionImage(iteration), data.left, data.top, data.width, data.height);
    }
    const points = step ? this.pointsLayer(step.labels) : this.chanceLayer(f.pick);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(points, data.left, data.top, points.width / this.ratio,
                  points.height / this.ratio);
    ctx.restore();
    this.drawSpines(ctx, data);

    if (step) {
      this.drawTrails(ctx, iteration);
      run.centres[iteration].forEach(([x, y], j) => {
        this.xMarker(ctx, data.px(x), data.py(y), run.colors[j]);
      });
    } else {
      const picked = run.seeding.picked;
      for (let j = 0; j < f.pick; j++) {
        this.xMarker(ctx, data.px(picked[j][0]), data.py(picked[j][1]), run.colors[j]);
      }
      // ring the sample that was picked next
      ctx.beginPath();
      ctx.arc(data.px(picked[f.pick][0]), data.py(picked[f.pick][1]), L.centre_px * 0.75, 0,
              2 * Math.PI);
      ctx.lineWidth = L.current_edge_px;
      ctx.strokeStyle = L.colors.current;
      ctx.stroke();
      this.drawChanceKey(ctx, this.chanceLayer(f.pick).top);
    }

    // the current half-step on the J panel: open circle and dotted vertical line
    if (step) {
      const loss = this.loss, x = loss.px(f.step);
      ctx.save();
      ctx.beginPath();
      ctx.rect(loss.left, loss.top, loss.width, loss.height);
      ctx.clip();
      if (step.loss !== null) {
        ctx.beginPath();
        ctx.arc(x, loss.py(step.loss), L.current_px / 2 - L.current_edge_px / 2, 0,
                2 * Math.PI);
        ctx.lineWidth = L.current_edge_px;
        ctx.strokeStyle = L.colors.current;
        ctx.stroke();
      }
      ctx.beginPath();
      ctx.setLineDash(L.cursor_dash);
      ctx.moveTo(x, loss.top);
      ctx.lineTo(x, loss.bottom);
      ctx.lineWidth = L.cursor_px;
      ctx.strokeStyle = L.colors.cursor;
      ctx.stroke();
      ctx.restore();
    }
    this.drawPanelTitle(ctx, data, step ? data.spec.title
      : "points coloured by their chance of being picked next");
    this.drawTitle(ctx, run.title(i));
  }
}

// --- the view ----------------------------------------------------------------------------------

function element(tag, className, parent) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (parent) parent.appendChild(el);
  return el;
}

function render({ model, el }) {
  const root = element("div", "kmeans-stepper-view", el);
  const controls = element("div", "kmeans-stepper-controls", root);
  // Arrow keys on the slider belong to the slider, not to JupyterLab's notebook shortcuts, and
  // focusing it must not make the notebook move the focus to a cell.
  controls.setAttribute("data-lm-suppress-shortcuts", "true");
  for (const type of ["focusin", "keydown", "keyup"]) {
    controls.addEventListener(type, (event) => event.stopPropagation());
  }
  const play = element("button", "kmeans-stepper-play", controls);
  play.type = "button";
  const slider = element("input", "kmeans-stepper-slider", controls);
  slider.type = "range";
  slider.min = "0";
  slider.step = "1";
  slider.setAttribute("aria-label", "half-step");
  const readout = element("span", "kmeans-stepper-readout", controls);
  const note = element("span", "kmeans-stepper-note", controls);
  const message = element("div", "kmeans-stepper-message", root);
  const figure = element("div", "kmeans-stepper-figure", root);
  const still = element("canvas", "kmeans-stepper-still", figure);
  const moving = element("canvas", "kmeans-stepper-moving", figure);
  moving.setAttribute("role", "img");
  if (model.get("static_page")) {
    note.textContent = "k, init and seed can be changed in Jupyter, with a running kernel";
  }

  let run = null, painter = null, timer = null, shown = -1;

  function setPlaying(on) {
    if (timer !== null) clearInterval(timer);
    timer = null;
    play.textContent = on ? "❚❚ pause" : "▶ play";
    play.setAttribute("aria-pressed", on ? "true" : "false");
    if (!on) return;
    timer = setInterval(() => {
      const next = Number(slider.value) + 1;
      if (next > run.nFrames - 1) { setPlaying(false); return; }
      go(next);
    }, Math.max(16, model.get("interval")));
  }

  /** Show frame i and tell the model (the kernel, if any, learns which frame is shown). */
  function go(i) {
    show(i);
    if (model.get("value") !== i) {
      model.set("value", i);
      model.save_changes();
    }
  }

  function show(i) {
    if (!painter) return;
    i = Math.max(0, Math.min(run.nFrames - 1, i));
    const start = performance.now();
    painter.drawFrame(i);
    const title = run.title(i);
    shown = i;
    slider.value = String(i);
    readout.textContent = run.readout(i);
    moving.setAttribute("aria-label", title);
    root.dataset.frame = String(i);
    root.dataset.title = title;
    root.dataset.drawMs = (performance.now() - start).toFixed(3);
  }

  function load() {
    setPlaying(false);
    const frames = model.get("frames");
    message.innerHTML = model.get("message") || "";
    if (!frames || !frames.version) return;
    try {
      run = new Run(frames);
    } catch (error) {
      message.textContent = String(error.message || error);
      painter = run = null;
      return;
    }
    painter = new Painter(figure, run);
    painter.drawStill();
    const current = painter;
    painter.warmUp(() => painter === current);
    slider.max = String(run.nFrames - 1);
    slider.disabled = run.nFrames < 2;
    play.disabled = run.nFrames < 2;
    shown = -1;
    show(model.get("value") || 0);
  }

  // A new run arrives as several trait changes at once (frames, max, value, message): redraw
  // once, after all of them.
  let pending = false;
  function reload() {
    if (pending) return;
    pending = true;
    queueMicrotask(() => { pending = false; load(); });
  }

  slider.addEventListener("input", () => { go(Number(slider.value)); });
  play.addEventListener("click", () => {
    if (timer !== null) { setPlaying(false); return; }
    if (Number(slider.value) >= run.nFrames - 1) go(0);
    setPlaying(true);
  });
  const onValue = () => { if (model.get("value") !== shown) show(model.get("value")); };
  const onMessage = () => { message.innerHTML = model.get("message") || ""; };
  model.on("change:frames", reload);
  model.on("change:value", onValue);
  model.on("change:message", onMessage);
  setPlaying(false);
  load();

  // For tests and the benchmark: draw a frame, or draw it as if from nothing (new canvases,
  // still parts, no caches) without losing the caches of the picture shown.
  root.kmeansStepper = {
    get frames() { return run ? run.nFrames : 0; },
    show: (i) => show(i),
    redrawFromScratch(i) {
      const scratch = new Painter(figure, run);
      scratch.drawStill();
      scratch.drawFrame(i);
    },
  };

  return () => {
    setPlaying(false);
    model.off("change:frames", reload);
    model.off("change:value", onValue);
    model.off("change:message", onMessage);
  };
}

export default { render };
