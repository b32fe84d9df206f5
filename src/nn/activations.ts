// Activation functions by their HF / AdapterHub names (ACT2FN, get_activation).
// swish and gelu_new are composed from primitive ops (they are not on the hot path of BERT,
// whose FFN uses the fused `gelu`).
import { add, addScalar, gelu, mul, relu, scale, sigmoid, tanh } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';

export type Activation = (x: Tensor) => Tensor;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

const ACTIVATIONS: Record<string, Activation> = {
  gelu, // erf form, HF "gelu" (GELUActivation)
  relu,
  tanh,
  sigmoid,
  swish: (x) => mul(x, sigmoid(x)), // torch SiLU
  silu: (x) => mul(x, sigmoid(x)),
  // HF NewGELUActivation: 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))
  gelu_new: (x) => mul(scale(x, 0.5), addScalar(tanh(scale(add(x, scale(mul(mul(x, x), x), 0.044715)), SQRT_2_OVER_PI)), 1)),
  linear: (x) => x,
};
ACTIVATIONS['gelu_pytorch_tanh'] = ACTIVATIONS['gelu_new']!;

export const ACTIVATION_NAMES: readonly string[] = Object.keys(ACTIVATIONS);

/** The activation named `name` (case-insensitive), or a one-line error naming `where`. */
export function getActivation(name: string, where: string): Activation {
  const f = ACTIVATIONS[name.toLowerCase()];
  if (f === undefined) {
    throw new Error(`${where}: unsupported activation '${name}' (supported: ${ACTIVATION_NAMES.join(', ')})`);
  }
  return f;
}
