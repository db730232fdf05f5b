import assert from "node:assert/strict";
import { test } from "node:test";
import * as T from "../../src/core/index.ts";
import { tensor, valueAndGrad } from "../../src/core/index.ts";
import { gradcheck } from "./gradcheck.ts";

// One line per op: gradient vs central finite differences, relative error <= 1e-6 (gradcheck's default).
const pos: { range: [number, number] } = { range: [0.5, 2] }; // domains of log, sqrt, pow's base
test("grad add (broadcast [2,3] + [3])", () => gradcheck(T.add, [[2, 3], [3]]));
test("grad add (broadcast [2,1] + [1,3])", () =>
  gradcheck(T.add, [
    [2, 1],
    [1, 3],
  ]));
test("grad sub (broadcast [4] - [])", () => gradcheck(T.sub, [[4], []]));
test("grad mul (broadcast [2,3,2] * [3,1])", () =>
  gradcheck(T.mul, [
    [2, 3, 2],
    [3, 1],
  ]));
test("grad div", () =>
  gradcheck(
    T.div,
    [
      [3, 2],
      [3, 2],
    ],
    pos,
  ));
test("grad pow (tensor ** tensor)", () => gradcheck(T.pow, [[5], [5]], pos));
test("grad pow (tensor ** number)", () => gradcheck((x) => T.pow(x, 3), [[5]]));
test("grad maximum", () =>
  gradcheck(T.maximum, [
    [4, 3],
    [4, 3],
  ]));
test("grad minimum", () => gradcheck(T.minimum, [[4, 3], [3]]));
test("grad neg", () => gradcheck(T.neg, [[3, 2]]));
test("grad exp", () => gradcheck(T.exp, [[3, 2]]));
test("grad log", () => gradcheck(T.log, [[3, 2]], pos));
test("grad tanh", () => gradcheck(T.tanh, [[3, 2]]));
test("grad sigmoid", () => gradcheck(T.sigmoid, [[3, 2]]));
test("grad sin", () => gradcheck(T.sin, [[3, 2]]));
test("grad cos", () => gradcheck(T.cos, [[3, 2]]));
test("grad sqrt", () => gradcheck(T.sqrt, [[3, 2]], pos));
test("grad abs", () => gradcheck(T.abs, [[3, 4]]));
test("grad clip", () => gradcheck((x) => T.clip(x, -1, 1), [[4, 4]]));
test("grad where", () =>
  gradcheck(
    (a, b) => T.where(tensor([1, 0, 1], [3]), a, b),
    [
      [2, 3],
      [2, 3],
    ],
  ));
test("grad sum (all)", () => gradcheck((x) => T.sum(x), [[3, 4]]));
test("grad sum (axis 0, keepDims)", () => gradcheck((x) => T.sum(x, 0, true), [[3, 4]]));
test("grad mean (axis -1)", () => gradcheck((x) => T.mean(x, -1), [[2, 3, 4]]));
test("grad max (axis 1)", () => gradcheck((x) => T.max(x, 1), [[3, 5]]));
test("grad matmul", () =>
  gradcheck(T.matmul, [
    [5, 3],
    [3, 6],
  ]));
test("grad reshape", () => gradcheck((x) => T.reshape(x, [3, -1]), [[2, 6]]));
test("grad slice", () => gradcheck((x) => T.slice(x, [1, 0, 2], [2, -1, 3]), [[3, 2, 5]]));
test("grad concat (axis 1)", () =>
  gradcheck(
    (a, b) => T.concat([a, b, a], 1),
    [
      [2, 3],
      [2, 1],
    ],
  ));
test("grad gather (axis 1)", () => gradcheck((x) => T.gather(x, 1, [2, 0, 2]), [[3, 4]]));
test("grad gather (axis 0)", () => gradcheck((x) => T.gather(x, 0, [1, 1, 0, 2]), [[3, 4]]));
test("grad logSoftmax", () => gradcheck(T.logSoftmax, [[3, 4]]));
test("grad logSoftmaxGather", () =>
  gradcheck((x) => T.logSoftmaxGather(x, new Int32Array([3, 0, 1])), [[3, 4]]));
