// The photo room client: one WebSocket to /ws/photos/{id}/ (protocol in docs/hint-protocol.md).
// Keeps the hints, the people present and the room revision; requests carry a request_id and resolve on
// the server's `ack` or reject on its `error`. Reconnects with back-off and resumes with ?since=REV.

export class Room extends EventTarget {
  constructor(path) {
    super();
    this.path = path;
    this.hints = new Map();
    this.people = new Map();
    this.revision = 0;
    this.pending = new Map();
    this.clientId = Math.random().toString(36).slice(2, 8);
    this.seq = 0;
    this.ws = null;
    this.closedByUs = false;
    this.backoff = 500;
    this.held = null; // a list while incoming frames are held (simulated latency, used by tests)
    this.connected = false;
    this.lastCursor = 0;
  }

  url() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const since = this.revision ? `?since=${this.revision}` : "";
    return `${proto}//${location.host}${this.path}${since}`;
  }

  connect() {
    this.closedByUs = false;
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => {
      this.connected = true;
      this.backoff = 500;
      this.emit("status", { connected: true });
    };
    ws.onmessage = (ev) => {
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      // While held (simulated latency), broadcasts wait; replies to our own requests still arrive.
      if (this.held && !(frame.request_id && this.pending.has(frame.request_id))) this.held.push(frame);
      else this.handle(frame);
    };
    ws.onclose = (ev) => {
      this.connected = false;
      this.emit("status", { connected: false, code: ev.code });
      for (const [, p] of this.pending) p.reject(Object.assign(new Error("connection lost"), { code: "disconnected" }));
      this.pending.clear();
      if (this.closedByUs || ev.code === 4403 || ev.code === 4404 || ev.code === 4401) {
        if (ev.code >= 4400) this.emit("refused", { code: ev.code });
        return;
      }
      setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 10000);
    };
  }

  close() {
    this.closedByUs = true;
    if (this.ws) this.ws.close();
  }

  hold() {
    this.held = this.held || [];
  }

  release() {
    const frames = this.held || [];
    this.held = null;
    frames.forEach((f) => this.handle(f));
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  bump(rev) {
    if (typeof rev === "number" && rev > this.revision) this.revision = rev;
  }

  setHint(h) {
    if (!h || h.id === undefined) return;
    const old = this.hints.get(h.id);
    if (old && typeof old.revision === "number" && typeof h.revision === "number" && h.revision < old.revision) return;
    this.hints.set(h.id, h);
  }

  personKey(p) {
    return String(p.username || p.id || "");
  }

  applyHint(h) {
    if (!h || h.id === undefined) return;
    if (h.deleted) {
      const old = this.hints.get(h.id);
      if (!old || typeof old.revision !== "number" || h.revision >= old.revision) this.hints.delete(h.id);
    } else this.setHint(h);
  }

  setPeople(list) {
    this.people.clear();
    list.forEach((p) => this.people.set(this.personKey(p), p));
  }

  handle(frame) {
    const t = frame.type;
    this.bump(frame.room_revision ?? frame.revision);
    if (t === "snapshot") {
      this.you = frame.you || null;
      if (frame.since === undefined || frame.resync) this.hints.clear();
      if (frame.since !== undefined && !frame.resync) {
        (frame.events || []).forEach((e) => this.applyHint(e.hint));
        if (frame.events_complete === false) {
          this.hints.clear();
          (frame.hints || []).forEach((h) => this.applyHint(h));
        }
      } else (frame.hints || []).forEach((h) => this.applyHint(h));
      if (Array.isArray(frame.people)) this.setPeople(frame.people);
      this.emit("hints", { frame });
      this.emit("people", {});
    } else if (t === "snapshot.hints") {
      // A big room's snapshot continues in pages (each frame stays under the server's size limit).
      (frame.hints || []).forEach((h) => this.applyHint(h));
      this.emit("hints", { frame });
    } else if (t && t.startsWith("hint.")) {
      this.applyHint(frame.hint);
      this.emit("hints", { frame });
    } else if (t === "presence") {
      if (Array.isArray(frame.people)) this.setPeople(frame.people);
      this.emit("people", { frame });
    } else if (t === "cursor") {
      this.emit("cursor", frame);
    } else if (t === "preview") {
      this.emit("preview", frame);
    } else if (t === "ack") {
      if (frame.hint) this.applyHint(frame.hint);
      const p = this.pending.get(frame.request_id);
      if (p) {
        this.pending.delete(frame.request_id);
        p.resolve(frame);
      }
      if (frame.hint) this.emit("hints", { frame });
    } else if (t === "error") {
      const current = frame.code === "stale" ? frame.hint : null;
      if (current && current.id !== undefined) {
        this.hints.delete(current.id);
        this.applyHint(current); // the server's current state wins: no silent overwrite
        this.emit("hints", { frame });
      }
      const p = this.pending.get(frame.request_id);
      const err = Object.assign(new Error(frame.message || "error"), { code: frame.code, current, frame });
      if (p) {
        this.pending.delete(frame.request_id);
        p.reject(err);
      } else {
        this.emit("server-error", frame);
      }
    } else if (t === "suggestion" || t === "suggest") {
      const p = this.pending.get(frame.request_id);
      if (p) {
        this.pending.delete(frame.request_id);
        p.resolve(frame);
      }
    } else if (t === "pong") {
      const p = this.pending.get(frame.request_id);
      if (p) {
        this.pending.delete(frame.request_id);
        p.resolve(frame);
      }
    } else {
      // run.progress, run.done, run.failed, run.cancelled, version.created, review events...
      this.emit("event", frame);
    }
  }

  request(frame, timeoutMs = 10000) {
    const request_id = `${this.clientId}-${++this.seq}`;
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        reject(Object.assign(new Error("not connected to the room; retrying…"), { code: "disconnected" }));
        return;
      }
      this.pending.set(request_id, { resolve, reject });
      this.ws.send(JSON.stringify({ ...frame, request_id }));
      setTimeout(() => {
        if (this.pending.has(request_id)) {
          this.pending.delete(request_id);
          reject(Object.assign(new Error("the server did not answer in time"), { code: "timeout" }));
        }
      }, timeoutMs);
    });
  }

  add(hint) {
    return this.request({ type: "hint.add", hint });
  }

  rev(id) {
    const current = this.hints.get(id);
    return current ? current.revision : 0;
  }

  update(id, changes) {
    return this.request({ type: "hint.update", id, revision: this.rev(id), hint: changes });
  }

  remove(id) {
    return this.request({ type: "hint.delete", id, revision: this.rev(id) });
  }

  verify(id, evidence) {
    return this.request({ type: "hint.verify", id, revision: this.rev(id), hint: evidence, verified: true });
  }

  undo() {
    return this.request({ type: "hint.undo" });
  }

  // Suggestions run the model. The server answers a connection's frames in order, so they go over a
  // second connection: placing and moving hints (and seeing others do it) never waits behind the model.
  suggest(x, y) {
    if (!this.side) this.side = new SideChannel(this.path);
    return this.side.request({ type: "suggest", x, y, k: 8 }, 30000);
  }

  ping() {
    return this.request({ type: "ping", t: performance.now() });
  }

  cursor(x, y) {
    const now = performance.now();
    if (now - this.lastCursor < 50 || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.lastCursor = now;
    this.ws.send(JSON.stringify({ type: "cursor", x, y }));
  }
}

