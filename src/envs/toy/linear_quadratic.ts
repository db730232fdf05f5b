/**
 * LinearQuadratic-v0: a double integrator with quadratic cost, the task whose policy gradient is
 * known exactly, to check differentiable rollouts and analytic policy gradients against.
 *
 * State `x = [position, velocity]`; the observation is the state. Action `u`: Box(-inf, inf, [1]),
 * an acceleration, unbounded (not clipped). Dynamics, exact for a constant acceleration over dt:
 * `x' = A x + B u`, `A = [[1, dt], [0, 1]]`, `B = [[dt^2 / 2], [dt]]`. Reward of the state
 * before the step: `-(x^T Q x + u^T R u)`. Never terminates.
 *
 * Stated constants (options change none of them): dt = 0.1, Q = diag(1, 0.1), R = [[0.01]],
 * discount gamma = 0.99, time limit T = 200, start x0 ~ N(0, Sigma0) with Sigma0 = I.
 *
 * Exact answers for the linear policy `u = -K x` (K `[1, 2]`):
 * {@link lqOptimalGain} gives the optimal gain K* of the infinite-horizon discounted problem
 * (discounted discrete algebraic Riccati equation), and {@link lqReturn} the expected discounted
 * return over T steps, J_T(K) = E[sum_{t<T} gamma^t r_t], and its gradient, by backward and
 * forward recursions (not sampled).
 */
import { columnPhysics } from "../columns.ts";
import type { Dynamics } from "../num.ts";
import type { Physics, PhysicsSpec } from "../physics.ts";
import { readOptions } from "../physics.ts";
import { box } from "../spaces.ts";

export interface LinearQuadraticParams {
  readonly dt: number;
  /** State cost weights: Q = diag(q[0], q[1]). */
  readonly q: readonly [number, number];
  /** Action cost R (1 x 1). */
  readonly r: number;
  readonly gamma: number;
  /** Time limit T. */
  readonly horizon: number;
  /** Start covariance Sigma0 (2 x 2, row-major). */
  readonly sigma0: readonly number[];
}

const PARAMS: LinearQuadraticParams = {
  dt: 0.1,
  q: [1, 0.1],
  r: 0.01,
  gamma: 0.99,
  horizon: 200,
  sigma0: [1, 0, 0, 1],
};

export const linearQuadraticDynamics: Dynamics<LinearQuadraticParams> = {
  name: "LinearQuadratic",
  stateDim: 2,
  obsDim: 2,
  actDim: 1,
  differentiable: true,
  rewardOf: "state",
  params(options) {
    readOptions("LinearQuadratic", options, []);
    return PARAMS;
  },
  observationSpace: () => box(-Infinity, Infinity, [2]),
  actionSpace: () => box(-Infinity, Infinity, [1]),
  initial(p, rng, s, i) {
    // x0 = L z with L the Cholesky factor of Sigma0, z ~ N(0, I).
    const [s00, s01, , s11] = p.sigma0;
    const l00 = Math.sqrt(s00);
    const l10 = s01 / l00;
    const l11 = Math.sqrt(s11 - l10 * l10);
    const z0 = rng.normal();
    const z1 = rng.normal();
    s[i * 2] = l00 * z0;
    s[i * 2 + 1] = l10 * z0 + l11 * z1;
  },
  step(num, p, s, a) {
    const [x, v] = s;
    const u = a[0];
    const dt = p.dt;
    const cost = num.add(
      num.add(num.mul(p.q[0], num.square(x)), num.mul(p.q[1], num.square(v))),
      num.mul(p.r, num.square(u)),
    );
    const next = [
      num.add(num.add(x, num.mul(dt, v)), num.mul((dt * dt) / 2, u)),
      num.add(v, num.mul(dt, u)),
    ];
    return { next, reward: num.neg(cost), terminated: 0 };
  },
  /** The observation is the state. */
  observe: (_num, _p, s) => s,
};

export const linearQuadraticPhysics: Physics<LinearQuadraticParams> =
  columnPhysics(linearQuadraticDynamics);

export const linearQuadraticSpec: PhysicsSpec<LinearQuadraticParams> = {
  id: "LinearQuadratic-v0",
  physics: linearQuadraticPhysics,
  maxEpisodeSteps: PARAMS.horizon,
};

// Small dense matrices (arrays of rows): the problem is 2 x 2 with one input.
type Mat = number[][];

function mm(a: Mat, b: Mat): Mat {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}
function tr(a: Mat): Mat {
  return a[0].map((_, j) => a.map((row) => row[j]));
}
function plus(a: Mat, b: Mat, sb = 1): Mat {
  return a.map((row, i) => row.map((v, j) => v + sb * b[i][j]));
}
function scale(a: Mat, s: number): Mat {
  return a.map((row) => row.map((v) => v * s));
}

