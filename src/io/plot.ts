/**
 * Learning curves: return against environment steps, as an SVG we write ourselves and as a PNG
 * rendered from it by @resvg/resvg-js. Runs that share a config but differ in seed form one series,
 * drawn as the mean over seeds with a min-max (or +-1 std) band, after linear interpolation onto a
 * common step grid (runs log at different env steps when episode lengths differ).
 *
 * @example
 * const svg = renderSvg([{ label: "reinforce", runs: [{ steps, values }] }], { title: "CartPole-v1" });
 * writePlot("curve.png", series, { title: "CartPole-v1", threshold: { value: 475, label: "solved" } });
 */
import { writeFileAtomic } from "./atomic.ts";

/** One run's curve: `values[i]` measured at `steps[i]` (ascending); null/NaN values are skipped. */
export interface Curve {
  readonly steps: ArrayLike<number>;
  readonly values: ArrayLike<number | null>;
}

/** One line in the plot: a single run, or several seeds of the same config (mean and band). */
export interface Series {
  readonly label: string;
  readonly runs: readonly Curve[];
  /** "points": sparse measurements (evaluations), drawn dotted with a marker at each (single run). */
  readonly style?: "line" | "points";
}

export interface PlotOptions {
  readonly title: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Pixels (default 800 x 500). */
  readonly width?: number;
  readonly height?: number;
  /** Band around the mean of several runs (default "minmax"). */
  readonly band?: "minmax" | "std";
  /** A horizontal reference line, e.g. the environment's reward threshold. */
  readonly threshold?: { readonly value: number; readonly label: string };
  /** Points of the common step grid for multi-run series (default 200). */
  readonly gridPoints?: number;
}

/** A series reduced to what is drawn: the mean and band at each grid step. */
export interface Aggregate {
  readonly steps: Float64Array;
  readonly mean: Float64Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Number of runs. */
  readonly runs: number;
}

const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
];
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";

/** Drops null/NaN points; throws if steps are not ascending. */
function cleanCurve(c: Curve): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < c.steps.length; i++) {
    const v = c.values[i];
    if (i > 0 && c.steps[i] < c.steps[i - 1]) {
      throw new Error(
        `plot: curve steps must be ascending, got ${c.steps[i - 1]} then ${c.steps[i]} at index ${i}`,
      );
    }
    if (v === null || !Number.isFinite(v) || !Number.isFinite(c.steps[i])) continue;
    x.push(c.steps[i]);
    y.push(v);
  }
  return { x, y };
}

/**
 * Linear interpolation of the points (xs, ys) at each grid step; grid steps outside [xs[0],
 * xs[last]] take the nearest end value. `xs` ascending, non-empty.
 */
export function interpolate(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  grid: ArrayLike<number>,
): Float64Array {
  if (xs.length === 0 || xs.length !== ys.length) {
    throw new Error(`interpolate: need equal, non-zero lengths, got ${xs.length} and ${ys.length}`);
  }
  const out = new Float64Array(grid.length);
  let j = 0;
  for (let i = 0; i < grid.length; i++) {
    const g = grid[i];
    while (j < xs.length - 1 && xs[j + 1] < g) j++;
    if (g <= xs[0]) out[i] = ys[0];
    else if (g >= xs[xs.length - 1]) out[i] = ys[xs.length - 1];
    else {
      const x0 = xs[j];
      const x1 = xs[j + 1];
      const t = x1 === x0 ? 1 : (g - x0) / (x1 - x0);
      out[i] = ys[j] + t * (ys[j + 1] - ys[j]);
    }
  }
  return out;
}

/**
 * Reduces a series to mean and band. One run: its own points (mean = lo = hi). Several runs: a grid
 * of `gridPoints` steps over the range every run covers, the mean across runs at each, and the
 * min-max or mean +- std band.
 */
