/**
 * The training worker: runs one update at a time (so the page stays responsive and pause, stop
 * and speed take effect between updates), posts metrics and evaluation points, animates the
 * current policy in a display env, and reads and writes checkpoint files. Timers and message
 * events pace it, never requestAnimationFrame (which headless and hidden pages throttle).
 */
import {
  type Action,
  type AnyAlgorithm,
  type AsyncEnv,
  activeKernels,
  createTrainer,
  decodeCheckpointFile,
  type Env,
  encodeCheckpointFile,
  evaluate,
  loadAgent,
  make,
  type Policy,
  Rng,
  type StepResult,
  Tensor,
} from "policygrad";
import { ALGORITHMS } from "./algorithms.ts";
import {
  ASYNC_EXAMPLE_ID,
  type CurvePoint,
  type EvalPoint,
  type Frame,
  type FromWorker,
  type Status,
  type ToWorker,
} from "./protocol.ts";

const post = (m: FromWorker, transfer: Transferable[] = []) =>
  (self as unknown as Worker).postMessage(m, transfer);

/** The display env's pace: one env step per frame. */
const FRAME_MS = 33;

// ---------------------------------------------------------------------------------------------
// The async example: CartPole whose envs live on the page's main thread and answer messages.

let nextCall = 0;
const pendingCalls = new Map<number, (r: StepResult) => void>();

class PageCartPole implements AsyncEnv {
  readonly async = true;
  readonly id = ASYNC_EXAMPLE_ID;
  readonly observationSpace;
  readonly actionSpace;
  readonly maxEpisodeSteps = 500;
  readonly rewardThreshold = 475;

  constructor(private readonly index: number) {
    const shape = make("CartPole-v1");
    this.observationSpace = shape.observationSpace;
    this.actionSpace = shape.actionSpace;
  }

  private call(op: "reset" | "step", extra: { seed?: number; action?: number }) {
    const call = nextCall++;
    return new Promise<StepResult>((resolve) => {
      pendingCalls.set(call, resolve);
      post({ type: "env", call, env: this.index, op, ...extra });
    });
  }

  reset(options: { seed?: number } = {}) {
    return this.call("reset", options.seed === undefined ? {} : { seed: options.seed });
  }

  step(action: Action) {
    return this.call("step", { action: action as number });
  }

  close(): void {}
}

function envFactory(envId: string): string | (() => Env | AsyncEnv) {
  if (envId !== ASYNC_EXAMPLE_ID) return envId;
  let index = 0;
  return () => new PageCartPole(index++);
}

/** The registered env the display and the evaluations use (the async example's physics is CartPole's). */
const syncId = (envId: string) => (envId === ASYNC_EXAMPLE_ID ? "CartPole-v1" : envId);

// ---------------------------------------------------------------------------------------------
// Training

interface Session {
  readonly algo: string;
  readonly envId: string;
  /** The trainer layer's run, driven one update at a time. */
  readonly run: ReturnType<typeof startRun>;
  readonly curve: CurvePoint[];
}

function startRun(
  algorithm: AnyAlgorithm,
  envId: string,
  config: Readonly<Record<string, unknown>>,
) {
  // The trainer's warnings (e.g. "no learning signal") go to the page, not the console.
  return createTrainer(algorithm, envFactory(envId), config, {
    onWarning: (message) => post({ type: "warning", message }),
  });
}

let session: Session | null = null;
/** The policy shown and evaluated: the one training, or one opened from a file. */
let shown: { policy: Policy; envId: string } | null = null;
let status: Status = "idle";
let delayMs = 0;
let wakeUp: (() => void) | null = null;
/** Bumped by reset/start so a loop still awaiting from an older session ends. */
let generation = 0;

function setStatus(s: Status, message?: string): void {
  status = s;
  post({ type: "status", status: s, ...(message ? { message } : {}) });
}

/** Yields to the event loop without the 4 ms clamp nested timers get. */
const channel = new MessageChannel();
const ticks: (() => void)[] = [];
channel.port1.onmessage = () => ticks.shift()?.();
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    ticks.push(resolve);
    channel.port2.postMessage(null);
  });
}

