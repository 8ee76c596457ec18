import { Adam } from "./adam.ts";
import {
  OPTIMIZER_NAMES,
  type Optimizer,
  type OptimizerName,
  type OptimizerOptions,
} from "./optimizer.ts";
import { Sgd } from "./sgd.ts";

/**
 * The optimizer called `name` ("sgd", "momentum", "nesterov", "adam", "adamw") with PyTorch's
 * default hyperparameters for whatever `options` leaves out. Throws on an unknown name or an
 * out-of-range hyperparameter.
 *
 * @example
 * const opt = createOptimizer("adamw", { weightDecay: 0.05 });
 * net.backward(dy);
 * opt.step(params, learningRate(schedule, 1e-3, step));
 */
export function createOptimizer(name: OptimizerName, options: OptimizerOptions = {}): Optimizer {
  switch (name) {
    case "sgd":
    case "momentum":
    case "nesterov":
      return new Sgd(name, options);
    case "adam":
    case "adamw":
      return new Adam(name, options);
    default:
      throw new RangeError(
        `unknown optimizer "${String(name)}"; expected one of ${OPTIMIZER_NAMES.join(", ")}`,
      );
  }
}
