/**
 * Core benchmark: forward + backward of the REINFORCE loss -mean(logp(a) * w) for an MLP 4-64-64-2
 * (tanh), at batch sizes 1, 16, 256 and 4096, against @tensorflow/tfjs (cpu backend) running the
 * same network, parameters and loss in the same process. Also our no-tape inference forward.
 *
 * Each cell runs for a fixed time after a warmup, split into WINDOWS equal windows; the figure is
 * the median window's samples (batch rows) per second, so a burst of load from another process on
 * this 2-core machine moves one window rather than the whole cell. Same method for both libraries.
 * The warmup is a full second: the first cell (batch 1) otherwise still measured code that V8 was
 * optimizing, and came out ~25% below the same cell measured later in the run.
 * The last line printed is one JSON object with the figures.
 *
 * Run: npm run bench:core
 */
import os from "node:os";
import v8 from "node:v8";
import vm from "node:vm";
import * as tf from "@tensorflow/tfjs";
import { useSimd } from "../src/core/backend/simd.ts";
import {
  logSoftmaxGather,
  mean,
  mul,
  neg,
  Rng,
  type Tensor,
  tensor,
  valueAndGrad,
} from "../src/core/index.ts";
import { createMlpInference, initMlp, type MlpSpec, mlp } from "../src/nn/index.ts";

const BATCHES = [1, 16, 256, 4096] as const;
const WARMUP_S = 1;
const MEASURE_S = 2;
const WINDOWS = 10;
const spec: MlpSpec = {
  inputSize: 4,
  hiddenSizes: [64, 64],
  outputSize: 2,
  activation: "tanh",
  prefix: "pi",
};

// A gc() handle for the allocation measurement, without needing --expose-gc on the command line.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/**
 * Bytes allocated per call of `step` (JS heap + ArrayBuffer backing stores): growth over 100 calls
 * after a full gc, the largest of 5 trials (a young-generation collection during a trial can only
 * lower its reading, so the largest is the closest to the truth).
 */
function bytesPerStep(step: () => void): number {
  const n = 100;
  let worst = 0;
  for (let trial = 0; trial < 5; trial++) {
    gc();
    const m0 = process.memoryUsage();
    for (let i = 0; i < n; i++) step();
    const m1 = process.memoryUsage();
    worst = Math.max(worst, (m1.heapUsed - m0.heapUsed + m1.arrayBuffers - m0.arrayBuffers) / n);
  }
  return worst;
}

/** Runs `step` repeatedly: warmup, then the median calls per second of WINDOWS windows. */
function rate(step: () => void): number {
  const run = (seconds: number): number => {
    const t0 = performance.now();
    let n = 0;
    let t = t0;
    while (t - t0 < seconds * 1000) {
      step();
      n++;
      t = performance.now();
    }
    return n / ((t - t0) / 1000);
  };
  run(WARMUP_S);
  const rates: number[] = [];
  for (let i = 0; i < WINDOWS; i++) rates.push(run(MEASURE_S / WINDOWS));
  rates.sort((a, b) => a - b);
  return (rates[(WINDOWS - 1) >> 1] + rates[WINDOWS >> 1]) / 2; // the median, for odd or even WINDOWS
}

function batchData(B: number, rng: Rng) {
  const obs = new Float64Array(B * 4);
  rng.fillNormal(obs);
  const actions = new Int32Array(B);
  const weights = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    actions[i] = rng.int(2);
    weights[i] = rng.normal();
  }
  return { obs, actions, weights };
}

