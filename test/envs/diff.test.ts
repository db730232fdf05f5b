import assert from "node:assert/strict";
import { test } from "node:test";
import {
  add,
  mean,
  mul,
  neg,
  Rng,
  reshape,
  slice,
  sum,
  Tensor,
  tensor,
  valueAndGrad,
  where,
} from "../../src/core/index.ts";
import { compileRows } from "../../src/envs/columns.ts";
import { DifferentiableEnv, detach, makeDifferentiable, TensorNum } from "../../src/envs/diff.ts";
import { angleNormalize, type Dynamics, type Val, wrap } from "../../src/envs/num.ts";
import { physicsOf } from "../../src/envs/registry.ts";
import { lqOptimalGain, lqReturn } from "../../src/envs/toy/linear_quadratic.ts";

const ALL = [
  "CartPole-v1",
  "Pendulum-v1",
  "MountainCar-v0",
  "MountainCarContinuous-v0",
  "Acrobot-v1",
  "Point1D-v0",
  "CartPoleSwingUp-v0",
  "LinearQuadratic-v0",
];
const DIFFERENTIABLE = ALL.filter((id) => dynOf(id).dyn.differentiable === true);

function dynOf(id: string): { dyn: Dynamics; p: unknown } {
  const ph = physicsOf(id)!;
  return { dyn: ph.spec.physics.dynamics!, p: ph.params };
}

/** B random rows: states near the env's own and wider, actions in and out of bounds. */
function randomRows(dyn: Dynamics, p: unknown, b: number, rng: Rng) {
  const s = new Float64Array(b * dyn.stateDim);
  for (let i = 0; i < b; i++) {
    dyn.initial(p, rng, s, i);
    const scale = [0, 0.5, 2][i % 3];
    for (let k = 0; k < dyn.stateDim; k++)
      s[i * dyn.stateDim + k] += rng.uniformRange(-scale, scale);
  }
  const space = dyn.actionSpace(p);
  const a = new Float64Array(b * dyn.actDim);
  for (let j = 0; j < a.length; j++)
    a[j] = space.kind === "discrete" ? rng.int(space.n) : 3 * rng.uniform() - 1.5;
  return { s, a };
}

function columns(rows: Float64Array, b: number, dim: number): Tensor[] {
  return Array.from({ length: dim }, (_, k) => {
    const c = new Float64Array(b);
    for (let i = 0; i < b; i++) c[i] = rows[i * dim + k];
    return new Tensor(c, [b]);
  });
}

for (const id of ALL) {
  test(`${id}: the tensor interpreter's forward equals the compiled rollout bit for bit (float32 on)`, () => {
    const { dyn, p } = dynOf(id);
    const b = 60;
    const { s, a } = randomRows(dyn, p, b, new Rng(3));
    const rows = compileRows(dyn, p, true);
    const ns = new Float64Array(s.length);
    const obs = new Float64Array(b * dyn.obsDim);
    const rewards = new Float64Array(b);
    const terminated = new Uint8Array(b);
    rows.stepRows(p, s, a, ns, obs, rewards, terminated, 0, b);
    const tr = dyn.step(
      new TensorNum(true),
      p,
      columns(s, b, dyn.stateDim),
      columns(a, b, dyn.actDim),
    );
    const num = new TensorNum(true);
    const tObs = dyn.observe(num, p, tr.next);
    const at = (v: Val<Tensor>, i: number) =>
      typeof v === "number" ? v : v.size === 1 ? v.data[0] : v.data[i];
    for (let i = 0; i < b; i++) {
      for (let k = 0; k < dyn.stateDim; k++)
        assert.ok(
          Object.is(at(tr.next[k], i), ns[i * dyn.stateDim + k]),
          `${id} row ${i} next[${k}]`,
        );
      for (let k = 0; k < dyn.obsDim; k++)
        assert.ok(Object.is(at(tObs[k], i), obs[i * dyn.obsDim + k]), `${id} row ${i} obs[${k}]`);
      assert.ok(Object.is(at(tr.reward, i), rewards[i]), `${id} row ${i} reward`);
      assert.equal(at(tr.terminated, i), terminated[i], `${id} row ${i} terminated`);
    }
  });
}

