/**
 * The playground page: controls built from the algorithm's config schema, a live learning curve,
 * the agent drawn acting, and checkpoint files in and out. Training runs in worker.ts; this
 * thread only draws and, for the async example env, answers its reset and step calls.
 */
import "uplot/dist/uPlot.min.css";
import { describeField, type Env, envSpecs, type Field, make } from "policygrad";
import uPlot from "uplot";
import { ALGORITHMS, initialConfig } from "./algorithms.ts";
import {
  ASYNC_EXAMPLE_ID,
  type CurvePoint,
  type EvalSummary,
  type Frame,
  type FromWorker,
  type Status,
  type ToWorker,
} from "./protocol.ts";
import { drawDistribution, drawEnv } from "./render.ts";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);

/** Delay between updates per speed step (the slider's max is "as fast as possible"). */
const SPEEDS_MS = [1000, 300, 100, 20, 0];
const SPEED_NAMES = ["slow", "slower", "medium", "fast", "max"];

// ---------------------------------------------------------------------------------------------
// Controls from the schema

const envSelect = $<HTMLSelectElement>("env");
for (const s of envSpecs()) {
  const o = document.createElement("option");
  o.value = s.id;
  o.textContent = s.id;
  o.title = s.description ?? "";
  envSelect.append(o);
}
{
  const o = document.createElement("option");
  o.value = ASYNC_EXAMPLE_ID;
  o.textContent = ASYNC_EXAMPLE_ID;
  o.title =
    "CartPole whose envs live on this page's main thread: the worker trains through the async rollout path, awaiting each step's answer by message.";
  envSelect.append(o);
}
envSelect.value = "CartPole-v1";

const algoSelect = $<HTMLSelectElement>("algo");
for (const [name, a] of Object.entries(ALGORITHMS)) {
  const o = document.createElement("option");
  o.value = name;
  o.textContent = a.label;
  algoSelect.append(o);
}

/**
 * One input per field: its kind decides the widget, its range the bounds, its doc the help;
 * `value` is where it starts (the default, or the env's preset).
 */
function fieldInput(name: string, field: Field, value: unknown): HTMLElement {
  const wrap = document.createElement("label");
  wrap.className = "field";
  wrap.title = `${field.doc} Expected: ${describeField(field)}.`;
  const title = document.createElement("span");
  title.className = "name";
  title.textContent = name;
  wrap.append(title);
  let input: HTMLInputElement | HTMLSelectElement;
  switch (field.kind) {
    case "enum": {
      const sel = document.createElement("select");
      for (const c of field.choices) {
        const o = document.createElement("option");
        o.value = c;
        o.textContent = c;
        sel.append(o);
      }
      sel.value = String(value);
      input = sel;
      break;
    }
    case "boolean": {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = value === true;
      input = box;
      break;
    }
    case "int-list": {
      const text = document.createElement("input");
      text.type = "text";
      text.value = (value as readonly number[]).join(", ");
      input = text;
      break;
    }
    default: {
      const num = document.createElement("input");
      num.type = "number";
      if (field.min !== undefined) num.min = String(field.min);
      if (field.max !== undefined) num.max = String(field.max);
      num.step = field.kind === "int" ? "1" : "any";
      num.value = value === null ? "" : String(value);
      if (field.kind === "number" && field.nullable) num.placeholder = "off";
      input = num;
    }
  }
  input.id = `cfg-${name}`;
  input.title = wrap.title;
  input.dataset.field = name;
  wrap.append(input);
  const doc = document.createElement("span");
  doc.className = "doc";
  doc.textContent = describeField(field);
  wrap.append(doc);
  return wrap;
}

/** The controls of the chosen algorithm, starting from its preset for the chosen env. */
function buildControls(): void {
  const a = ALGORITHMS[algoSelect.value];
  const start = initialConfig(a, envSelect.value);
  const box = $("hyper");
  box.replaceChildren();
  for (const name of a.main) box.append(fieldInput(name, a.algorithm.schema[name], start[name]));
}
buildControls();
algoSelect.addEventListener("change", buildControls);
envSelect.addEventListener("change", buildControls);

/** The config the controls describe; the trainer checks it and names a bad field. */
function readConfig(): Record<string, unknown> {
  const a = ALGORITHMS[algoSelect.value];
  const out = initialConfig(a, envSelect.value);
  for (const el of $("hyper").querySelectorAll<HTMLInputElement>("[data-field]")) {
    const name = el.dataset.field!;
    const f = a.algorithm.schema[name];
    if (f.kind === "boolean") out[name] = el.checked;
    else if (f.kind === "enum") out[name] = el.value;
    else if (f.kind === "int-list") {
      out[name] =
        el.value.trim() === ""
          ? []
          : el.value
              .split(/[\s,]+/)
              .filter(Boolean)
              .map(Number);
    } else if (el.value.trim() === "") out[name] = f.kind === "number" && f.nullable ? null : NaN;
    else out[name] = Number(el.value);
  }
  return out;
}