for (const act of ["tanh", "relu", "elu", "none"] as const) {
  test(`grad dense ${act}`, () =>
    gradcheck((x, w, b) => T.dense(x, w, b, act), [[6, 5], [5, 7], [7]]));
}
test("grad dense without bias, 4x4 tiles plus edges", () =>
  gradcheck(
    (x, w) => T.dense(x, w, null, "tanh"),
    [
      [9, 6],
      [6, 10],
    ],
  ));
test("grad matmul on tile-sized and edge dims", () =>
  gradcheck(T.matmul, [
    [8, 12],
    [12, 9],
  ]));

test("stopGradient really stops: d/dx (x * stop(x)) = stop(x)", () => {
  const { grads } = T.valueAndGrad((p) => T.sum(T.mul(p.x, T.stopGradient(p.x))))({
    x: tensor([1, -2, 3]),
  });
  assert.deepEqual(Array.from(grads.x), [1, -2, 3]);
});

test("forward values of a few ops", () => {
  const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  assert.deepEqual(T.add(x, tensor([10, 20, 30])).toArray(), [11, 22, 33, 14, 25, 36]);
  assert.deepEqual(T.sum(x, 0).toArray(), [5, 7, 9]);
  assert.deepEqual(T.sum(x, 1, true).shape, [2, 1]);
  assert.deepEqual(T.max(x, 1).toArray(), [3, 6]);
  assert.deepEqual(T.slice(x, [0, 1], [2, 2]).toArray(), [2, 3, 5, 6]);
  assert.deepEqual(T.gather(x, 1, [2, 0]).toArray(), [3, 4]);
  assert.deepEqual(T.concat([x, x], 0).shape, [4, 3]);
  assert.deepEqual(T.matmul(x, tensor([1, 0, 0, 1, 1, 1], [3, 2])).toArray(), [4, 5, 10, 11]);
  assert.deepEqual(T.clip(x, 2, 4).toArray(), [2, 2, 3, 4, 4, 4]);
  assert.deepEqual(T.where(tensor([1, 0, 1]), x, 0).toArray(), [1, 0, 3, 4, 0, 6]);
  const ls = T.logSoftmax(tensor([1000, 1000], [1, 2])).toArray(); // stable for large logits
  assert.deepEqual(ls, [-Math.LN2, -Math.LN2]);
});

test("fused kernels equal their compositions (to 1e-12)", () => {
  const rng = new T.Rng(3);
  const x = tensor(rng.fillNormal(new Float64Array(7 * 5)), [7, 5]);
  const w = tensor(rng.fillNormal(new Float64Array(5 * 6)), [5, 6]);
  const b = tensor(rng.fillNormal(new Float64Array(6)), [6]);
  const fused = T.dense(x, w, b, "tanh").data;
  const comp = T.tanh(T.add(T.matmul(x, w), b)).data;
  for (let i = 0; i < fused.length; i++) assert.ok(Math.abs(fused[i] - comp[i]) <= 1e-12);
  const acts = [0, 5, 2, 3, 1, 4, 0];
  const g = T.logSoftmaxGather(T.dense(x, w, b, "none"), acts).data;
  const ref = T.gather(T.logSoftmax(T.dense(x, w, b, "none")), 1, acts).data;
  for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i] - ref[i]) <= 1e-12);
});

