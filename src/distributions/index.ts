/**
 * Action distributions as stateless functions of their parameters: Categorical (Discrete),
 * DiagGaussian with clipping or tanh squashing (Box), and independent categoricals (MultiDiscrete).
 * Each has a differentiable log-prob and entropy (Tensor in, Tensor out) and non-taped sample/mode
 * functions that write into caller buffers.
 */
export {
  categoricalEntropy,
  categoricalLogProb,
  categoricalMode,
  categoricalModeRow,
  categoricalModeRowMasked,
  categoricalSample,
  categoricalSampleRow,
  categoricalSampleRowMasked,
  MASKED_LOGIT,
  maskLogits,
} from "./categorical.ts";
export {
  clipToBox,
  diagGaussianEntropy,
  diagGaussianLogProb,
  diagGaussianMode,
  diagGaussianRsample,
  diagGaussianSample,
  fillStandardNormal,
  logHalfRange,
  logTanhJacobian,
  squashedGaussianEntropy,
  squashedGaussianLogProb,
  squashToBox,
} from "./gaussian.ts";
export { type ActionHead, actionHead, type HeadSpec } from "./heads.ts";
export {
  multiDiscreteEntropy,
  multiDiscreteLogProb,
  multiDiscreteMode,
  multiDiscreteSample,
} from "./multi-discrete.ts";
