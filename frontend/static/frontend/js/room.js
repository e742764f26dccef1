// The photo room client: one WebSocket to /ws/photos/{id}/ (protocol in docs/hint-protocol.md).
// Keeps the hints, the people present and the room revision; requests carry a request_id and resolve on
// the server's `ack` or reject on its `error`. Reconnects with back-off and resumes with ?since=REV.

// Close codes of the room (docs/hint-protocol.md). TRY_AGAIN: the server cannot serve the room right now
// (its channel layer, Redis, is down or just came back): reconnect with back-off, resuming from the last revision.
export const CLOSE_TRY_AGAIN = 4013;
const REFUSED = new Set([4401, 4403, 4404]); // final: no reconnect

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
      this.emit("status", { connected: true });
    };
    ws.onmessage = (ev) => {
      this.handle(JSON.parse(ev.data)); // the server only sends JSON text frames
    };
    ws.onclose = (ev) => {
      this.connected = false;
      this.emit("status", { connected: false, code: ev.code });
      for (const [, p] of this.pending) p.reject(Object.assign(new Error("connection lost"), { code: "disconnected" }));
      this.pending.clear();
      if (this.closedByUs || REFUSED.has(ev.code)) {
        if (REFUSED.has(ev.code)) this.emit("refused", { code: ev.code });
        return;
      }
      // Any other close (CLOSE_TRY_AGAIN included) reconnects, jittered: after a server or Redis blip every
      // page must not come back at the same instant. The back-off grows until a snapshot arrives: a server that
      // accepts and at once says "try again later" is not hammered; url() resumes from this.revision.
      setTimeout(() => this.connect(), this.backoff * (0.5 + Math.random()));
      this.backoff = Math.min(this.backoff * 2, 10000);
    };
  }

  close() {
    this.closedByUs = true;
    if (this.ws) this.ws.close();
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  bump(rev) {
    if (rev > this.revision) this.revision = rev;
  }

  // A hint as the server sends it (Hint.snapshot()); an older revision than the one held never wins.
  applyHint(h) {
    const old = this.hints.get(h.id);
    if (old && h.revision < old.revision) return;
    if (h.deleted) this.hints.delete(h.id);
    else this.hints.set(h.id, h);
  }

  setPeople(list) {
    this.people.clear();
    list.forEach((p) => this.people.set(p.id, p));
  }

  resolve(frame) {
    const p = this.pending.get(frame.request_id);
    if (p) {
      this.pending.delete(frame.request_id);
      p.resolve(frame);
    }
  }

  handle(frame) {
    const t = frame.type;
    if (frame.room_revision !== undefined) this.bump(frame.room_revision);
    if (t === "snapshot") {
      this.backoff = 500; // served again: the next blip starts the back-off afresh
      this.you = frame.you;
      if (frame.since === undefined || frame.resync || frame.events_complete === false) {
        this.hints.clear();
        frame.hints.forEach((h) => this.applyHint(h));
      } else frame.events.forEach((e) => this.applyHint(e.hint));
      this.setPeople(frame.people);
      this.emit("hints", { frame });
      this.emit("people", {});
    } else if (t === "snapshot.hints") {
      // A big room's snapshot continues in pages (each frame stays under the server's size limit).
      frame.hints.forEach((h) => this.applyHint(h));
      this.emit("hints", { frame });
    } else if (t.startsWith("hint.")) {
      this.applyHint(frame.hint);
      this.emit("hints", { frame });
    } else if (t === "presence") {
      this.setPeople(frame.people);
      this.emit("people", { frame });
    } else if (t === "cursor") {
      this.emit("cursor", frame);
    } else if (t === "preview") {
      this.emit("preview", frame);
    } else if (t === "ack") {
      if (frame.hint) this.applyHint(frame.hint); // a hint write's (a repair stroke's ack carries the mask)
      this.resolve(frame);
      if (frame.hint) this.emit("hints", { frame });
    } else if (t === "error") {
      const current = frame.code === "stale" ? frame.hint : null;
      if (current) {
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
    } else if (t === "suggestion" || t === "pong") {
      this.resolve(frame);
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

  // Suggestions run the model. They share this socket: the server computes them off the connection's frame
  // loop, so hint edits (ours and the others') never wait behind the model. One at a time (else "busy").
  suggest(x, y) {
    return this.request({ type: "suggest", x, y, k: 8 }, 30000);
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
