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

// Draw the ab plane at lightness L on `canvas`: out-of-gamut cells are left transparent.
export function drawAbPlane(canvas, L) {
  const ctx = canvas.getContext("2d");
  const { width: w, height: h } = canvas;
  const img = ctx.createImageData(w, h);
  for (let j = 0; j < h; j += 1) {
    const bb = AB_RANGE - (2 * AB_RANGE * j) / (h - 1);
    for (let i = 0; i < w; i += 1) {
      const aa = -AB_RANGE + (2 * AB_RANGE * i) / (w - 1);
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
  const a = -AB_RANGE + (2 * AB_RANGE * px) / (canvas.width - 1);
  const b = AB_RANGE - (2 * AB_RANGE * py) / (canvas.height - 1);
  return [a, b];
}

export function abToXY(canvas, a, b) {
  return [((a + AB_RANGE) * (canvas.width - 1)) / (2 * AB_RANGE), ((AB_RANGE - b) * (canvas.height - 1)) / (2 * AB_RANGE)];
}

// A readable text colour on a swatch.
export function inkOn(hex) {
  const [L] = rgbToLab(hexToRgb(hex));
  return L > 60 ? "#111" : "#fff";
}