export function aggregate(
  series: Series,
  gridPoints = 200,
  band: "minmax" | "std" = "minmax",
): Aggregate {
  const curves = series.runs.map(cleanCurve).filter((c) => c.x.length > 0);
  if (curves.length === 0) {
    const e = new Float64Array(0);
    return { steps: e, mean: e, lo: e, hi: e, runs: 0 };
  }
  if (curves.length === 1) {
    const c = curves[0];
    const y = Float64Array.from(c.y);
    return { steps: Float64Array.from(c.x), mean: y, lo: y, hi: y, runs: 1 };
  }
  // Only the steps every run reached: beyond that the mean would silently drop seeds.
  const start = Math.max(...curves.map((c) => c.x[0]));
  const end = Math.min(...curves.map((c) => c.x[c.x.length - 1]));
  const n = end > start ? gridPoints : 1;
  const steps = new Float64Array(n);
  for (let i = 0; i < n; i++) steps[i] = n === 1 ? end : start + ((end - start) * i) / (n - 1);
  const ys = curves.map((c) => interpolate(c.x, c.y, steps));
  const mean = new Float64Array(n);
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    let mn = Infinity;
    let mx = -Infinity;
    for (const y of ys) {
      s += y[i];
      mn = Math.min(mn, y[i]);
      mx = Math.max(mx, y[i]);
    }
    const m = s / ys.length;
    mean[i] = m;
    if (band === "minmax") {
      lo[i] = mn;
      hi[i] = mx;
    } else {
      let v = 0;
      for (const y of ys) v += (y[i] - m) * (y[i] - m);
      const sd = Math.sqrt(v / ys.length);
      // Clipped to the values seen: mean + std of returns [500, 500, 20] would pass 500, which no
      // CartPole return can; every value inside the observed range is a return some run had.
      lo[i] = Math.max(m - sd, mn);
      hi[i] = Math.min(m + sd, mx);
    }
  }
  return { steps, mean, lo, hi, runs: curves.length };
}

/**
 * Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten, about `target`
 * of them (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990).
 */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi))
    throw new Error(`niceTicks: bounds must be finite, got ${lo}, ${hi}`);
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= d;
    hi += d;
  }
  const raw = (hi - lo) / Math.max(1, target - 1);
  // The power of ten from the decimal exponent, which ECMAScript specifies exactly (Math.log10
  // may differ in the last bit between engines, issue #17).
  const mag = Number(`1e${raw.toExponential().split("e")[1]}`);
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  const first = Math.floor(lo / step + 1e-9) * step;
  const n = Math.max(1, Math.round(Math.ceil(hi / step - 1e-9) - first / step));
  const ticks: number[] = [];
  // toPrecision rounds away float noise such as 0.30000000000000004.
  for (let i = 0; i <= n; i++) ticks.push(Number.parseFloat((first + i * step).toPrecision(12)));
  return ticks;
}

/**
 * Tick label, in a unit chosen by `scale` (the largest tick of the axis, so one axis uses one
 * unit): 25000 -> "25k", 1500000 -> "1.5M", 0.25 -> "0.25".
 */
export function formatTick(v: number, scale = Math.abs(v)): string {
  const trim = (x: number) => Number.parseFloat(x.toPrecision(6)).toString();
  if (v === 0) return "0";
  if (scale >= 1e6) return `${trim(v / 1e6)}M`;
  if (scale >= 1e4) return `${trim(v / 1e3)}k`;
  return trim(v);
}

