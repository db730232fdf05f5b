/**
 * Canvas drawings of the built-in environments from their observations (each drawn the way
 * Gymnasium's renderer draws it), and of the policy's action distribution.
 */
import type { Frame } from "./protocol.ts";

type Ctx = CanvasRenderingContext2D;

const INK = "#1f2937";
const ACCENT = "#2563eb";
const WARM = "#d97706";

function clear(ctx: Ctx): void {
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
}

/**
 * Cart on a track, pole hinged on it: obs [x, x_dot, theta, theta_dot], theta 0 upright; `push`
 * in [-1, 1] is the force's direction and share of its maximum.
 */
function cartPole(ctx: Ctx, o: readonly number[], push: number): void {
  const { width: W, height: H } = ctx.canvas;
  const scale = W / 4.8; // the track is x in [-2.4, 2.4]
  const trackY = H * 0.7;
  ctx.strokeStyle = INK;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(0, trackY);
  ctx.lineTo(W, trackY);
  ctx.stroke();
  const cx = W / 2 + o[0] * scale;
  const cartW = 50;
  const cartH = 30;
  ctx.fillStyle = INK;
  ctx.fillRect(cx - cartW / 2, trackY - cartH, cartW, cartH);
  // The pole: half-length 0.5 in Gymnasium's units, drawn at its full length 1.0.
  const len = scale * 1.0;
  const px = cx;
  const py = trackY - cartH;
  ctx.strokeStyle = WARM;
  ctx.lineWidth = 8;
  ctx.lineCap = "round";
  ctx.beginPath();
  ctx.moveTo(px, py);
  ctx.lineTo(px + len * Math.sin(o[2]), py - len * Math.cos(o[2]));
  ctx.stroke();
  ctx.fillStyle = ACCENT;
  ctx.beginPath();
  ctx.arc(px, py, 5, 0, 2 * Math.PI);
  ctx.fill();
  if (push !== 0) arrow(ctx, cx, trackY + 18, Math.sign(push), 30 * Math.min(Math.abs(push), 1));
}

/** Rod from a pivot: obs [cos th, sin th, th_dot], th 0 upright, counterclockwise positive. */
function pendulum(ctx: Ctx, o: readonly number[], torque: number): void {
  const { width: W, height: H } = ctx.canvas;
  const cx = W / 2;
  const cy = H / 2;
  const len = Math.min(W, H) * 0.38;
  ctx.strokeStyle = WARM;
  ctx.lineWidth = 14;
  ctx.lineCap = "round";
  ctx.beginPath();
  ctx.moveTo(cx, cy);
  ctx.lineTo(cx - len * o[1], cy - len * o[0]);
  ctx.stroke();
  ctx.fillStyle = INK;
  ctx.beginPath();
  ctx.arc(cx, cy, 6, 0, 2 * Math.PI);
  ctx.fill();
  // The torque as an arc whose length is |u| / 2 of a half turn.
  ctx.strokeStyle = ACCENT;
  ctx.lineWidth = 3;
  ctx.beginPath();
  const span = (Math.min(Math.abs(torque), 2) / 2) * Math.PI;
  const from = -Math.PI / 2;
  ctx.arc(cx, cy, len * 0.35, torque >= 0 ? from - span : from, torque >= 0 ? from : from + span);
  ctx.stroke();
}