const speed = $<HTMLInputElement>("speed");
const speedName = () => SPEED_NAMES[Number(speed.value)];
speed.addEventListener("input", () => {
  $("speed-name").textContent = speedName();
  send({ type: "speed", delayMs: SPEEDS_MS[Number(speed.value)] });
});
$("speed-name").textContent = speedName();

$<HTMLInputElement>("animate").addEventListener("change", (e) =>
  send({ type: "display", on: (e.target as HTMLInputElement).checked }),
);

// ---------------------------------------------------------------------------------------------
// State the page shows (and the end-to-end test reads through window.playground)

const state = {
  status: "idle" as Status,
  kernels: "unknown" as "wasm-simd" | "js" | "unknown",
  envSteps: 0,
  updates: 0,
  episodes: 0,
  stepsPerSecond: 0,
  wallTimeS: 0,
  returnMean100: null as number | null,
  /** First wall-clock second of training at which the last-100 mean reached the threshold. */
  solvedAtS: null as number | null,
  solvedAtSteps: null as number | null,
  frames: 0,
  evaluated: null as EvalSummary | null,
  opened: null as null | { name: string; envId: string; envSteps: number },
  errors: [] as string[],
};
let threshold: number | null = null;

function setStatus(s: Status, message?: string): void {
  state.status = s;
  $("status").textContent = message ? `${s}: ${message}` : s;
  $("status").dataset.status = s;
  const running = s === "running";
  const paused = s === "paused";
  $<HTMLButtonElement>("pause").disabled = !running;
  $<HTMLButtonElement>("resume").disabled = !paused;
  $<HTMLButtonElement>("stop").disabled = !(running || paused);
}

function showError(message: string): void {
  state.errors.push(message);
  $("error").textContent = message;
}

// ---------------------------------------------------------------------------------------------
// The learning curve: per-update mean return, the last-100 mean, and evaluation points.

const xs: number[] = [];
const perUpdate: (number | null)[] = [];
const last100: (number | null)[] = [];
const evals: (number | null)[] = [];
const chart = new uPlot(
  {
    width: 560,
    height: 260,
    scales: { x: { time: false } },
    axes: [{ label: "env steps" }, { label: "return" }],
    series: [
      { label: "env steps" },
      { label: "batch mean return", stroke: "#93c5fd", width: 1 },
      { label: "last-100 mean", stroke: "#2563eb", width: 2 },
      {
        label: "evaluation",
        stroke: "#d97706",
        paths: () => null,
        points: { show: true, size: 8, fill: "#d97706" },
      },
    ],
  },
  [xs, perUpdate, last100, evals],
  $("chart"),
);
let redraw = 0;
function refreshChart(): void {
  // At most ~10 redraws a second: a fast run posts hundreds of updates a second.
  if (redraw !== 0) return;
  redraw = window.setTimeout(() => {
    redraw = 0;
    chart.setData([xs, perUpdate, last100, evals]);
  }, 100);
}
function clearChart(): void {
  xs.length = 0;
  perUpdate.length = 0;
  last100.length = 0;
  evals.length = 0;
  chart.setData([xs, perUpdate, last100, evals]);
}
function addPoint(p: CurvePoint): void {
  xs.push(p.envSteps);
  perUpdate.push(p.returnMean);
  last100.push(p.returnMean100);
  evals.push(null);
  refreshChart();
}

// ---------------------------------------------------------------------------------------------
// Buttons

$("start").addEventListener("click", () => {
  clearChart();
  Object.assign(state, {
    envSteps: 0,
    updates: 0,
    episodes: 0,
    returnMean100: null,
    solvedAtS: null,
    solvedAtSteps: null,
    evaluated: null,
    opened: null,
  });
  $("error").textContent = "";
  $("warning").textContent = "";
  pageEnvs.clear();
  const envId = envSelect.value;
  const spec = envSpecs().find((s) => s.id === envId);
  threshold = envId === ASYNC_EXAMPLE_ID ? 475 : (spec?.rewardThreshold ?? null);
  send({
    type: "start",
    algo: algoSelect.value,
    envId,
    config: readConfig(),
    delayMs: SPEEDS_MS[Number(speed.value)],
  });
});
$("pause").addEventListener("click", () => send({ type: "pause" }));
$("resume").addEventListener("click", () => send({ type: "resume" }));
$("stop").addEventListener("click", () => send({ type: "stop" }));
$("reset").addEventListener("click", () => {
  send({ type: "reset" });
  clearChart();
});
$("evaluate").addEventListener("click", () =>
  send({ type: "evaluate", episodes: 10, seed: Number($<HTMLInputElement>("eval-seed").value) }),
);
$("download").addEventListener("click", () => send({ type: "download" }));

