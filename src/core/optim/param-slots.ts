import type { Param } from "../layers/layer.ts";

/**
 * Float64 state buffers of an optimizer: for each slot name (e.g. "m", "v"), one buffer per
 * parameter, sized like it. Bound lazily to a parameter list on the first `bind` and then
 * only checked (names and sizes), so steady-state steps allocate nothing.
 */
export class ParamSlots {
  readonly names: readonly string[];
  private paramNames: string[] = [];
  private sizes: number[] = [];
  /** buffers[k][i]: slot k of parameter i. */
  private buffers: Float64Array[][] = [];
  private bound = false;
  private pending: Record<string, Record<string, Float64Array>> | null = null;
  private pendingMayMiss = true;

  constructor(names: readonly string[]) {
    this.names = names;
  }

  /** Binds to `params` on first use; afterwards throws if the list changed. */
  bind(params: readonly Param[]): void {
    if (this.bound) {
      this.check(params);
      return;
    }
    const names: string[] = [];
    const sizes: number[] = [];
    for (const p of params) {
      if (p.grad.size !== p.value.size) {
        throw new RangeError(
          `optimizer: ${p.name} has ${p.value.size} entries but its gradient has ${p.grad.size}`,
        );
      }
      names.push(p.name);
      sizes.push(p.value.size);
    }
    if (new Set(names).size !== names.length) {
      throw new Error(`optimizer: parameter names must be unique, got ${names.join(", ")}`);
    }
    this.buffers = this.names.map((slot) =>
      sizes.map((size, i) => this.initialBuffer(names[i]!, slot, size)),
    );
    this.paramNames = names;
    this.sizes = sizes;
    this.pending = null;
    this.bound = true;
  }

  /** Slot k's buffers, indexed like the bound parameter list. */
  slot(k: number): readonly Float64Array[] {
    return this.buffers[k]!;
  }

  get(index: number, slot: string): Float64Array | undefined {
    const k = this.names.indexOf(slot);
    return k < 0 ? undefined : this.buffers[k]?.[index];
  }

  /** Drops all buffers (and any loaded checkpoint); the next bind allocates afresh. */
  clear(): void {
    this.bound = false;
    this.buffers = [];
    this.paramNames = [];
    this.sizes = [];
    this.pending = null;
  }

  /** Copies of the buffers by parameter name (the loaded ones if not yet bound). */
  snapshot(): Record<string, Record<string, Float64Array>> {
    const out: Record<string, Record<string, Float64Array>> = {};
    if (!this.bound) {
      for (const [param, slots] of Object.entries(this.pending ?? {})) {
        out[param] = {};
        for (const [slot, buf] of Object.entries(slots)) out[param][slot] = buf.slice();
      }
      return out;
    }
    if (this.names.length === 0) return out;
    this.paramNames.forEach((param, i) => {
      const slots: Record<string, Float64Array> = {};
      this.names.forEach((slot, k) => {
        slots[slot] = this.buffers[k]![i]!.slice();
      });
      out[param] = slots;
    });
    return out;
  }

  /**
   * Holds `buffers` (copied to float64) until the next bind. `mayMiss`: a parameter absent
   * from the checkpoint starts from zeros (true for a checkpoint taken before any step).
   */
  load(buffers: OptimizerBuffers, mayMiss: boolean): void {
    this.clear();
    const pending: Record<string, Record<string, Float64Array>> = {};
    for (const [param, slots] of Object.entries(buffers)) {
      const copy: Record<string, Float64Array> = {};
      for (const slot of this.names) {
        const src = slots[slot];
        if (src === undefined) throw new Error(`optimizer state: ${param} has no "${slot}" buffer`);
        copy[slot] = Float64Array.from(src);
      }
      pending[param] = copy;
    }
    this.pending = pending;
    this.pendingMayMiss = mayMiss;
  }

  private initialBuffer(param: string, slot: string, size: number): Float64Array {
    const saved = this.pending?.[param]?.[slot];
    if (saved === undefined) {
      if (this.pending !== null && !this.pendingMayMiss) {
        throw new Error(`optimizer state: no "${slot}" buffer for parameter ${param}`);
      }
      return new Float64Array(size);
    }
    if (saved.length !== size) {
      throw new RangeError(
        `optimizer state: "${slot}" of ${param} has ${saved.length} entries, parameter has ${size}`,
      );
    }
    return saved.slice();
  }

  private check(params: readonly Param[]): void {
    const names = this.paramNames;
    let ok = params.length === names.length;
    for (let i = 0; ok && i < params.length; i++) {
      const p = params[i]!;
      ok = p.name === names[i] && p.value.size === this.sizes[i] && p.grad.size === p.value.size;
    }
    if (!ok) {
      throw new Error(
        "optimizer: the parameter list changed since the first step (names, sizes or order); " +
          "call reset() before stepping a different set of parameters",
      );
    }
  }
}

export type OptimizerBuffers = Readonly<
  Record<string, Readonly<Record<string, ArrayLike<number>>>>
>;