/** A car on the hill y = 0.45 sin(3x) + 0.55, x in [-1.2, 0.6], flag at `goal`. */
function mountainCar(ctx: Ctx, o: readonly number[], goal: number): void {
  const { width: W, height: H } = ctx.canvas;
  const sx = (x: number) => ((x + 1.2) / 1.8) * W;
  const sy = (x: number) => H - 20 - (0.45 * Math.sin(3 * x) + 0.55) * (H - 60);
  ctx.strokeStyle = INK;
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (let i = 0; i <= 100; i++) {
    const x = -1.2 + (1.8 * i) / 100;
    if (i === 0) ctx.moveTo(sx(x), sy(x));
    else ctx.lineTo(sx(x), sy(x));
  }
  ctx.stroke();
  ctx.strokeStyle = INK;
  ctx.beginPath();
  ctx.moveTo(sx(goal), sy(goal));
  ctx.lineTo(sx(goal), sy(goal) - 40);
  ctx.stroke();
  ctx.fillStyle = "#16a34a";
  ctx.fillRect(sx(goal), sy(goal) - 40, 22, 12);
  const x = o[0];
  const angle = Math.atan(-1.35 * Math.cos(3 * x) * ((H - 60) / W) * 1.8);
  ctx.save();
  ctx.translate(sx(x), sy(x));
  ctx.rotate(angle);
  ctx.fillStyle = WARM;
  ctx.fillRect(-20, -22, 40, 16);
  ctx.fillStyle = INK;
  for (const wx of [-12, 12]) {
    ctx.beginPath();
    ctx.arc(wx, -5, 5, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.restore();
}

/** Two links hanging from a pivot: obs [cos t1, sin t1, cos t2, sin t2, dt1, dt2]. */
function acrobot(ctx: Ctx, o: readonly number[]): void {
  const { width: W, height: H } = ctx.canvas;
  const cx = W / 2;
  const cy = H / 2;
  const len = Math.min(W, H) * 0.22; // both links have length 1
  const [c1, s1, c2, s2] = o;
  const c12 = c1 * c2 - s1 * s2;
  const s12 = s1 * c2 + c1 * s2;
  const p1 = [cx + len * s1, cy + len * c1];
  const p2 = [p1[0] + len * s12, p1[1] + len * c12];
  // The goal: the tip above one link's length over the pivot.
  ctx.strokeStyle = "#9ca3af";
  ctx.setLineDash([6, 6]);
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, cy - len);
  ctx.lineTo(W, cy - len);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.lineCap = "round";
  ctx.lineWidth = 10;
  ctx.strokeStyle = ACCENT;
  ctx.beginPath();
  ctx.moveTo(cx, cy);
  ctx.lineTo(p1[0], p1[1]);
  ctx.stroke();
  ctx.strokeStyle = WARM;
  ctx.beginPath();
  ctx.moveTo(p1[0], p1[1]);
  ctx.lineTo(p2[0], p2[1]);
  ctx.stroke();
  ctx.fillStyle = INK;
  for (const [x, y] of [[cx, cy], p1]) {
    ctx.beginPath();
    ctx.arc(x, y, 5, 0, 2 * Math.PI);
    ctx.fill();
  }
}

/** Any other env: its observation as bars around zero. */
function bars(ctx: Ctx, o: readonly number[]): void {
  const { width: W, height: H } = ctx.canvas;
  const w = W / Math.max(o.length, 1);
  ctx.fillStyle = ACCENT;
  for (let i = 0; i < o.length; i++) {
    const h = Math.max(-1, Math.min(1, o[i])) * (H / 2 - 10);
    ctx.fillRect(i * w + 4, H / 2 - Math.max(h, 0), w - 8, Math.abs(h));
  }
}

function arrow(ctx: Ctx, x: number, y: number, dir: number, len: number): void {
  ctx.strokeStyle = ACCENT;
  ctx.fillStyle = ACCENT;
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + dir * len, y);
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(x + dir * (len + 8), y);
  ctx.lineTo(x + dir * len, y - 6);
  ctx.lineTo(x + dir * len, y + 6);
  ctx.fill();
}

/** Draws the env of `frame` (by its id) on `ctx`. */
export function drawEnv(ctx: Ctx, frame: Frame): void {
  clear(ctx);
  const o = frame.observation;
  const id = frame.envId;
  // CartPole-v1 pushes left (0) or right (1); CartPoleSwingUp-v0 with a force in [-1, 1].
  if (id.startsWith("CartPole-v1")) cartPole(ctx, o, frame.action === 1 ? 1 : -1);
  else if (id.startsWith("CartPole")) cartPole(ctx, o, frame.action);
  else if (id.startsWith("Pendulum")) pendulum(ctx, o, frame.action);
  else if (id === "MountainCar-v0") mountainCar(ctx, o, 0.5);
  else if (id === "MountainCarContinuous-v0") mountainCar(ctx, o, 0.45);
  else if (id.startsWith("Acrobot")) acrobot(ctx, o);
  else bars(ctx, o);
  ctx.fillStyle = INK;
  ctx.font = "13px system-ui, sans-serif";
  ctx.fillText(`${id}  step ${frame.step}  return ${frame.episodeReturn.toFixed(1)}`, 10, 18);
}

const ACTION_LABELS: Readonly<Record<string, readonly string[]>> = {
  "CartPole-v1": ["push left", "push right"],
  "MountainCar-v0": ["left", "none", "right"],
  "Acrobot-v1": ["-1", "0", "+1"],
};

/** The action distribution at the shown state: bars of pi(a|s), or a histogram for Box actions. */
export function drawDistribution(ctx: Ctx, frame: Frame): void {
  clear(ctx);
  const { width: W, height: H } = ctx.canvas;
  const d = frame.distribution;
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = INK;
  ctx.fillText("pi(a | s)", 8, 16);
  const top = 26;
  const bottom = H - 22;
  if (d.kind === "discrete") {
    const labels = ACTION_LABELS[frame.envId] ?? d.probs.map((_, k) => String(d.start + k));
    const w = W / d.probs.length;
    for (let k = 0; k < d.probs.length; k++) {
      const h = d.probs[k] * (bottom - top);
      ctx.fillStyle = d.start + k === frame.action ? WARM : ACCENT;
      ctx.fillRect(k * w + 8, bottom - h, w - 16, h);
      ctx.fillStyle = INK;
      ctx.fillText(`${labels[k] ?? k} ${d.probs[k].toFixed(2)}`, k * w + 8, H - 6);
    }
    return;
  }
  const n = d.bins.length;
  const w = W / n;
  const peak = Math.max(...d.bins, 1e-9);
  ctx.fillStyle = ACCENT;
  for (let i = 0; i < n; i++) {
    const h = (d.bins[i] / peak) * (bottom - top);
    ctx.fillRect(i * w + 1, bottom - h, w - 2, h);
  }
  const mx = ((d.mode - d.low) / (d.high - d.low)) * W;
  ctx.strokeStyle = WARM;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(mx, top);
  ctx.lineTo(mx, bottom);
  ctx.stroke();
  ctx.fillStyle = INK;
  ctx.fillText(`${d.low}`, 2, H - 6);
  ctx.fillText(`mode ${d.mode.toFixed(2)}`, W / 2 - 30, H - 6);
  ctx.fillText(`${d.high}`, W - 24, H - 6);
}