/**
 * A TensorNum that also records, per row, which side of every kink each row is on (comparison
 * results, floors, clip and min/max branches): rows whose signature changes within +-10h of a
 * coordinate are near a kink and left out of the finite-difference check.
 */
class KinkProbe extends TensorNum {
  sig: Float64Array[] = [];
  private note(x: Tensor): Tensor {
    this.sig.push(x.data.slice());
    return x;
  }
  override floor(a: Val<Tensor>) {
    return this.note(super.floor(a));
  }
  override lt(a: Val<Tensor>, b: Val<Tensor>) {
    return this.note(super.lt(a, b));
  }
  override le(a: Val<Tensor>, b: Val<Tensor>) {
    return this.note(super.le(a, b));
  }
  override gt(a: Val<Tensor>, b: Val<Tensor>) {
    return this.note(super.gt(a, b));
  }
  override ge(a: Val<Tensor>, b: Val<Tensor>) {
    return this.note(super.ge(a, b));
  }
  override eq(a: Val<Tensor>, b: Val<Tensor>) {
    return this.note(super.eq(a, b));
  }
  override clip(a: Val<Tensor>, lo: number, hi: number) {
    const x = typeof a === "number" ? tensor(a) : a;
    this.note(
      new Tensor(
        x.data.map((v) => (v < lo ? -1 : v > hi ? 1 : 0)),
        x.shape,
      ),
    );
    return super.clip(a, lo, hi);
  }
  override min(a: Val<Tensor>, b: Val<Tensor>) {
    this.note(super.le(a, b));
    return super.min(a, b);
  }
  override max(a: Val<Tensor>, b: Val<Tensor>) {
    this.note(super.ge(a, b));
    return super.max(a, b);
  }
}

for (const id of DIFFERENTIABLE) {
  test(`${id}: tape derivatives of one step equal central differences (float64 variant, 1e-6, rows 10h from kinks)`, () => {
    const { dyn, p } = dynOf(id);
    const b = 48;
    const h = 1e-6;
    const { s, a } = randomRows(dyn, p, b, new Rng(7));
    const inputs = [...columns(s, b, dyn.stateDim), ...columns(a, b, dyn.actDim)];
    const names = inputs.map((_, j) => `x${j}`);
    const rng = new Rng(8);
    const w = Array.from({ length: dyn.stateDim + dyn.obsDim + 1 }, () =>
      tensor(Array.from({ length: b }, () => rng.uniformRange(0.5, 1.5))),
    );
    // Sum of every output of every row, weighted: rows do not interact, so d/d(column j)[i] is row i's own partial.
    const loss = (num: TensorNum, xs: Tensor[]) => {
      const tr = dyn.step(num, p, xs.slice(0, dyn.stateDim), xs.slice(dyn.stateDim));
      const outs = [...tr.next, ...dyn.observe(num, p, tr.next), tr.reward];
      let l: Tensor = tensor(0);
      outs.forEach((o, k) => {
        l = add(l, sum(mul(o, w[k])));
      });
      return l;
    };
    const params: Record<string, Tensor> = {};
    names.forEach((n, j) => {
      params[n] = inputs[j];
    });
    const { grads } = valueAndGrad((q) =>
      loss(
        new TensorNum(false),
        names.map((n) => q[n]),
      ),
    )(params);
    const signature = (xs: Tensor[]) => {
      const probe = new KinkProbe(false);
      loss(probe, xs);
      return probe.sig;
    };
    const base = signature(inputs);
    const nearKink = new Uint8Array(b);
    let checked = 0;
    for (let j = 0; j < inputs.length; j++) {
      for (const d of [-10 * h, 10 * h]) {
        const moved = inputs.map((x, k) => (k === j ? add(x, d) : x));
        signature(moved).forEach((sg, q) => {
          for (let i = 0; i < b; i++) if (sg[i] !== base[q][i]) nearKink[i] = 1;
        });
      }
    }
    for (let j = 0; j < inputs.length; j++) {
      const up = inputs.map((x, k) => (k === j ? add(x, h) : x));
      const down = inputs.map((x, k) => (k === j ? add(x, -h) : x));
      // Per-row differences: the loss is a sum over rows, so take each row's own terms.
      const perRow = (xs: Tensor[]) => {
        const num = new TensorNum(false);
        const tr = dyn.step(num, p, xs.slice(0, dyn.stateDim), xs.slice(dyn.stateDim));
        const outs = [...tr.next, ...dyn.observe(num, p, tr.next), tr.reward];
        const r = new Float64Array(b);
        outs.forEach((o, k) => {
          const v = typeof o === "number" ? null : o;
          for (let i = 0; i < b; i++)
            r[i] +=
              (v === null ? (o as number) : v.size === 1 ? v.data[0] : v.data[i]) * w[k].data[i];
        });
        return r;
      };
      const fu = perRow(up);
      const fd = perRow(down);
      let diff = 0;
      let na = 0;
      let nn = 0;
      for (let i = 0; i < b; i++) {
        if (nearKink[i]) continue;
        const numeric = (fu[i] - fd[i]) / (2 * h);
        const analytic = grads[names[j]][i];
        diff += (numeric - analytic) ** 2;
        na += analytic ** 2;
        nn += numeric ** 2;
        checked++;
      }
      const err = Math.sqrt(diff) / Math.max(Math.sqrt(na), Math.sqrt(nn), 1e-12);
      assert.ok(err <= 1e-6, `${id} input ${j}: relative error ${err.toExponential(2)}`);
    }
    assert.ok(
      checked >= inputs.length * b * 0.5,
      `${id}: only ${checked} row-inputs away from kinks`,
    );
  });
}