async function openFile(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  send({ type: "open", name: file.name, bytes }, [bytes.buffer]);
}
$<HTMLInputElement>("open-file").addEventListener("change", (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) void openFile(f);
});
document.addEventListener("dragover", (e) => e.preventDefault());
document.addEventListener("drop", (e) => {
  e.preventDefault();
  const f = e.dataTransfer?.files[0];
  if (f) void openFile(f);
});

// ---------------------------------------------------------------------------------------------
// The async example's envs: they live here and answer the worker's calls.

const pageEnvs = new Map<number, Env>();

function answerEnv(m: Extract<FromWorker, { type: "env" }>): void {
  let env = pageEnvs.get(m.env);
  if (env === undefined) {
    env = make("CartPole-v1");
    pageEnvs.set(m.env, env);
  }
  const r =
    m.op === "reset"
      ? {
          ...env.reset(m.seed === undefined ? {} : { seed: m.seed }),
          reward: 0,
          terminated: false,
          truncated: false,
        }
      : env.step(m.action ?? 0);
  send({
    type: "env-answer",
    call: m.call,
    observation: Array.from(r.observation),
    reward: r.reward,
    terminated: r.terminated,
    truncated: r.truncated,
  });
}

// ---------------------------------------------------------------------------------------------

const envCanvas = $<HTMLCanvasElement>("env-canvas").getContext("2d")!;
const distCanvas = $<HTMLCanvasElement>("dist-canvas").getContext("2d")!;

function showFrame(f: Frame): void {
  state.frames = f.frame;
  drawEnv(envCanvas, f);
  drawDistribution(distCanvas, f);
}

function showKernels(k: "wasm-simd" | "js"): void {
  state.kernels = k;
  $("kernels").textContent = k === "wasm-simd" ? "WebAssembly SIMD" : "JS fallback";
  $("kernels").dataset.kernels = k;
}

worker.onmessage = (ev: MessageEvent<FromWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case "ready":
      showKernels(m.kernels);
      break;
    case "status":
      setStatus(m.status, m.message);
      break;
    case "metrics": {
      const p = m.point;
      state.envSteps = p.envSteps;
      state.updates = p.update;
      state.episodes = m.episodes;
      state.stepsPerSecond = m.stepsPerSecond;
      state.wallTimeS = m.wallTimeS;
      state.returnMean100 = p.returnMean100;
      if (
        state.solvedAtS === null &&
        threshold !== null &&
        p.returnMean100 !== null &&
        p.returnMean100 >= threshold
      ) {
        state.solvedAtS = m.wallTimeS;
        state.solvedAtSteps = p.envSteps;
      }
      showKernels(m.kernels);
      addPoint(p);
      $("steps").textContent = p.envSteps.toLocaleString("en");
      $("updates").textContent = String(p.update);
      $("episodes").textContent = String(m.episodes);
      $("return100").textContent = p.returnMean100 === null ? "-" : p.returnMean100.toFixed(1);
      $("sps").textContent = Math.round(m.stepsPerSecond).toLocaleString("en");
      break;
    }
    case "eval-point": {
      const i = xs.lastIndexOf(m.point.envSteps);
      if (i >= 0) evals[i] = m.point.returnMean;
      refreshChart();
      break;
    }
    case "frame":
      showFrame(m.frame);
      break;
    case "evaluated":
      state.evaluated = m.result;
      $("eval-result").textContent =
        `${m.result.episodes} episodes (seed ${m.result.seed}, deterministic): mean return ${m.result.returnMean.toFixed(2)}`;
      break;
    case "file": {
      const url = URL.createObjectURL(new Blob([m.bytes as BlobPart]));
      const a = document.createElement("a");
      a.href = url;
      a.download = m.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      break;
    }
    case "opened":
      state.opened = { name: m.name, envId: m.envId, envSteps: m.envSteps };
      clearChart();
      for (const p of m.curve) addPoint(p);
      $("opened").textContent =
        `${m.name}: ${m.algo} on ${m.envId}, ${m.update} updates, ${m.envSteps.toLocaleString("en")} env steps`;
      break;
    case "error":
      showError(m.message);
      break;
    case "warning":
      $("warning").textContent = m.message;
      break;
    case "env":
      answerEnv(m);
      break;
  }
};
worker.onerror = (e) => showError(`worker: ${e.message}`);

/** Read-only snapshot for the end-to-end test and the benchmark (no control goes through it). */
(window as unknown as { playground: unknown }).playground = {
  state: () => structuredClone(state),
  chartPoints: () => chart.data[0].length,
};
setStatus("idle");
