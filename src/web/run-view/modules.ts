/**
 * The rows of the Run view's per-module figures: each recorded module (an imported run's
 * module path, or a gradscope layer), grouped by module path and ordered. DOM-free.
 */

/** One recorded module, in the order the run recorded it (forward order). */
export interface ModuleInfo {
  /** Position in the records' `layers` (0-based). */
  index: number;
  /** The record's `layer` number. */
  layer: number;
  /** Module path (`encoder.layers.0.linear1`), or `layer N` for a gradscope network. */
  name: string;
  /** Module type when the config names one (Linear, Conv2d, ...). */
  type: string | null;
}

/** Modules that share a path prefix: `encoder.layers.0.*`. */
export interface ModuleGroup {
  /** The shared prefix (`encoder.layers.0`); a module alone in its group has its own path. */
  key: string;
  /** `encoder.layers.0.*`, or the module's name when it is alone. */
  label: string;
  members: number[];
}

/**
 * The group of a module path: the prefix up to and including the first numeric segment that
 * follows a named one (`encoder.layers.0.self_attn.out_proj` -> `encoder.layers.0`,
 * `layer1.0.conv1` -> `layer1.0`), which is how PyTorch names the blocks of a ModuleList or
 * Sequential; without one, the parent path (`decoder.fc` -> `decoder`). A top-level name is
 * its own group.
 */
export function groupKey(path: string): string {
  const parts = path.split(".");
  for (let i = 1; i < parts.length - 1; i++) {
    if (/^\d+$/.test(parts[i]!)) return parts.slice(0, i + 1).join(".");
  }
  return parts.length > 1 ? parts.slice(0, -1).join(".") : path;
}

/**
 * Group modules by path, groups in the order of their first module. A key held by a single
 * module is no group: that module stands alone (label = its name).
 */
export function groupModules(modules: readonly ModuleInfo[]): ModuleGroup[] {
  const byKey = new Map<string, number[]>();
  for (const m of modules) {
    const key = groupKey(m.name);
    const list = byKey.get(key);
    if (list) list.push(m.index);
    else byKey.set(key, [m.index]);
  }
  const groups: ModuleGroup[] = [];
  for (const [key, members] of byKey) {
    if (members.length > 1) {
      groups.push({ key, label: `${key}.*`, members });
    } else {
      const name = modules.find((m) => m.index === members[0])!.name;
      groups.push({ key: name, label: name, members });
    }
  }
  return groups;
}

export type RowOrder = "depth" | "norm";

/** A row of a per-module figure: one module, or a collapsed group of them. */
export interface Row {
  label: string;
  members: number[];
  /** The key of the group it came from (to toggle collapse from a row). */
  group: string;
}

/**
 * The rows to draw: groups in recorded (depth) order or by `norm` (descending; a module's
 * typical gradient norm, e.g. its median over steps; NaN last), members likewise inside an
 * expanded group; a collapsed group is one row.
 */
export function moduleRows(
  modules: readonly ModuleInfo[],
  groups: readonly ModuleGroup[],
  collapsed: ReadonlySet<string>,
  order: RowOrder,
  norm: (moduleIndex: number) => number,
): Row[] {
  const byNorm = (a: number, b: number) => {
    const x = norm(a);
    const y = norm(b);
    if (Number.isNaN(x)) return Number.isNaN(y) ? a - b : 1;
    if (Number.isNaN(y)) return -1;
    return y - x || a - b;
  };
  const groupNorm = (g: ModuleGroup) => {
    // a group's gradient norm: sqrt of the sum of its members' squared norms
    let s = 0;
    for (const i of g.members) s += norm(i) ** 2;
    return Math.sqrt(s);
  };
  const ordered = [...groups];
  if (order === "norm") {
    const gn = new Map(ordered.map((g) => [g.key, groupNorm(g)]));
    ordered.sort((a, b) => {
      const x = gn.get(a.key)!;
      const y = gn.get(b.key)!;
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
      if (Number.isNaN(y)) return -1;
      return y - x;
    });
  }
  const rows: Row[] = [];
  for (const g of ordered) {
    if (g.members.length > 1 && collapsed.has(g.key)) {
      rows.push({ label: g.label, members: g.members, group: g.key });
      continue;
    }
    const members = order === "norm" ? [...g.members].sort(byNorm) : g.members;
    for (const i of members) rows.push({ label: modules[i]!.name, members: [i], group: g.key });
  }
  return rows;
}

/** Median of the finite values (NaN when there is none). */
export function finiteMedian(values: ArrayLike<number>): number {
  const xs: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) xs.push(v);
  }
  if (xs.length === 0) return Number.NaN;
  xs.sort((a, b) => a - b);
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}