function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** Renders the series as a standalone SVG document. */
export function renderSvg(series: readonly Series[], options: PlotOptions): string {
  const W0 = options.width ?? 800;
  const H0 = options.height ?? 500;
  const band = options.band ?? "minmax";
  const aggs = series.map((s) => aggregate(s, options.gridPoints ?? 200, band));
  const colorOf = (k: number) => PALETTE[k % PALETTE.length];
  const entries: { label: string; color: string; dashed?: boolean; band?: boolean }[] = aggs.map(
    (a, k) => ({
      label:
        a.runs > 1
          ? `${series[k].label} (mean of ${a.runs} seeds, ${band === "minmax" ? "min-max" : "±1 std"} band)`
          : series[k].label,
      color: colorOf(k),
      band: a.runs > 1,
      dashed: series[k].style === "points",
    }),
  );
  if (options.threshold)
    entries.push({ label: options.threshold.label, color: "#555", dashed: true });
  // The legend goes below the axes, never over the curves; the picture grows to hold every label
  // whole (a 12 px DejaVu Sans character is at most about 7.5 px wide).
  const lh = 20;
  const legendHeight = entries.length > 0 ? lh * entries.length + 16 : 0;
  const longest = Math.max(0, ...entries.map((e) => e.label.length));
  const W = Math.max(W0, Math.ceil(72 + 40 + 7.5 * longest + 24));
  const H = H0 + legendHeight;
  const m = { left: 72, right: 24, top: 48, bottom: 56 + legendHeight };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;

  let xMax = 0;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const a of aggs) {
    for (let i = 0; i < a.steps.length; i++) {
      xMax = Math.max(xMax, a.steps[i]);
      yMin = Math.min(yMin, a.lo[i]);
      yMax = Math.max(yMax, a.hi[i]);
    }
  }
  if (options.threshold) {
    yMin = Math.min(yMin, options.threshold.value);
    yMax = Math.max(yMax, options.threshold.value);
  }
  if (!Number.isFinite(yMin)) {
    yMin = 0;
    yMax = 1;
  }
  if (xMax <= 0) xMax = 1;
  // Axes span the data with a small margin (matplotlib-like), ticks at round values inside.
  const ySpan = yMax - yMin || Math.abs(yMax) || 1;
  const x0 = 0;
  const x1 = xMax * 1.02;
  const y0 = yMin - 0.05 * ySpan;
  const y1 = yMax + 0.05 * ySpan;
  const inside = (lo: number, hi: number) => (t: number) =>
    t >= lo - 1e-9 * (hi - lo) && t <= hi + 1e-9 * (hi - lo);
  const xt = niceTicks(x0, x1, 6).filter(inside(x0, x1));
  const yt = niceTicks(y0, y1, 6).filter(inside(y0, y1));
  const sx = (v: number) => m.left + ((v - x0) / (x1 - x0)) * pw;
  const sy = (v: number) => m.top + ph - ((v - y0) / (y1 - y0)) * ph;
  const f = (v: number) => v.toFixed(2);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT}">`,
    // The accessible name of the image (screen readers; biome's noSvgWithoutTitle).
    `<title>${esc(options.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="${m.top / 2 + 6}" text-anchor="middle" font-size="18" font-weight="bold" fill="#222">${esc(options.title)}</text>`,
  );
  // Grid lines and ticks.
  out.push(`<g stroke="#e5e5e5" stroke-width="1">`);
  for (const t of xt)
    out.push(`<line x1="${f(sx(t))}" y1="${m.top}" x2="${f(sx(t))}" y2="${m.top + ph}"/>`);
  for (const t of yt)
    out.push(`<line x1="${m.left}" y1="${f(sy(t))}" x2="${m.left + pw}" y2="${f(sy(t))}"/>`);
  out.push("</g>");
  const xScale = Math.max(...xt.map(Math.abs));
  const yScale = Math.max(...yt.map(Math.abs));
  out.push(`<g font-size="12" fill="#444">`);
  for (const t of xt) {
    out.push(
      `<text x="${f(sx(t))}" y="${m.top + ph + 18}" text-anchor="middle">${esc(formatTick(t, xScale))}</text>`,
    );
  }
  for (const t of yt) {
    out.push(
      `<text x="${m.left - 8}" y="${f(sy(t) + 4)}" text-anchor="end">${esc(formatTick(t, yScale))}</text>`,
    );
  }
  out.push("</g>");
  out.push(
    `<text x="${m.left + pw / 2}" y="${m.top + ph + 42}" text-anchor="middle" font-size="14" fill="#222">${esc(options.xLabel ?? "environment steps")}</text>`,
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="14" fill="#222">${esc(options.yLabel ?? "episode return")}</text>`,
  );
  // Data, clipped to the plot area.
  out.push(
    `<clipPath id="plot-area"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/></clipPath>`,
  );
  out.push(`<g clip-path="url(#plot-area)">`);
  if (options.threshold) {
    const y = f(sy(options.threshold.value));
    out.push(
      `<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#555" stroke-width="1.2" stroke-dasharray="6 4"/>`,
    );
  }
  aggs.forEach((a, k) => {
    if (a.steps.length === 0) return;
    const color = colorOf(k);
    if (a.runs > 1) {
      const pts: string[] = [];
      for (let i = 0; i < a.steps.length; i++) pts.push(`${f(sx(a.steps[i]))},${f(sy(a.hi[i]))}`);
      for (let i = a.steps.length - 1; i >= 0; i--)
        pts.push(`${f(sx(a.steps[i]))},${f(sy(a.lo[i]))}`);
      out.push(
        `<polygon points="${pts.join(" ")}" fill="${color}" fill-opacity="0.2" stroke="none"/>`,
      );
    }
    const d = Array.from(
      a.steps,
      (s, i) => `${i === 0 ? "M" : "L"}${f(sx(s))} ${f(sy(a.mean[i]))}`,
    ).join(" ");
    const points = series[k].style === "points";
    out.push(
      `<path d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${points ? ` stroke-dasharray="2 3"` : ""}/>`,
    );
    if (points && a.runs === 1) {
      for (let i = 0; i < a.steps.length; i++) {
        out.push(
          `<circle cx="${f(sx(a.steps[i]))}" cy="${f(sy(a.mean[i]))}" r="3.5" fill="${color}"/>`,
        );
      }
    } else if (a.steps.length === 1)
      out.push(
        `<circle cx="${f(sx(a.steps[0]))}" cy="${f(sy(a.mean[0]))}" r="3" fill="${color}"/>`,
      );
  });
  out.push("</g>");
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888" stroke-width="1"/>`,
  );
  // Legend, below the x-axis label, one entry a line.
  if (entries.length > 0) {
    const lx = m.left;
    const ly = m.top + ph + 56;
    out.push(
      `<rect x="${f(lx)}" y="${f(ly)}" width="${f(W - m.left - 8)}" height="${lh * entries.length + 8}" fill="#ffffff" stroke="#ccc"/>`,
    );
    entries.forEach((e, i) => {
      const y = ly + 4 + lh * i + lh / 2;
      if (e.band)
        out.push(
          `<rect x="${f(lx + 8)}" y="${f(y - 6)}" width="24" height="12" fill="${e.color}" fill-opacity="0.2"/>`,
        );
      out.push(
        `<line x1="${f(lx + 8)}" y1="${f(y)}" x2="${f(lx + 32)}" y2="${f(y)}" stroke="${e.color}" stroke-width="2"${e.dashed ? ` stroke-dasharray="6 4"` : ""}/>`,
        `<text x="${f(lx + 40)}" y="${f(y + 4)}" font-size="12" fill="#222">${esc(e.label)}</text>`,
      );
    });
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** Renders an SVG document to PNG bytes (at `width` pixels, default the SVG's own width x2). */
export async function svgToPng(svg: string, width?: number): Promise<Uint8Array> {
  // Loaded lazily: the native module is only needed when a PNG is asked for.
  const { Resvg } = await import("@resvg/resvg-js");
  const r = new Resvg(svg, {
    fitTo: width === undefined ? { mode: "zoom", value: 2 } : { mode: "width", value: width },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
    background: "#ffffff",
  });
  return r.render().asPng();
}

/** Writes the plot to `path`, as SVG or PNG by its extension (atomically). */
export async function writePlot(
  path: string,
  series: readonly Series[],
  options: PlotOptions,
): Promise<void> {
  const svg = renderSvg(series, options);
  const lower = path.toLowerCase();
  if (lower.endsWith(".svg")) writeFileAtomic(path, svg);
  else if (lower.endsWith(".png")) writeFileAtomic(path, await svgToPng(svg));
  else throw new Error(`writePlot: ${path} must end in .svg or .png`);
}