test("shape errors name the op, the shapes and the expectation", () => {
  const a = T.zeros([2, 3]);
  assert.throws(() => T.add(a, T.zeros([4])), /add: shapes \[2, 3\] and \[4\] do not broadcast/);
  assert.throws(
    () => T.matmul(a, T.zeros([2, 3])),
    /matmul: a \[2, 3\] @ b \[2, 3\]: inner dims 3 and 2 must match/,
  );
  assert.throws(() => T.matmul(T.zeros([3]), a), /matmul: a must be 2-D, got shape \[3\]/);
  assert.throws(
    () => T.dense(a, T.zeros([3, 4]), T.zeros([3]), "tanh"),
    /dense: bias has shape \[3\], expected \[4\]/,
  );
  assert.throws(
    () => T.reshape(a, [4, 2]),
    /reshape: shape \[2, 3\] \(6 elements\) cannot become \[4, 2\]/,
  );
  assert.throws(() => T.sum(a, 2), /sum: axis 2 out of range for shape \[2, 3\]/);
  assert.throws(
    () => T.slice(a, [1, 0], [2, 3]),
    /slice: .* out of bounds for shape \[2, 3\] at dim 0/,
  );
  assert.throws(() => T.gather(a, 1, [0, 3]), /gather: indices\[1\] = 3 out of range/);
  assert.throws(() => T.gather(a, 1, [0]), /gather: x \[2, 3\] along axis 1 needs 2 indices/);
  assert.throws(
    () => T.concat([a, T.zeros([3, 3])], 1),
    /concat: shapes \[2, 3\], \[3, 3\] differ outside axis 1/,
  );
  assert.throws(
    () => T.logSoftmaxGather(a, [0, 3]),
    /logSoftmaxGather: actions\[1\] = 3, expected an integer in \[0, 3\)/,
  );
  assert.throws(
    () => T.tensor([1, 2, 3], [2, 2]),
    /Tensor: data has 3 elements but shape \[2, 2\] needs 4/,
  );
  assert.throws(() => T.clip(a, 1, 0), /clip: expected lo <= hi/);
});

test("grad floored mod x - m floor(x / m): 1 away from the jumps (floor itself passes 0)", () =>
  gradcheck((x) => T.sub(x, T.mul(0.7, T.floor(T.div(x, 0.7)))), [[3, 4]], {
    range: [0.05, 0.65],
  }));

test("floor is piecewise constant: gradient 0, values Math.floor", () => {
  const x = tensor([-1.5, -0.2, 0, 0.2, 2.7]);
  assert.deepEqual(T.floor(x).toArray(), [-2, -1, 0, 0, 2]);
  const { grads } = valueAndGrad((p) => T.sum(T.mul(T.floor(p.x), p.x)))({ x });
  // d/dx (floor(x) x) = floor(x): only the factor x carries a gradient.
  assert.deepEqual(Array.from(grads.x), [-2, -1, 0, 0, 2]);
});

test("fround rounds to float32 with a straight-through gradient of 1", () => {
  const x = tensor([0.1, 1 / 3, -2.7]);
  assert.deepEqual(T.fround(x).toArray(), [
    Math.fround(0.1),
    Math.fround(1 / 3),
    Math.fround(-2.7),
  ]);
  const { grads } = valueAndGrad((p) => T.sum(T.mul(T.fround(p.x), tensor([1, 2, 3]))))({ x });
  assert.deepEqual(Array.from(grads.x), [1, 2, 3]);
});

test("comparisons give broadcast 0/1 masks and no gradient; where picks by them", () => {
  const a = tensor([1, 2, 3, 4]);
  assert.deepEqual(T.lt(a, 2.5).toArray(), [1, 1, 0, 0]);
  assert.deepEqual(T.le(a, 2).toArray(), [1, 1, 0, 0]);
  assert.deepEqual(T.gt(3, a).toArray(), [1, 1, 0, 0]);
  assert.deepEqual(T.ge(a, tensor([2, 2, 2, 5])).toArray(), [0, 1, 1, 0]);
  assert.deepEqual(T.eq(a, tensor([1, 0, 3, 0])).toArray(), [1, 0, 1, 0]);
  const { grads } = valueAndGrad((p) => T.sum(T.where(T.gt(p.x, 2), p.x, T.mul(p.x, 3))))({
    x: a,
  });
  assert.deepEqual(Array.from(grads.x), [3, 3, 1, 1]);
});
