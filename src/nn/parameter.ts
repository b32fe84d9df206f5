// Parameter: a leaf Tensor the optimizer updates. It is an ordinary Tensor (ops take it
// directly) that starts with requiresGrad=true; `name` is filled with its full Hugging Face
// state-dict key by `Module.assignParameterNames` once the module tree is built.
import { Tensor, shapeSize, type Shape } from '../tensor/tensor.js';

export class Parameter extends Tensor {
  constructor(data: Float32Array, shape: Shape, name?: string) {
    super(data, shape, true, name);
  }

  static override zeros(shape: Shape): Parameter {
    return new Parameter(new Float32Array(shapeSize(shape)), shape);
  }

  static fill(shape: Shape, value: number): Parameter {
    return new Parameter(new Float32Array(shapeSize(shape)).fill(value), shape);
  }

  /** Freeze/unfreeze: a frozen parameter gets no gradient and no optimizer update. */
  setTrainable(on: boolean): void {
    this.requiresGrad = on;
    if (!on) this.grad = null;
  }
}

export function isParameter(x: unknown): x is Parameter {
  return x instanceof Parameter;
}
