import type { Param } from "../layers/layer.ts";
import type { Optimizer, OptimizerName, OptimizerState } from "./optimizer.ts";
import { ParamSlots } from "./param-slots.ts";

/**
 * The bookkeeping every optimizer shares: a step counter and per-parameter state buffers
 * ("slots"), with reset, checkpoint (state/load) and read access. Subclasses add the update.
 */
export abstract class StatefulOptimizer implements Optimizer {
  abstract readonly name: OptimizerName;
  readonly slotNames: readonly string[];
  protected readonly slots: ParamSlots;
  /** Optimizer steps taken. */
  protected t = 0;

  constructor(slotNames: readonly string[]) {
    this.slotNames = slotNames;
    this.slots = new ParamSlots(slotNames);
  }

  get steps(): number {
    return this.t;
  }

  abstract step(
    params: readonly Param[],
    lr: number,
    updateStd?: Float64Array,
    weightSums?: Float64Array,
  ): void;

  reset(): void {
    this.t = 0;
    this.slots.clear();
  }

  state(): OptimizerState {
    return { name: this.name, step: this.t, buffers: this.slots.snapshot() };
  }

  load(state: OptimizerState): void {
    if (state.name !== this.name) {
      throw new Error(`cannot load ${state.name} optimizer state into ${this.name}`);
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new RangeError(`optimizer state: step must be an integer >= 0, got ${state.step}`);
    }
    this.slots.load(state.buffers, state.step === 0);
    this.t = state.step;
  }

  slot(index: number, slot: string): Float64Array | undefined {
    return this.slots.get(index, slot);
  }
}
