import type { RawEvent } from "./events.ts";
import { histogramRole } from "./tags.ts";
import { type Histogram, interpretValue } from "./values.ts";

/**
 * Everything an import uses from a run's events, keyed by tag and step: scalars, and the
 * histograms of each parameter's values and gradient. A later event for the same tag and step
 * (a restarted run writing a second file) replaces the earlier one. Pure: events in, tables out.
 */

/** The histograms of one parameter ("layers.0" "weight"), by step. */
export interface ParamSeries {
  module: string;
  param: string;
  /** Tags they came from (the first tag seen for each role). */
  valueTag: string | null;
  gradTag: string | null;
  value: Map<number, Histogram>;
  grad: Map<number, Histogram>;
}

export class RunCollector {
  /** Scalar tag -> step -> value. */
  readonly scalars = new Map<string, Map<number, number>>();
  /** "module\u0000param" -> its series. */
  readonly params = new Map<string, ParamSeries>();
  /** Tags not used, with why. */
  readonly unmapped = new Map<string, string>();
  /** Events read (summaries and others). */
  events = 0;
  /** Tag -> plugin, per source file: TF2 names a tag's plugin on its first value only. */
  private plugins = new Map<string, string>();

  /** Start a new event file (plugin names do not carry over between files). */
  startFile(): void {
    this.plugins = new Map();
  }

  /** Add one event of this run's own directory. */
  add(event: RawEvent): void {
    this.events++;
    const step = event.step ?? 0;
    for (const raw of event.summary?.value ?? []) {
      const v = interpretValue(raw, this.plugins);
      const tag = v.tag;
      if (v.kind === "scalar") {
        const series = this.scalars.get(tag) ?? new Map<number, number>();
        series.set(step, v.value);
        this.scalars.set(tag, series);
      } else if (v.kind === "histogram") {
        this.addHistogram(tag, step, v.histogram);
      } else if (!this.unmapped.has(tag)) {
        this.unmapped.set(tag, v.why);
      }
    }
  }

  private addHistogram(tag: string, step: number, h: Histogram): void {
    const role = histogramRole(tag);
    if (role === null || (role.role !== "grad" && role.role !== "param")) {
      if (!this.unmapped.has(tag))
        this.unmapped.set(tag, "a histogram that names no parameter or gradient");
      return;
    }
    const key = `${role.module}\u0000${role.param}`;
    let s = this.params.get(key);
    if (!s) {
      s = {
        module: role.module,
        param: role.param,
        valueTag: null,
        gradTag: null,
        value: new Map(),
        grad: new Map(),
      };
      this.params.set(key, s);
    }
    const which = role.role === "grad" ? "gradTag" : "valueTag";
    const seen = s[which];
    if (seen === null) s[which] = tag;
    else if (seen !== tag) {
      if (!this.unmapped.has(tag)) this.unmapped.set(tag, `the same parameter as '${seen}'`);
      return;
    }
    (role.role === "grad" ? s.grad : s.value).set(step, h);
  }
}

/** Copy `other`'s scalars and unused tags into `into`, each tag behind `prefix`. */
export function absorbScalars(into: RunCollector, other: RunCollector, prefix: string): void {
  into.events += other.events;
  for (const [tag, series] of other.scalars) {
    const mine = into.scalars.get(prefix + tag) ?? new Map<number, number>();
    for (const [step, v] of series) mine.set(step, v);
    into.scalars.set(prefix + tag, mine);
  }
  for (const s of other.params.values()) {
    for (const tag of [s.valueTag, s.gradTag]) {
      if (tag !== null && !into.unmapped.has(prefix + tag)) {
        into.unmapped.set(prefix + tag, "a histogram of another directory of the log");
      }
    }
  }
  for (const [tag, why] of other.unmapped) {
    if (!into.unmapped.has(prefix + tag)) into.unmapped.set(prefix + tag, why);
  }
}
