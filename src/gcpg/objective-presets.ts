// Alignment objectives as cost presets: a task spec becomes its safety variant by weighting its contact
// terms up, its efficiency variant by weighting its time, path, speed and jerk terms up. A spec written
// for an objective itself (by a person or the VLM) is used as it is instead.
import { LIMITS } from './cost-spec-schema.js';
import type { CostSpec, MeasureKind, Objective } from './cost-spec.js';

export const OBJECTIVE_PRESETS: Record<
  Exclude<Objective, 'task'>,
  { kinds: readonly MeasureKind[]; factor: number }
> = {
  safety: { kinds: ['contact_count', 'contact_force'], factor: 5 },
  efficiency: { kinds: ['duration', 'path_length', 'speed', 'jerk'], factor: 5 },
};

/** The spec for `objective` derived from a spec for the task objective. */
export function applyObjective(spec: CostSpec, objective: Objective): CostSpec {
  if (objective === spec.objective) return spec;
  if (spec.objective !== 'task') {
    throw new Error(
      `the ${objective} preset derives from a task spec; this spec of ${spec.task} is for ${spec.objective}`,
    );
  }
  const preset = OBJECTIVE_PRESETS[objective as Exclude<Objective, 'task'>];
  const weighted = spec.stages.some((s) => s.terms.some((t) => preset.kinds.includes(t.measure.kind)));
  if (!weighted) {
    throw new Error(
      `the ${objective} preset weights ${preset.kinds.join('/')} terms up, and the cost spec of ${spec.task} has none: add some (grape costs edit)`,
    );
  }
  return {
    ...spec,
    objective,
    summary: `${spec.summary} [${objective} preset: ${preset.kinds.join('/')} terms ×${preset.factor}]`.slice(
      0,
      LIMITS.text,
    ),
    stages: spec.stages.map((stage) => ({
      ...stage,
      terms: stage.terms.map((t) =>
        preset.kinds.includes(t.measure.kind)
          ? { ...t, weight: Math.min(LIMITS.weight, t.weight * preset.factor) }
          : t,
      ),
    })),
  };
}