test("differentiability is declared per env, with the reason for the discrete ones", () => {
  for (const id of ["CartPole-v1", "MountainCar-v0", "Acrobot-v1"]) {
    assert.throws(() => makeDifferentiable(id), /is not differentiable: its action is Discrete/);
  }
  for (const id of DIFFERENTIABLE) assert.ok(makeDifferentiable(id) instanceof DifferentiableEnv);
  assert.deepEqual(DIFFERENTIABLE, [
    "Pendulum-v1",
    "MountainCarContinuous-v0",
    "Point1D-v0",
    "CartPoleSwingUp-v0",
    "LinearQuadratic-v0",
  ]);
  assert.throws(
    () => makeDifferentiable("Bandit-v0"),
    /Bandit-v0 has no definition in the array algebra/,
  );
  const env = makeDifferentiable("Pendulum-v1");
  assert.throws(
    () => env.step([tensor([0, 1])], [tensor([0, 1])]),
    /states must be an array of 2 Tensors/,
  );
  assert.throws(
    () => env.step([tensor([0, 1]), tensor([0, 1])], [tensor([0])]),
    /actions\[0\] must be a Tensor \[2\], got shape \[1\]/,
  );
});

/** d(out)/d(x) of a one-input function on the tape, at the points xs. */
function tapeGrad(f: (x: Tensor) => Tensor, xs: number[]): number[] {
  const { grads } = valueAndGrad((q) => sum(f(q.x)))({ x: tensor(xs) });
  return Array.from(grads.x);
}

test("kink: a saturated clip passes no gradient (Pendulum torque and speed, Point1D action and wall)", () => {
  const pend = makeDifferentiable("Pendulum-v1", { float32: false });
  const th = tensor([0.3, 0.3]);
  // Torque 3 and -2.5 saturate at +-2: d next theta_dot / d a = 0; inside, 3 dt / (m l^2) = 0.15.
  assert.deepEqual(
    tapeGrad((a) => pend.step([th, tensor([0, 0])], [a]).next[1], [3, -2.5]),
    [0, 0],
  );
  assert.deepEqual(
    tapeGrad((a) => pend.step([th, tensor([0, 0])], [a]).next[1], [1, -1]).map(
      (g) => +g.toFixed(12),
    ),
    [0.15, 0.15],
  );
  // theta_dot 7.9 + gravity's push goes past 8: clipped, so d theta_dot' / d theta_dot = 0.
  assert.deepEqual(
    tapeGrad((v) => pend.step([tensor([1.5]), v], [tensor([2])]).next[1], [7.9]),
    [0],
  );
  const point = makeDifferentiable("Point1D-v0");
  assert.deepEqual(
    tapeGrad((a) => point.step([tensor([0, 0]), tensor([0, 0])], [a]).next[0], [1.5, 0.5]).map(
      (g) => +g.toFixed(12),
    ),
    [0, 0.2],
  );
  // At the wall x = 2 pushing outward: clipped, no gradient to x.
  assert.deepEqual(
    tapeGrad((x) => point.step([x, tensor([0])], [tensor([1])]).next[0], [1.95]),
    [0],
  );
});

