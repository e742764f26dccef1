// sRGB <-> CIELAB (D65) conversions and the ab-plane chooser drawn at a given lightness.

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

export function hexToRgb(hex) {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex || "");
  if (!m) return [0, 0, 0];
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function rgbToHex([r, g, b]) {
  return `#${[r, g, b].map((v) => clamp(Math.round(v), 0, 255).toString(16).padStart(2, "0")).join("")}`;
}

const lin = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const gam = (c) => (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);
const Xn = 0.95047;
const Zn = 1.08883;
const f = (t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
const finv = (t) => (t ** 3 > 216 / 24389 ? t ** 3 : (116 * t - 16) / (24389 / 27));

export function rgbToLab([r8, g8, b8]) {
  const r = lin(r8 / 255);
  const g = lin(g8 / 255);
  const b = lin(b8 / 255);
  const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / Xn;
  const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
  const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / Zn;
  const fy = f(y);
  return [116 * fy - 16, 500 * (f(x) - fy), 200 * (fy - f(z))];
}

// Returns [r, g, b] in 0..255 and whether the colour is inside the sRGB gamut.
export function labToRgb(L, a, b) {
  const fy = (L + 16) / 116;
  const x = Xn * finv(fy + a / 500);
  const y = finv(fy);
  const z = Zn * finv(fy - b / 200);
  const rl = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
  const gl = -0.969266 * x + 1.8760108 * y + 0.041556 * z;
  const bl = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
  const inGamut = [rl, gl, bl].every((c) => c >= -0.001 && c <= 1.001);
  return { rgb: [rl, gl, bl].map((c) => clamp(gam(clamp(c, 0, 1)) * 255, 0, 255)), inGamut };
}

export const AB_RANGE = 110;

const rangeOf = (canvas) => canvas.abRange || AB_RANGE;

// The largest chroma in gamut at lightness L along hue angle h (radians), by bisection.
export function maxChroma(L, h) {
  let lo = 0;
  let hi = 2 * AB_RANGE;
  if (!labToRgb(L, 0, 0).inGamut) return 0;
  for (let i = 0; i < 22; i += 1) {
    const mid = (lo + hi) / 2;
    if (labToRgb(L, mid * Math.cos(h), mid * Math.sin(h)).inGamut) lo = mid;
    else hi = mid;
  }
  return lo;
}

// Half-width of the ab square worth drawing at lightness L: the gamut's extent, never less than 12.
export function planeRange(L) {
  let most = 0;
  for (let k = 0; k < 72; k += 1) most = Math.max(most, maxChroma(L, (k * Math.PI) / 36));
  return Math.min(AB_RANGE, Math.max(12, most * 1.08));
}

// Every hue in gamut at lightness L, sampled finely in the ab plane (not the model's 10-unit bins, whose
// centres miss the small gamut near white: at L 95 they hold no blue): 24 hues at three chromas and grey.
export function gamutSwatches(L) {
  const seen = new Set();
  const out = [];
  const add = (a, b) => {
    const { rgb, inGamut } = labToRgb(L, a, b);
    const hex = rgbToHex(rgb);
    if (inGamut && !seen.has(hex)) {
      seen.add(hex);
      out.push(hex);
    }
  };
  add(0, 0);
  for (const fraction of [1, 0.66, 0.33]) {
    for (let k = 0; k < 24; k += 1) {
      const h = (k * Math.PI) / 12;
      const c = maxChroma(L, h) * fraction * 0.98;
      if (c > 1) add(c * Math.cos(h), c * Math.sin(h));
    }
  }
  return out;
}

// Draw the ab plane at lightness L on `canvas` (over ±canvas.abRange): out-of-gamut cells stay transparent.
export function drawAbPlane(canvas, L) {
  const ctx = canvas.getContext("2d");
  const { width: w, height: h } = canvas;
  const R = rangeOf(canvas);
  const img = ctx.createImageData(w, h);
  for (let j = 0; j < h; j += 1) {
    const bb = R - (2 * R * j) / (h - 1);
    for (let i = 0; i < w; i += 1) {
      const aa = -R + (2 * R * i) / (w - 1);
      const { rgb, inGamut } = labToRgb(L, aa, bb);
      const k = 4 * (j * w + i);
      img.data[k] = rgb[0];
      img.data[k + 1] = rgb[1];
      img.data[k + 2] = rgb[2];
      img.data[k + 3] = inGamut ? 255 : 0;
    }
  }
  ctx.clearRect(0, 0, w, h);
  ctx.putImageData(img, 0, 0);
  // axes
  ctx.strokeStyle = "rgba(0,0,0,.35)";
  ctx.beginPath();
  ctx.moveTo(w / 2, 0);
  ctx.lineTo(w / 2, h);
  ctx.moveTo(0, h / 2);
  ctx.lineTo(w, h / 2);
  ctx.stroke();
}

export function abAt(canvas, px, py) {
  const R = rangeOf(canvas);
  return [-R + (2 * R * px) / (canvas.width - 1), R - (2 * R * py) / (canvas.height - 1)];
}

export function abToXY(canvas, a, b) {
  const R = rangeOf(canvas);
  return [((a + R) * (canvas.width - 1)) / (2 * R), ((R - b) * (canvas.height - 1)) / (2 * R)];
}

// A readable text colour on a swatch.
export function inkOn(hex) {
  const [L] = rgbToLab(hexToRgb(hex));
  return L > 60 ? "#111" : "#fff";
}