class SideChannel {
  constructor(path) {
    this.path = path;
    this.pending = new Map();
    this.seq = 0;
    this.opened = null;
  }

  open() {
    if (this.opened && this.ws && this.ws.readyState <= WebSocket.OPEN) return this.opened;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    this.ws = new WebSocket(`${proto}//${location.host}${this.path}`);
    this.opened = new Promise((resolve, reject) => {
      this.ws.onopen = resolve;
      this.ws.onerror = () => reject(new Error("could not reach the room for suggestions"));
    });
    this.ws.onmessage = (ev) => {
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      const p = frame.request_id && this.pending.get(frame.request_id);
      if (!p) return; // broadcasts are the main connection's business
      this.pending.delete(frame.request_id);
      if (frame.type === "error") p.reject(Object.assign(new Error(frame.message || "error"), { code: frame.code }));
      else p.resolve(frame);
    };
    this.ws.onclose = () => {
      for (const [, p] of this.pending) p.reject(new Error("connection lost"));
      this.pending.clear();
      this.opened = null;
    };
    return this.opened;
  }

  async request(frame, timeoutMs) {
    await this.open();
    const request_id = `s-${++this.seq}`;
    return new Promise((resolve, reject) => {
      this.pending.set(request_id, { resolve, reject });
      this.ws.send(JSON.stringify({ ...frame, request_id }));
      setTimeout(() => {
        if (this.pending.delete(request_id)) reject(new Error("the model did not answer in time"));
      }, timeoutMs);
    });
  }
}