async function trainLoop(s: Session, gen: number): Promise<void> {
  try {
    while (gen === generation && s.run.finished === null) {
      if (status === "paused") {
        await new Promise<void>((resolve) => {
          wakeUp = resolve;
        });
        continue;
      }
      if (status !== "running") return;
      const { metrics: m, evaluations } = await s.run.stepAsync();
      if (gen !== generation) return;
      const point: CurvePoint = {
        update: m.update,
        envSteps: m.envSteps,
        returnMean: m.returnMean,
        returnMean100: m.returnMean100,
      };
      s.curve.push(point);
      post({
        type: "metrics",
        point,
        episodes: m.episodes,
        stepsPerSecond: m.stepsPerSecond,
        wallTimeS: m.wallTimeS,
        kernels: activeKernels(),
      });
      if (evaluations.length > 0) {
        const e = evaluations[0];
        const p: EvalPoint = { envSteps: e.envSteps, returnMean: e.evalReturnMean };
        post({ type: "eval-point", point: p });
      }
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      else await yieldToEvents();
    }
    if (gen === generation && s.run.finished !== null) {
      setStatus(
        "done",
        s.run.finished === "return"
          ? `an evaluation reached ${s.run.stopAtReturn}`
          : "the budget is spent",
      );
    }
  } catch (e) {
    if (gen !== generation) return;
    setStatus("stopped");
    post({ type: "error", message: (e as Error).message });
  }
}

function start(m: Extract<ToWorker, { type: "start" }>): void {
  reset();
  const algo = ALGORITHMS[m.algo];
  if (!algo) throw new Error(`unknown algorithm "${m.algo}"`);
  const run = startRun(algo.algorithm, m.envId, m.config);
  session = { algo: m.algo, envId: m.envId, run, curve: [] };
  shown = { policy: run.policy, envId: syncId(m.envId) };
  viewer = null;
  delayMs = m.delayMs;
  setStatus("running");
  void trainLoop(session, generation);
}

function reset(): void {
  generation++;
  session?.run.close();
  session = null;
  shown = null;
  viewer = null;
  wakeUp?.();
  wakeUp = null;
  setStatus("idle");
}

// ---------------------------------------------------------------------------------------------
// The display: the shown policy acting in its own env, one step per frame, with its action
// distribution. Its random stream is its own, so watching never changes a training run.

interface Viewer {
  readonly envId: string;
  readonly env: Env;
  readonly rng: Rng;
  obs: Float64Array;
  step: number;
  episodeReturn: number;
  episodes: number;
}
let viewer: Viewer | null = null;
let frameCount = 0;
const action = new Float64Array(8);

function distribution(policy: Policy, obs: Float64Array, rng: Rng): Frame["distribution"] {
  const space = policy.spec.actionSpace;
  const d = policy.spec.obsDim;
  if (space.kind === "discrete") {
    // log pi(k|s) for every k in one batch: the observation repeated n times.
    const n = space.n;
    const x = new Float64Array(n * d);
    for (let k = 0; k < n; k++) x.set(obs.subarray(0, d), k * d);
    const ks = Float64Array.from({ length: n }, (_, k) => k);
    const { logProb } = policy.logProbAndEntropy(policy.params, new Tensor(x, [n, d]), ks);
    return { kind: "discrete", probs: Array.from(logProb.data, Math.exp), start: space.start };
  }
  // Box (and the rest): a histogram of 256 samples of the first action dimension.
  const S = 256;
  const low = space.kind === "box" ? space.low[0] : 0;
  const high = space.kind === "box" ? space.high[0] : 1;
  const dim = policy.actDim;
  const x = new Float64Array(S * d);
  for (let i = 0; i < S; i++) x.set(obs.subarray(0, d), i * d);
  const out = new Float64Array(S * dim);
  policy.act(x, S, rng, out, false);
  const bins = new Array<number>(21).fill(0);
  for (let i = 0; i < S; i++) {
    const u = (out[i * dim] - low) / (high - low);
    bins[Math.min(20, Math.max(0, Math.floor(u * 21)))] += 1 / S;
  }
  policy.act(x, 1, rng, out, true);
  return { kind: "continuous", low, high, bins, mode: out[0] };
}

function showFrame(): void {
  if (shown === null) return;
  if (viewer === null || viewer.envId !== shown.envId) {
    const env = make(shown.envId);
    viewer = {
      envId: shown.envId,
      env,
      rng: new Rng(7),
      obs: env.reset({ seed: 7 }).observation.slice(),
      step: 0,
      episodeReturn: 0,
      episodes: 0,
    };
  }
  const v = viewer;
  const policy = shown.policy;
  const dist = distribution(policy, v.obs, v.rng);
  policy.act(v.obs, 1, v.rng, action, false);
  const a = action[0];
  const discrete = v.env.actionSpace.kind === "discrete";
  const observation = Array.from(v.obs);
  const r = v.env.step(discrete ? a : action.subarray(0, policy.actDim));
  v.step++;
  v.episodeReturn += r.reward;
  post({
    type: "frame",
    frame: {
      envId: v.envId,
      observation,
      distribution: dist,
      action: a,
      step: v.step,
      episodeReturn: v.episodeReturn,
      frame: ++frameCount,
    },
  });
  if (r.terminated || r.truncated) {
    v.episodes++;
    v.obs = v.env.reset().observation.slice();
    v.step = 0;
    v.episodeReturn = 0;
  } else v.obs = r.observation.slice();
}

