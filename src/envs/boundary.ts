/**
 * The Env contract checked where policygrad reads an env's results: every `reset()` and `step()` of
 * an env that is not a built-in, in training (the vector env's generic adapter) exactly as in
 * evaluation, with one message naming the env, the method and the field (issue #16 item 4). A
 * string reward used to be coerced to a number for 59 updates, then failed in evaluation.
 *
 * The checks are a few comparisons per call; built-ins (pure physics) never come through here on
 * the training path.
 */
import { describeValue } from "./spaces.ts";
import type { ResetResult, StepResult } from "./types.ts";

/** An env broke its contract: a result of the wrong type or shape. */
export class EnvContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnvContractError";
  }
}

/** A value as a message shows it: `undefined`, `null`, `string "1"`, `[0.5, 0.5] (length 2)`. */
function show(x: unknown): string {
  return x === undefined || x === null ? String(x) : describeValue(x);
}

function fail(envId: string, method: string, what: string): never {
  throw new EnvContractError(`env "${envId}": ${method} ${what}`);
}

function checkObservation(envId: string, method: string, obs: unknown, obsDim: number): void {
  const o = obs as ArrayLike<unknown> | null | undefined;
  if (o === null || typeof o !== "object" || typeof o.length !== "number") {
    fail(envId, method, `returned observation ${show(obs)}; expected ${obsDim} numbers`);
  }
  if (o.length !== obsDim) {
    fail(
      envId,
      method,
      `returned an observation of ${o.length} values (${show(obs)}); its observation space has ${obsDim}`,
    );
  }
  for (let i = 0; i < obsDim; i++) {
    const x = o[i];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      fail(envId, method, `returned observation[${i}] = ${show(x)}; expected a finite number`);
    }
  }
}

/** Checks a `reset()` result: `{ observation: obsDim finite numbers, info }`. */
export function checkResetResult(
  envId: string,
  r: unknown,
  obsDim: number,
): asserts r is ResetResult<ArrayLike<number>> {
  if (r === null || typeof r !== "object") {
    fail(envId, "reset()", `returned ${show(r)}; expected { observation, info }`);
  }
  checkObservation(envId, "reset()", (r as { observation?: unknown }).observation, obsDim);
}

/**
 * Checks a `step()` result: `{ observation: obsDim finite numbers, reward: a finite number,
 * terminated: boolean, truncated: boolean, info }`.
 */
export function checkStepResult(
  envId: string,
  r: unknown,
  obsDim: number,
): asserts r is StepResult<ArrayLike<number>> {
  if (r === null || typeof r !== "object") {
    fail(
      envId,
      "step()",
      `returned ${show(r)}; expected { observation, reward, terminated, truncated, info }`,
    );
  }
  const s = r as Record<string, unknown>;
  if (typeof s.reward !== "number" || !Number.isFinite(s.reward)) {
    fail(envId, "step()", `returned reward ${show(s.reward)}; expected a finite number`);
  }
  for (const flag of ["terminated", "truncated"] as const) {
    if (typeof s[flag] !== "boolean") {
      fail(envId, "step()", `returned ${flag} ${show(s[flag])}; expected true or false`);
    }
  }
  checkObservation(envId, "step()", s.observation, obsDim);
}