test("kink: the angle wrap passes gradient 1 (Pendulum's angle_normalize, Acrobot's wrap, the swing-up reward)", () => {
  const num = new TensorNum(false);
  // Across pi the wrapped value jumps by 2 pi; its derivative stays 1.
  assert.deepEqual(
    tapeGrad((x) => angleNormalize(num, x), [Math.PI + 0.1, -Math.PI - 0.1, 7]),
    [1, 1, 1],
  );
  assert.deepEqual(
    tapeGrad((x) => wrap(num, x, -Math.PI, Math.PI), [4, -4, 0.5, 10]),
    [1, 1, 1, 1],
  );
  assert.ok(
    Math.abs(wrap(num, tensor([4]), -Math.PI, Math.PI).data[0] - (4 - 2 * Math.PI)) < 1e-15,
  );
  // Pendulum reward -(wrap(theta)^2 + ...) at theta = pi + 0.1: d/dtheta = -2 wrap(theta) = 2 (pi - 0.1).
  const pend = makeDifferentiable("Pendulum-v1", { float32: false });
  const g = tapeGrad((th) => pend.step([th, tensor([0])], [tensor([0])]).reward, [Math.PI + 0.1]);
  assert.ok(Math.abs(g[0] - 2 * (Math.PI - 0.1)) < 1e-12, `${g}`);
});

test("kink: MountainCarContinuous's inelastic wall stops the car (no gradient) and the goal bonus is a step (no gradient)", () => {
  const env = makeDifferentiable("MountainCarContinuous-v0", { float32: false });
  // At the left wall moving left: position clipped to -1.2 and velocity zeroed.
  const atWall = (v: Tensor) => env.step([tensor([-1.19]), v], [tensor([-1])]);
  const tr = atWall(tensor([-0.05]));
  assert.equal(tr.next[0].data[0], -1.2);
  assert.equal(tr.next[1].data[0], 0);
  assert.deepEqual(
    tapeGrad((v) => atWall(v).next[1], [-0.05]),
    [0],
  );
  assert.deepEqual(
    tapeGrad((v) => atWall(v).next[0], [-0.05]),
    [0],
  );
  // Crossing the goal: reward 100 - 0.1 a^2, whose gradient in a is -0.2 a only.
  const cross = (a: Tensor) => env.step([tensor([0.44]), tensor([0.02])], [a]);
  assert.equal(cross(tensor([0.5])).terminated.data[0], 1);
  assert.ok(Math.abs(cross(tensor([0.5])).reward.data[0] - (100 - 0.025)) < 1e-12);
  assert.ok(Math.abs(tapeGrad((a) => cross(a).reward, [0.5])[0] + 0.1) < 1e-12);
});

