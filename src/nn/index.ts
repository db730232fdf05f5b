/**
 * Neural-network pieces over named parameters: initializers, MLPs, optimizers, gradient clipping.
 */
export { orthogonal, xavierUniform } from "./init.ts";
export {
  type Activation,
  createMlpInference,
  type InitOptions,
  initMlp,
  linear,
  type MlpSpec,
  mlp,
} from "./mlp.ts";
export {
  type AdamState,
  adam,
  clipGradNorm,
  globalNorm,
  type Optimizer,
  type OptState,
  type SgdState,
  sgd,
} from "./optim.ts";
export {
  cloneParams,
  type ParamsJson,
  paramsFromJson,
  paramsToJson,
  snapshotParams,
} from "./params.ts";
