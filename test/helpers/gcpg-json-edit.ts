// Specs made invalid on purpose, without giving up types: a deep copy with fields set or removed by path.
export const REMOVE = Symbol('remove');

/** A deep copy of `value` with each dotted path (stages.0.tau) set to its value, or removed with REMOVE. */
export function edited(value: unknown, edits: Record<string, unknown>): unknown {
  const copy = structuredClone(value);
  for (const [path, v] of Object.entries(edits)) {
    const keys = path.split('.');
    let node = copy as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = keys.at(-1)!;
    if (v === REMOVE) Reflect.deleteProperty(node, last);
    else node[last] = v;
  }
  return copy;
}