let displayOn = true;
setInterval(() => {
  if (!displayOn) return;
  try {
    showFrame();
  } catch (e) {
    post({ type: "error", message: `display: ${(e as Error).message}` });
    shown = null;
  }
}, FRAME_MS);

// ---------------------------------------------------------------------------------------------
// Files

function download(): void {
  if (session === null) throw new Error("nothing to download: start a run first");
  const c = session.run.checkpoint();
  const last = session.curve.at(-1);
  // The policy at this moment (the trainer also keeps its best; the page saves what it shows).
  const bytes = encodeCheckpointFile({
    info: {
      algo: session.algo,
      envId: syncId(session.envId),
      update: last?.update ?? 0,
      envSteps: last?.envSteps ?? 0,
    },
    policySpec: session.run.policy.spec,
    params: c.params,
    ...(c.valueParams ? { valueParams: c.valueParams } : {}),
    normalizer: session.run.policy.observationNormalizer?.() ?? null,
    state: c.state,
    curve: {
      envSteps: session.curve.map((p) => p.envSteps),
      returnMean: session.curve.map((p) => p.returnMean),
      returnMean100: session.curve.map((p) => p.returnMean100),
    },
  });
  const name = `${syncId(session.envId)}-${session.algo}-${last?.envSteps ?? 0}.safetensors`;
  post({ type: "file", name, bytes }, [bytes.buffer]);
}

function open(name: string, bytes: Uint8Array): void {
  const file = decodeCheckpointFile(bytes, name);
  const agent = loadAgent(file);
  if (session !== null) reset();
  make(agent.info.envId).close(); // an unknown env id fails here, with the registry's message
  shown = { policy: agent.policy, envId: agent.info.envId };
  viewer = null;
  setStatus("watching");
  const c = file.curve;
  post({
    type: "opened",
    name,
    envId: agent.info.envId,
    algo: agent.info.algo,
    update: agent.info.update,
    envSteps: agent.info.envSteps,
    curve: (c?.envSteps ?? []).map((envSteps, i) => ({
      update: i + 1,
      envSteps,
      returnMean: c!.returnMean[i],
      returnMean100: c!.returnMean100[i],
    })),
  });
}

function evaluateShown(episodes: number, seed: number): void {
  if (shown === null) throw new Error("nothing to evaluate: start a run or open a file first");
  const e = evaluate(shown.policy, shown.envId, { episodes, seed, deterministic: true });
  post({
    type: "evaluated",
    result: { returnMean: e.returnMean, returns: e.returns, episodes, seed, deterministic: true },
  });
}

// ---------------------------------------------------------------------------------------------

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  try {
    switch (m.type) {
      case "start":
        start(m);
        break;
      case "pause":
        if (status === "running") setStatus("paused");
        break;
      case "resume":
        if (status === "paused" && session) {
          setStatus("running");
          wakeUp?.();
          wakeUp = null;
        }
        break;
      case "stop":
        if (session && (status === "running" || status === "paused")) {
          generation++;
          wakeUp?.();
          wakeUp = null;
          setStatus("stopped");
        }
        break;
      case "reset":
        reset();
        break;
      case "display":
        displayOn = m.on;
        break;
      case "speed":
        delayMs = m.delayMs;
        break;
      case "evaluate":
        evaluateShown(m.episodes, m.seed);
        break;
      case "download":
        download();
        break;
      case "open":
        open(m.name, m.bytes);
        break;
      case "env-answer": {
        const resolve = pendingCalls.get(m.call);
        pendingCalls.delete(m.call);
        resolve?.({
          observation: Float64Array.from(m.observation),
          reward: m.reward,
          terminated: m.terminated,
          truncated: m.truncated,
          info: {},
        });
        break;
      }
    }
  } catch (e) {
    post({ type: "error", message: (e as Error).message });
  }
};

post({ type: "ready", kernels: activeKernels() });
