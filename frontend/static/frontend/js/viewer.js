// The workspace canvas: zoom (wheel, buttons, keys) and pan (drag with the hand tool, middle button or space)
// over the web-size derivative; draws the chosen layer, the before/after split, the uncertainty overlay, hints
// and the other people's cursors. Coordinates shared with the server are normalized [0, 1] of the original.

const MIN_SCALE = 0.05;
const MAX_SCALE = 40;

export class Viewer extends EventTarget {
  constructor(canvas, width, height) {
    super();
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    const long = Math.max(width, height);
    this.iw = (2048 * width) / long; // logical content size (layers of any resolution are drawn into it)
    this.ih = (2048 * height) / long;
    this.scale = 1;
    this.tx = 0;
    this.ty = 0;
    this.layers = {}; // name -> image (HTMLImageElement / ImageBitmap / canvas)
    this.main = "original";
    this.before = "original";
    this.compare = false;
    this.split = 0.5;
    this.overlay = null; // uncertainty image (its colour ramp carries its own transparency)
    this.overlayOpacity = 1;
    this.masks = []; // repair masks over the image (canvases at the working size: workspace/repair.js)
    this.painter = null; // {radius (working-image px), colour}: a drag paints a mask stroke ("paint" event)
    this.hints = [];
    this.selected = null;
    this.cursors = new Map();
    this.tool = "point";
    this.color = "#b22222";
    this.brushWidth = 0.01;
    this.pointRadius = 0.01;
    this.readOnly = false;
    this.quickPlace = false; // point tool: place at once in the current colour (else suggest, then place)
    this.pending = null; // [u, v] of a point waiting for its colour (suggest, then place)
    this.baseExternal = false; // the original is drawn beneath the canvas (deep zoom tiles): leave it clear
    this.onView = null; // called after each frame, to put what lies beneath at the same transform
    this.dirty = true;
    this.drag = null;
    this.spaceDown = false;
    this.frames = 0;
    this.touches = new Map(); // pointerId -> [clientX, clientY] of the touch pointers down (pinch zoom)
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(canvas.parentElement);
    this.bind();
    this.resize();
    const loop = () => {
      if (this.dirty) {
        this.dirty = false;
        const t = performance.now();
        this.draw();
        if (this.onView) this.onView();
        this.lastDrawMs = performance.now() - t;
        this.drawMsTotal = (this.drawMsTotal || 0) + this.lastDrawMs;
      }
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  invalidate() {
    this.dirty = true;
  }

  resize() {
    const box = this.canvas.parentElement.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(50, Math.floor(box.width));
    const h = Math.max(50, Math.floor(box.height));
    const first = !this.cw;
    this.cw = w;
    this.ch = h;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    this.dpr = dpr;
    if (first || !this.userMoved) this.fit();
    this.invalidate();
  }

  fit() {
    const s = Math.min(this.cw / this.iw, this.ch / this.ih) * 0.96;
    this.scale = s;
    this.tx = (this.cw - this.iw * s) / 2;
    this.ty = (this.ch - this.ih * s) / 2;
    this.userMoved = false;
    this.invalidate();
    this.emit("zoom", { scale: this.zoomPercent() });
  }

  zoomPercent() {
    // relative to the original's pixels
    return Math.round((this.scale * this.iw * 100) / (this.origWidth || this.iw));
  }

  zoomAt(factor, sx = this.cw / 2, sy = this.ch / 2) {
    const s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    const k = s / this.scale;
    this.tx = sx - (sx - this.tx) * k;
    this.ty = sy - (sy - this.ty) * k;
    this.scale = s;
    this.userMoved = true;
    this.invalidate();
    this.emit("zoom", { scale: this.zoomPercent() });
  }

  // 1:1: one pixel of the original per CSS pixel, with the image point (u, v) (default: the one at the centre
  // of the view) at the centre.
  actualPixels(u = (this.cw / 2 - this.tx) / (this.iw * this.scale), v = (this.ch / 2 - this.ty) / (this.ih * this.scale)) {
    this.scale = (this.origWidth || this.iw) / this.iw;
    this.tx = Math.round(this.cw / 2 - u * this.iw * this.scale); // whole pixels: one screen pixel per pixel
    this.ty = Math.round(this.ch / 2 - v * this.ih * this.scale);
    this.userMoved = true;
    this.invalidate();
    this.emit("zoom", { scale: this.zoomPercent() });
  }

  panBy(dx, dy) {
    this.tx += dx;
    this.ty += dy;
    this.userMoved = true;
    this.invalidate();
  }

  toNorm(clientX, clientY) {
    const r = this.canvas.getBoundingClientRect();
    const sx = clientX - r.left;
    const sy = clientY - r.top;
    return [(sx - this.tx) / (this.iw * this.scale), (sy - this.ty) / (this.ih * this.scale)];
  }

  toScreen(u, v) {
    return [this.tx + u * this.iw * this.scale, this.ty + v * this.ih * this.scale];
  }

  long() {
    return Math.max(this.iw, this.ih) * this.scale;
  }

  hintRadiusPx(h) {
    return Math.max(7, (h.radius || this.pointRadius) * this.long());
  }

  hitTest(clientX, clientY) {
    const r = this.canvas.getBoundingClientRect();
    const sx = clientX - r.left;
    const sy = clientY - r.top;
    let best = null;
    let bestD = Infinity;
    for (const h of this.hints) {
      if (h.shape !== "point" && Array.isArray(h.points) && h.points.length) {
        const tol = Math.max(6, ((h.width || this.brushWidth) * this.long()) / 2 + 3);
        for (const [u, v] of h.points) {
          const [px, py] = this.toScreen(u, v);
          const d = Math.hypot(px - sx, py - sy);
          if (d <= tol && d < bestD) {
            best = h;
            bestD = d;
          }
        }
      } else {
        const [px, py] = this.toScreen(h.x, h.y);
        const d = Math.hypot(px - sx, py - sy);
        if (d <= this.hintRadiusPx(h) + 4 && d < bestD) {
          best = h;
          bestD = d;
        }
      }
    }
    return best;
  }

  inside(u, v) {
    return u >= 0 && u <= 1 && v >= 0 && v <= 1;
  }

  bind() {
    const c = this.canvas;
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = c.getBoundingClientRect();
      this.zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    c.addEventListener("contextmenu", (e) => e.preventDefault());
    c.addEventListener("pointerdown", (e) => this.down(e));
    c.addEventListener("pointermove", (e) => this.move(e));
    c.addEventListener("pointerup", (e) => this.up(e));
    c.addEventListener("pointercancel", (e) => {
      this.touches.delete(e.pointerId);
      this.drag = null;
    });
    c.addEventListener("pointerleave", () => this.emit("hover", null));
    c.addEventListener("keydown", (e) => this.key(e));
    c.addEventListener("blur", () => {
      this.keyCursor = null;
      this.invalidate();
    });
    window.addEventListener("keydown", (e) => {
      if (e.code === "Space" && e.target === c) {
        this.spaceDown = true;
        e.preventDefault();
      }
    });
    window.addEventListener("keyup", (e) => {
      if (e.code === "Space") this.spaceDown = false;
    });
  }

  // Keyboard use of the canvas: arrows move a crosshair (Shift: faster), Enter places a hint there (or
  // selects the hint under it).
  key(e) {
    const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (arrows[e.key]) {
      e.preventDefault();
      if (!this.keyCursor) this.keyCursor = [0.5, 0.5];
      const step = e.shiftKey ? 0.05 : 0.01;
      const [dx, dy] = arrows[e.key];
      this.keyCursor = [Math.min(1, Math.max(0, this.keyCursor[0] + dx * step)),
        Math.min(1, Math.max(0, this.keyCursor[1] + dy * step))];
      this.emit("hover", { x: this.keyCursor[0], y: this.keyCursor[1] });
      this.invalidate();
    } else if (e.key === "Enter" && this.keyCursor) {
      e.preventDefault();
      const [u, v] = this.keyCursor;
      const [sx, sy] = this.toScreen(u, v);
      const r = this.canvas.getBoundingClientRect();
      const hit = this.hitTest(r.left + sx, r.top + sy);
      if (hit) {
        this.selected = hit.id;
        this.emit("select", { id: hit.id });
        this.emit("pick", { id: hit.id, x: u, y: v });
      } else if (!this.readOnly && this.tool === "point") this.placeAt(u, v, e.shiftKey, r.left + sx, r.top + sy);
      else if (!this.readOnly && this.tool === "suggest") this.emit("suggest-at", { x: u, y: v });
      this.invalidate();
    }
  }

  // The point tool: quick placement (or Shift) places in the current colour; otherwise the point waits for
  // its colour, chosen among the suggestions there ("place-ask", answered by workspace/place.js).
  placeAt(u, v, quick, clientX, clientY) {
    if (this.quickPlace || quick) this.emit("place", { x: u, y: v });
    else {
      this.pending = [u, v];
      this.emit("place-ask", { x: u, y: v, clientX, clientY });
    }
  }

  // Two fingers: pinch to zoom around their midpoint and pan with it; the gesture cancels any tap or drag.
  pinch(e) {
    const before = Array.from(this.touches.values());
    this.touches.set(e.pointerId, [e.clientX, e.clientY]);
    const after = Array.from(this.touches.values());
    if (before.length !== 2 || after.length !== 2) return;
    const mid = (p) => [(p[0][0] + p[1][0]) / 2, (p[0][1] + p[1][1]) / 2];
    const dist = (p) => Math.hypot(p[0][0] - p[1][0], p[0][1] - p[1][1]) || 1;
    const r = this.canvas.getBoundingClientRect();
    const [mx, my] = mid(after);
    const [bx, by] = mid(before);
    this.panBy(mx - bx, my - by);
    this.zoomAt(dist(after) / dist(before), mx - r.left, my - r.top);
  }

  down(e) {
    this.canvas.focus({ preventScroll: true });
    this.canvas.setPointerCapture(e.pointerId);
    if (e.pointerType === "touch") {
      this.touches.set(e.pointerId, [e.clientX, e.clientY]);
      if (this.touches.size > 1) {
        this.drag = { kind: "pinch" };
        return;
      }
    }
    const [u, v] = this.toNorm(e.clientX, e.clientY);
    if (this.tool === "suggest" && !this.readOnly && this.inside(u, v)) {
      this.drag = { kind: "suggest", u, v, x: e.clientX, y: e.clientY };
      return;
    }
    const panning = e.button === 1 || e.button === 2 || this.spaceDown || this.tool === "pan";
    if (panning) {
      this.drag = { kind: "pan", x: e.clientX, y: e.clientY };
      this.canvas.style.cursor = "grabbing";
      return;
    }
    if (this.painter && !this.readOnly && this.inside(u, v)) {
      this.drag = { kind: "paint", points: [[u, v]] }; // the repair brush or eraser: hints are left alone
      this.invalidate();
      return;
    }
    if (this.compare && this.nearSplit(e)) {
      this.drag = { kind: "split" };
      return;
    }
    const hit = this.hitTest(e.clientX, e.clientY);
    if (hit) {
      this.selected = hit.id;
      this.emit("select", { id: hit.id, x: u, y: v });
      const locked = hit.status === "verified" && !this.canChangeVerified;
      if (!this.readOnly && !locked && this.tool !== "brush") {
        this.drag = { kind: "move", id: hit.id, x0: e.clientX, y0: e.clientY, u0: hit.x, v0: hit.y, moved: false, hint: hit };
      } else this.emit("pick", { id: hit.id, x: u, y: v });
      this.invalidate();
      return;
    }
    if (this.readOnly || !this.inside(u, v)) {
      this.drag = { kind: "pan", x: e.clientX, y: e.clientY };
      return;
    }
    if (this.tool === "brush") {
      this.drag = { kind: "stroke", points: [[u, v]] };
    } else if (this.tool === "point") {
      this.drag = { kind: "place", u, v, x: e.clientX, y: e.clientY };
    } else {
      this.drag = { kind: "pan", x: e.clientX, y: e.clientY };
      this.selected = null;
      this.emit("select", { id: null });
    }
  }

  nearSplit(e) {
    const r = this.canvas.getBoundingClientRect();
    const sx = e.clientX - r.left;
    return Math.abs(sx - this.splitX()) < 8;
  }

  splitX() {
    return this.tx + this.split * this.iw * this.scale;
  }

  move(e) {
    if (this.touches.has(e.pointerId)) {
      this.pinch(e);
      if (this.drag && this.drag.kind === "pinch") return;
    }
    const [u, v] = this.toNorm(e.clientX, e.clientY);
    if (this.inside(u, v)) this.emit("hover", { x: u, y: v });
    const d = this.drag;
    if (!d) {
      if (this.compare && this.nearSplit(e)) this.canvas.style.cursor = "ew-resize";
      else if (this.hitTest(e.clientX, e.clientY)) this.canvas.style.cursor = this.readOnly ? "pointer" : "move";
      else this.canvas.style.cursor = this.tool === "pan" ? "grab" : this.readOnly ? "default" : "crosshair";
      return;
    }
    if (d.kind === "pan") {
      this.panBy(e.clientX - d.x, e.clientY - d.y);
      d.x = e.clientX;
      d.y = e.clientY;
    } else if (d.kind === "split") {
      this.split = Math.min(1, Math.max(0, u));
      this.emit("split", { split: this.split });
      this.invalidate();
    } else if (d.kind === "move") {
      if (Math.hypot(e.clientX - d.x0, e.clientY - d.y0) > 3) d.moved = true;
      if (d.moved) {
        const [u0, v0] = this.toNorm(d.x0, d.y0);
        d.dx = u - u0;
        d.dy = v - v0;
        this.invalidate();
      }
    } else if (d.kind === "stroke" || d.kind === "paint") {
      const last = d.points[d.points.length - 1];
      const [lx, ly] = this.toScreen(last[0], last[1]);
      const [sx, sy] = this.toScreen(u, v);
      if (Math.hypot(sx - lx, sy - ly) > (d.kind === "paint" ? 1 : 3)) {
        d.points.push([Math.min(1, Math.max(0, u)), Math.min(1, Math.max(0, v))]);
        this.invalidate();
      }
    }
  }

  up(e) {
    this.touches.delete(e.pointerId);
    const d = this.drag;
    if (d && d.kind === "pinch") {
      if (!this.touches.size) this.drag = null; // the gesture ends when the last finger lifts
      return;
    }
    this.drag = null;
    this.canvas.style.cursor = "";
    if (!d) return;
    if (d.kind === "suggest") {
      if (Math.hypot(e.clientX - d.x, e.clientY - d.y) < 8) this.emit("suggest-at", { x: d.u, y: d.v });
      return;
    }
    if (d.kind === "move" && !d.moved) {
      const [u, v] = this.toNorm(e.clientX, e.clientY);
      this.emit("pick", { id: d.id, x: u, y: v });
    } else if (d.kind === "move" && d.moved) {
      const h = d.hint;
      const clampU = (x) => Math.min(1, Math.max(0, x));
      const changes = { x: clampU(h.x + d.dx), y: clampU(h.y + d.dy) };
      if (h.shape !== "point" && Array.isArray(h.points)) {
        changes.points = h.points.map(([px, py]) => [clampU(px + d.dx), clampU(py + d.dy)]);
      }
      this.emit("move-hint", { id: d.id, changes });
    } else if (d.kind === "place") {
      const slop = e.pointerType === "touch" ? 12 : 5; // a fingertip wobbles more than a mouse
      if (Math.hypot(e.clientX - d.x, e.clientY - d.y) < slop) this.placeAt(d.u, d.v, e.shiftKey, e.clientX, e.clientY);
    } else if (d.kind === "paint") {
      this.emit("paint", { points: d.points });
    } else if (d.kind === "stroke") {
      let pts = d.points;
      if (pts.length > 500) {
        const k = Math.ceil(pts.length / 500);
        pts = pts.filter((_, i) => i % k === 0 || i === pts.length - 1);
      }
      pts = pts.map(([pu, pv]) => [Math.round(pu * 1e5) / 1e5, Math.round(pv * 1e5) / 1e5]);
      if (pts.length >= 2) this.emit("stroke", { points: pts });
      else this.emit("place", { x: d.points[0][0], y: d.points[0][1] });
    }
    this.invalidate();
  }

  // ---- drawing ------------------------------------------------------------------------------------------
  drawLayer(ctx, name, x, y, w, h) {
    if (this.baseExternal && (name === "original" || !this.layers[name])) return false; // the tiles show through
    const img = this.layers[name] || this.layers.original;
    if (!img) return false;
    ctx.drawImage(img, x, y, w, h);
    return true;
  }

  draw() {
    const ctx = this.ctx;
    const dpr = this.dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.cw, this.ch);
    if (!this.baseExternal) {
      ctx.fillStyle = "#2b2b2b";
      ctx.fillRect(0, 0, this.cw, this.ch);
    }
    const x = this.tx;
    const y = this.ty;
    const w = this.iw * this.scale;
    const h = this.ih * this.scale;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = this.scale > 1 ? "low" : "medium";
    if (this.compare) {
      const sx = this.splitX();
      ctx.save();
      ctx.beginPath();
      ctx.rect(x, y, Math.max(0, sx - x), h);
      ctx.clip();
      this.drawLayer(ctx, this.before, x, y, w, h);
      ctx.restore();
      ctx.save();
      ctx.beginPath();
      ctx.rect(sx, y, Math.max(0, x + w - sx), h);
      ctx.clip();
      this.drawLayer(ctx, this.main, x, y, w, h);
      ctx.restore();
      ctx.fillStyle = "#fff";
      ctx.fillRect(sx - 1, y, 2, h);
      ctx.beginPath();
      ctx.arc(sx, y + h / 2, 9, 0, Math.PI * 2);
      ctx.fill();
      ctx.fillStyle = "#333";
      ctx.font = "11px system-ui";
      ctx.textAlign = "center";
      ctx.fillText("⇆", sx, y + h / 2 + 4);
      ctx.textAlign = "start";
    } else {
      this.drawLayer(ctx, this.main, x, y, w, h);
    }
    if (this.overlay) {
      ctx.save();
      ctx.globalAlpha = this.overlayOpacity;
      ctx.drawImage(this.overlay, x, y, w, h);
      ctx.restore();
    }
    if (this.masks.length) {
      ctx.save();
      ctx.imageSmoothingEnabled = false; // each mask pixel covers exactly its pixel of the image, at any zoom
      for (const mask of this.masks) ctx.drawImage(mask, x, y, w, h);
      ctx.restore();
    }
    if (this.drag && this.drag.kind === "paint" && this.painter) this.drawPaint(ctx, this.drag.points);
    if (this.showHints !== false) this.drawHints(ctx);
    if (this.pending) this.drawPending(ctx);
    if (this.keyCursor) {
      const [kx, ky] = this.toScreen(this.keyCursor[0], this.keyCursor[1]);
      ctx.save();
      ctx.strokeStyle = "#ffd400";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(kx - 12, ky);
      ctx.lineTo(kx - 4, ky);
      ctx.moveTo(kx + 4, ky);
      ctx.lineTo(kx + 12, ky);
      ctx.moveTo(kx, ky - 12);
      ctx.lineTo(kx, ky - 4);
      ctx.moveTo(kx, ky + 4);
      ctx.lineTo(kx, ky + 12);
      ctx.stroke();
      ctx.restore();
    }
    this.drawCursors(ctx);
    this.frames += 1;
  }

  drawHints(ctx) {
    const d = this.drag;
    for (const hint of this.hints) {
      let { x: u, y: v, points } = hint;
      let dx = 0;
      let dy = 0;
      if (d && d.kind === "move" && d.id === hint.id && d.moved) {
        dx = d.dx || 0;
        dy = d.dy || 0;
      }
      const selected = hint.id === this.selected;
      const verified = hint.status === "verified";
      ctx.save();
      if (hint.shape !== "point" && Array.isArray(points) && points.length > 1) {
        ctx.lineCap = "round";
        ctx.lineJoin = "round";
        const path = () => {
          ctx.beginPath();
          points.forEach(([pu, pv], i) => {
            const [sx, sy] = this.toScreen(pu + dx, pv + dy);
            if (i) ctx.lineTo(sx, sy);
            else ctx.moveTo(sx, sy);
          });
        };
        const lw = Math.max(3, (hint.width || this.brushWidth) * this.long());
        path();
        ctx.strokeStyle = selected ? "#ffd400" : verified ? "#fff" : "rgba(0,0,0,.8)";
        ctx.lineWidth = lw + 4;
        ctx.stroke();
        path();
        ctx.strokeStyle = hint.color;
        ctx.lineWidth = lw;
        if (hint.shape === "fence") ctx.setLineDash([lw * 2, lw * 2]); // a fence: dashed, no colour of its own
        ctx.stroke();
        ctx.setLineDash([]);
      } else {
        const [sx, sy] = this.toScreen(u + dx, v + dy);
        const r = this.hintRadiusPx(hint);
        ctx.beginPath();
        ctx.arc(sx, sy, r, 0, Math.PI * 2);
        ctx.fillStyle = hint.color;
        ctx.fill();
        ctx.lineWidth = 2;
        ctx.strokeStyle = "rgba(0,0,0,.85)";
        ctx.stroke();
        ctx.beginPath();
        ctx.arc(sx, sy, r + 2, 0, Math.PI * 2);
        ctx.strokeStyle = "#fff";
        ctx.lineWidth = verified ? 3 : 1.5;
        if (!verified) ctx.setLineDash([3, 3]);
        ctx.stroke();
        ctx.setLineDash([]);
        if (verified) {
          ctx.fillStyle = "#fff";
          ctx.font = "bold 11px system-ui";
          ctx.fillText("✓", sx + r + 2, sy - r);
        }
        if (selected) {
          ctx.beginPath();
          ctx.arc(sx, sy, r + 6, 0, Math.PI * 2);
          ctx.strokeStyle = "#ffd400";
          ctx.lineWidth = 2.5;
          ctx.stroke();
        }
      }
      ctx.restore();
    }
    if (d && d.kind === "stroke" && d.points.length > 1) {
      ctx.save();
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = this.color;
      ctx.globalAlpha = 0.8;
      ctx.lineWidth = Math.max(3, this.brushWidth * this.long());
      ctx.beginPath();
      d.points.forEach(([pu, pv], i) => {
        const [sx, sy] = this.toScreen(pu, pv);
        if (i) ctx.lineTo(sx, sy);
        else ctx.moveTo(sx, sy);
      });
      ctx.stroke();
      ctx.restore();
    }
  }

  // A repair stroke being painted: round ends, 2r+1 pixels of the working image wide, as the server paints it.
  drawPaint(ctx, points) {
    const px = (this.iw * this.scale) / (this.origWidth || this.iw); // screen px per working-image px
    ctx.save();
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = this.painter.colour;
    ctx.lineWidth = Math.max(1, (2 * this.painter.radius + 1) * px);
    ctx.beginPath();
    points.forEach(([pu, pv], i) => {
      const [sx, sy] = this.toScreen(pu, pv);
      if (i) ctx.lineTo(sx, sy);
      else ctx.moveTo(sx, sy);
    });
    if (points.length === 1) ctx.lineTo(...this.toScreen(points[0][0], points[0][1]).map((c, i) => c + (i ? 0 : 0.01)));
    ctx.stroke();
    ctx.restore();
  }

  drawPending(ctx) {
    const [sx, sy] = this.toScreen(this.pending[0], this.pending[1]);
    const r = Math.max(7, this.pointRadius * this.long());
    ctx.save();
    ctx.lineWidth = 2;
    ctx.setLineDash([4, 3]);
    for (const [colour, extra] of [["rgba(0,0,0,.85)", 0], ["#ffd400", 2]]) {
      ctx.beginPath();
      ctx.arc(sx, sy, r + extra, 0, Math.PI * 2);
      ctx.strokeStyle = colour;
      ctx.stroke();
    }
    ctx.restore();
  }

  drawCursors(ctx) {
    const now = performance.now();
    for (const [key, c] of this.cursors) {
      if (now - c.t > 15000) {
        this.cursors.delete(key);
        continue;
      }
      const [sx, sy] = this.toScreen(c.x, c.y);
      ctx.save();
      ctx.fillStyle = c.color;
      ctx.strokeStyle = "#fff";
      ctx.beginPath();
      ctx.moveTo(sx, sy);
      ctx.lineTo(sx + 12, sy + 5);
      ctx.lineTo(sx + 5, sy + 12);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      ctx.font = "12px system-ui";
      const w = ctx.measureText(c.name).width + 8;
      ctx.fillRect(sx + 12, sy + 12, w, 17);
      ctx.fillStyle = "#fff";
      ctx.fillText(c.name, sx + 16, sy + 25);
      ctx.restore();
    }
  }
}