async function main(): Promise<void> {
  const load0 = os.loadavg()[0];
  await tf.setBackend("cpu");
  const rng = new Rng(0);
  const params = initMlp(spec, rng);
  const tfVars = Object.fromEntries(
    Object.entries(params).map(([name, p]) => [
      name,
      tf.variable(tf.tensor(Array.from(p.data), p.shape.slice()), true, name),
    ]),
  );
  const ours: Record<string, number> = {};
  const jsOnly: Record<string, number> = {};
  const infer: Record<string, number> = {};
  const tfjs: Record<string, number> = {};
  const lossGap: Record<string, number> = {};
  const alloc: Record<string, number> = {};

  for (const B of BATCHES) {
    const { obs, actions, weights } = batchData(B, rng);
    const x = tensor(obs, [B, 4]);
    const w = tensor(weights, [B]);
    const lossFn = valueAndGrad(
      (p) => neg(mean(mul(logSoftmaxGather(mlp(p, spec, x), actions), w))) as Tensor,
      {
        reuseGrads: true,
      },
    );
    let ourLoss = 0;
    const ourStep = () => {
      ourLoss = lossFn(params).value;
    };
    ours[B] = B * rate(ourStep);
    alloc[B] = bytesPerStep(ourStep);
    // The same step with the WebAssembly SIMD kernels off: what the plain JS kernels reach.
    useSimd(false);
    jsOnly[B] = B * rate(ourStep);
    useSimd(true);

    const forward = createMlpInference(spec, B);
    const out = new Float64Array(B * 2);
    infer[B] = B * rate(() => forward(params, obs, B, out));

    const tx = tf.tensor2d(Float32Array.from(obs), [B, 4]);
    const tw = tf.tensor1d(Float32Array.from(weights));
    const oneHot = tf.oneHot(tf.tensor1d(actions, "int32"), 2);
    const tfLoss = () => {
      let h: tf.Tensor = tx;
      for (let i = 0; i < 3; i++) {
        const z = tf.add(tf.matMul(h, tfVars[`pi.${i}.weight`]), tfVars[`pi.${i}.bias`]);
        h = i < 2 ? tf.tanh(z) : z;
      }
      const logp = tf.sum(tf.mul(tf.logSoftmax(h), oneHot), 1);
      return tf.neg(tf.mean(tf.mul(logp, tw))) as tf.Scalar;
    };
    let tfValue = 0;
    tfjs[B] =
      B *
      rate(() => {
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(tfLoss);
          tfValue = value.dataSync()[0];
          for (const g of Object.values(grads)) g.dataSync();
        });
      });
    lossGap[B] = Math.abs(tfValue - ourLoss);
    tf.dispose([tx, tw, oneHot]);
  }

  const f = (v: number) => Math.round(v).toLocaleString("en-US").padStart(12);
  console.log(
    "REINFORCE loss -mean(logp(a) * w), MLP 4-64-64-2 tanh, forward+backward, samples/s (one process)",
  );
  console.log(
    `${"batch".padStart(6)} ${"policygrad".padStart(12)} ${"tfjs-cpu".padStart(12)} ${"ratio".padStart(8)} ${"JS kernels".padStart(12)} ${"inference".padStart(12)} ${"|dloss|".padStart(9)} ${"bytes/step".padStart(10)}`,
  );
  for (const B of BATCHES) {
    const ratio = (ours[B] / tfjs[B]).toFixed(1).padStart(7);
    console.log(
      `${String(B).padStart(6)} ${f(ours[B])} ${f(tfjs[B])} ${ratio}x ${f(jsOnly[B])} ${f(infer[B])} ${lossGap[B].toExponential(1).padStart(9)} ${String(Math.round(alloc[B])).padStart(10)}`,
    );
  }
  console.log(
    "(ratio = policygrad / tfjs-cpu; JS kernels = policygrad with its WebAssembly SIMD kernels off; inference = createMlpInference forward only; |dloss| = float64 vs tfjs float32 loss;\n bytes/step = heap + ArrayBuffer growth per policygrad forward+backward step, gradients reused)",
  );
  // Figures are wall-clock: with other processes running they drop (2 cores here), so say so.
  console.log(
    `(1-minute load average ${load0.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end, on ${os.cpus().length} cores)`,
  );
  const round = (r: Record<string, number>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)]));
  console.log(
    JSON.stringify({
      bench: "core",
      samples_per_s: round(ours),
      tfjs_cpu_samples_per_s: round(tfjs),
    }),
  );
}

await main();