test("LinearQuadratic-v0: the tape's J_T(K) and grad J_T(K) equal the exported recursion (1e-9), and K* is optimal", () => {
  const env = makeDifferentiable("LinearQuadratic-v0");
  const b = 8;
  const T = 60;
  const x0 = env.initialStates(new Rng(4), b);
  const K = tensor([1.2, 0.9], [1, 2]);
  const k0 = (q: Record<string, Tensor>) => reshape(slice(q.K, [0, 0], [1, 1]), []);
  const k1 = (q: Record<string, Tensor>) => reshape(slice(q.K, [0, 1], [1, 1]), []);
  const gamma = 0.99;
  const { value, grads } = valueAndGrad((q) => {
    let s = x0;
    let ret: Tensor = tensor(0);
    let disc = 1;
    for (let t = 0; t < T; t++) {
      const u = neg(add(mul(s[0], k0(q)), mul(s[1], k1(q))));
      const tr = env.step(s, [u]);
      ret = add(ret, mul(mean(tr.reward), disc));
      disc *= gamma;
      s = tr.next;
    }
    return ret;
  })({ K });
  const sigma0 = [0, 0, 0, 0];
  for (let i = 0; i < b; i++) {
    const x = [x0[0].data[i], x0[1].data[i]];
    for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) sigma0[r * 2 + c] += (x[r] * x[c]) / b;
  }
  const exact = lqReturn([1.2, 0.9], { sigma0, horizon: T });
  const rel = (x: number, y: number) => Math.abs(x - y) / Math.max(Math.abs(y), 1e-300);
  assert.ok(rel(value, exact.value) <= 1e-9, `J: tape ${value}, recursion ${exact.value}`);
  assert.ok(
    rel(grads.K[0], exact.grad[0]) <= 1e-9,
    `dJ/dK0: tape ${grads.K[0]}, recursion ${exact.grad[0]}`,
  );
  assert.ok(
    rel(grads.K[1], exact.grad[1]) <= 1e-9,
    `dJ/dK1: tape ${grads.K[1]}, recursion ${exact.grad[1]}`,
  );
  // K*: the long-horizon gradient vanishes there, and it beats nearby gains.
  const kStar = lqOptimalGain();
  const atStar = lqReturn(kStar, { horizon: 3000 });
  assert.ok(
    Math.hypot(...atStar.grad) < 1e-8 * Math.abs(atStar.value),
    `grad at K* ${atStar.grad}`,
  );
  for (const d of [
    [0.05, 0],
    [0, -0.05],
    [-0.03, 0.03],
  ]) {
    assert.ok(lqReturn([kStar[0] + d[0], kStar[1] + d[1]], { horizon: 3000 }).value < atStar.value);
  }
});

test("a 10,000-step differentiable rollout backpropagates (iterative backward) within bounded memory", () => {
  const env = makeDifferentiable("Pendulum-v1");
  const s0 = env.initialStates(new Rng(1), 4);
  const heap0 = process.memoryUsage().heapUsed;
  let peak = 0;
  const { value, grads } = valueAndGrad((q) => {
    let s = s0;
    let ret: Tensor = tensor(0);
    for (let t = 0; t < 10_000; t++) {
      const u = neg(mul(s[1], reshape(q.k, [])));
      const tr = env.step(s, [u]);
      ret = add(ret, mean(tr.reward));
      s = tr.next;
    }
    peak = process.memoryUsage().heapUsed - heap0;
    return ret;
  })({ k: tensor([0.5]) });
  assert.ok(Number.isFinite(value) && Number.isFinite(grads.k[0]) && grads.k[0] !== 0);
  // Measured 2026-12-02: 160 to 200 MB of heap for the tape of 10,000 steps at batch 4, about
  // 16 KB per step: ~35 recorded ops, each a Tensor, a Float64Array and a tape node, and a
  // gradient buffer in backward (docs/performance.md). The bound leaves room for the collector.
  assert.ok(peak < 400e6, `tape of 10,000 steps took ${(peak / 1e6).toFixed(0)} MB`);
  console.log(`10,000-step Pendulum rollout (batch 4): tape heap ${(peak / 1e6).toFixed(1)} MB`);
  // Carried states are plain copies: no tape, no arena.
  const kept = detach(s0);
  assert.ok(kept[0] !== s0[0] && kept[0].data[0] === s0[0].data[0]);
});

test("an unroll across a reset: where(done, fresh, next) cuts the gradient of the reset rows", () => {
  const env = makeDifferentiable("Point1D-v0");
  const s0 = [tensor([0, 0]), tensor([0.5, 0.5])];
  const fresh = [tensor([-1, -1]), tensor([0.5, 0.5])];
  const reset = tensor([1, 0]); // row 0 ends its episode after the first step
  const { grads } = valueAndGrad((q) => {
    const first = env.step(s0, [q.a]);
    const s1 = first.next.map((x, k) => where(reset, fresh[k], x));
    return sum(env.step(s1, [tensor([0.5, 0.5])]).reward);
  })({ a: tensor([0.3, 0.3]) });
  // Row 0 restarted from a constant state: its first action no longer matters; row 1's does:
  // d/da -(x0 + 0.2 a + 0.1 - 0.5)^2 = -2 (x2 - 0.5) 0.2 with x2 = 0.06 + 0.1.
  assert.equal(grads.a[0], 0);
  assert.ok(Math.abs(grads.a[1] - -2 * (0.16 - 0.5) * 0.2) < 1e-12, `${grads.a[1]}`);
});