/** A, B, Q, R of the parameters. */
function system(p: LinearQuadraticParams) {
  const { dt } = p;
  return {
    A: [
      [1, dt],
      [0, 1],
    ],
    B: [[(dt * dt) / 2], [dt]],
    Q: [
      [p.q[0], 0],
      [0, p.q[1]],
    ],
    R: [[p.r]],
  };
}

/**
 * The optimal gain K* `[1, 2]` (u = -K* x) of the infinite-horizon discounted problem: the
 * fixed point P of the discounted Riccati recursion
 * `P = Q + g A'PA - g^2 A'PB (R + g B'PB)^-1 B'PA`, then `K* = g (R + g B'PB)^-1 B'PA`,
 * iterated from P = Q until P changes by less than 1e-13 relative.
 */
export function lqOptimalGain(p: LinearQuadraticParams = PARAMS): number[] {
  const { A, B, Q, R } = system(p);
  const g = p.gamma;
  const gain = (P: Mat): Mat => {
    const s = R[0][0] + g * mm(mm(tr(B), P), B)[0][0];
    return scale(mm(mm(tr(B), P), A), g / s);
  };
  let P = Q;
  for (let it = 0; it < 100000; it++) {
    const K = gain(P);
    // Q + g A'PA - g A'PB K (the Riccati step written with the current gain).
    const next = plus(
      plus(Q, scale(mm(mm(tr(A), P), A), g)),
      scale(mm(mm(mm(tr(A), P), B), K), g),
      -1,
    );
    const change = Math.max(...next.flat().map((v, i) => Math.abs(v - P.flat()[i])));
    P = next;
    if (change <= 1e-13 * Math.max(...P.flat().map(Math.abs))) return gain(P)[0];
  }
  throw new Error(
    "lqOptimalGain: the Riccati recursion did not converge (is the system stabilizable?)",
  );
}

/**
 * The expected discounted return over `horizon` steps of the linear policy u = -K x from
 * x0 ~ (0, sigma0), J_T(K) = E[sum_{t<T} gamma^t r_t] = -tr(V_T Sigma0), and its gradient in K.
 * With M = Q + K'RK and A_K = A - BK: the cost-to-go matrices V_0 = 0,
 * V_n = M + gamma A_K' V_{n-1} A_K; the state covariances Sigma_t = A_K^t Sigma0 A_K'^t; and
 * dJ/dK = -sum_t gamma^t 2 [(R + gamma B'V B) K - gamma B'V A] Sigma_t with V = V_{T-t-1}
 * (the gradient of each step's cost plus the discounted cost-to-go it leads to).
 *
 * `sigma0` (row-major 2 x 2) defaults to the task's; pass the mean of x0 x0^T over a batch of
 * starts to get the exact value of those starts.
 */
export function lqReturn(
  K: readonly number[],
  options: { params?: LinearQuadraticParams; sigma0?: readonly number[]; horizon?: number } = {},
): { value: number; grad: number[] } {
  const p = options.params ?? PARAMS;
  const T = options.horizon ?? p.horizon;
  const s0 = options.sigma0 ?? p.sigma0;
  if (K.length !== 2 || !K.every(Number.isFinite)) {
    throw new RangeError(`lqReturn: K must be 2 finite numbers (u = -K x), got ${K}`);
  }
  const { A, B, Q, R } = system(p);
  const g = p.gamma;
  const Km: Mat = [[K[0], K[1]]];
  const M = plus(Q, mm(mm(tr(Km), R), Km));
  const AK = plus(A, mm(B, Km), -1);
  // V[n] for n = 0..T.
  const V: Mat[] = [
    [
      [0, 0],
      [0, 0],
    ],
  ];
  for (let n = 1; n <= T; n++) V.push(plus(M, scale(mm(mm(tr(AK), V[n - 1]), AK), g)));
  let sigma: Mat = [
    [s0[0], s0[1]],
    [s0[2], s0[3]],
  ];
  let grad: Mat = [[0, 0]];
  let disc = 1;
  for (let t = 0; t < T; t++) {
    const Vn = V[T - t - 1];
    const h = plus(
      scale(Km, R[0][0] + g * mm(mm(tr(B), Vn), B)[0][0]),
      scale(mm(mm(tr(B), Vn), A), g),
      -1,
    );
    grad = plus(grad, scale(mm(h, sigma), 2 * disc));
    sigma = mm(mm(AK, sigma), tr(AK));
    disc *= g;
  }
  const VT = V[T];
  const cost = VT[0][0] * s0[0] + VT[0][1] * s0[2] + VT[1][0] * s0[1] + VT[1][1] * s0[3];
  return { value: -cost, grad: [-grad[0][0], -grad[0][1]] };
}
