// Evaluates a cost spec over a trajectory: assigns samples to stages by the stages' completion
// predicates (in order; a completed stage never re-opens, and the sample that completes a stage is
// its last, the next stage starting after it), then costs each stage as the weighted sum of its terms
// over its own samples. A stage the
// trajectory never entered has no cost here: the scorer gives it the unreached-stage penalty.
import {
  INCREMENT_MEASURES,
  type Aggregate,
  type Bound,
  type CostSpec,
  type MeasureKind,
  type TermSpec,
} from './cost-spec.js';
import { MeasureSeries } from './measure-series.js';
import type { TrajectorySignals } from './trajectory-signals.js';

export interface TermCost {
  measure: MeasureKind;
  weight: number;
  /** the aggregated per-sample cost, before the weight */
  value: number;
  /** weight × value */
  cost: number;
}

export interface StageCost {
  name: string;
  tau: number;
  /** the trajectory entered the stage (it has at least one sample) */
  reached: boolean;
  /** its completion predicate held at a sample */
  completed: boolean;
  /** sample indices [first, last] of the stage, when reached */
  samples?: [number, number];
  /** seconds since the start at which the stage completed */
  completedAt?: number;
  /** Σ term costs, when reached */
  cost?: number;
  /** per term, in the spec's order, when reached */
  terms: TermCost[];
}

export interface CostEvaluation {
  stages: StageCost[];
  /** stages whose predicates held, in order */
  completed: number;
  samples: number;
}

/** How far a sample is from satisfying a bound (0 when it does; 1 for a false boolean). */
export function violation(bound: Bound, value: number): number {
  if (bound.is !== undefined) return (value === 1) === bound.is ? 0 : 1;
  let v = 0;
  if (bound.below !== undefined) v += Math.max(0, value - bound.below);
  if (bound.above !== undefined) v += Math.max(0, bound.above - value);
  return bound.below === undefined && bound.above === undefined ? value : v;
}

function defaultAggregate(kind: MeasureKind): Aggregate {
  return INCREMENT_MEASURES.includes(kind) ? 'sum' : 'mean';
}

function aggregate(how: Aggregate, values: Float64Array): number {
  switch (how) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'mean':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'max':
      return values.reduce((a, b) => Math.max(a, b), -Infinity);
    case 'final':
      return values[values.length - 1]!;
  }
}

export class CostEvaluator {
  constructor(readonly spec: CostSpec) {}

  evaluate(signals: TrajectorySignals): CostEvaluation {
    const { spec } = this;
    const n = signals.samples.length;
    const measures = new MeasureSeries(spec, signals);
    // Every measure is evaluated up front, so a missing signal fails whichever stages a trajectory reaches.
    const predicates = spec.stages.map((stage, s) =>
      stage.doneWhen.map((c, i) => ({
        bound: c,
        values: measures.series(c.measure, `stages[${s}].doneWhen[${i}].measure`),
      })),
    );
    const termSeries = spec.stages.map((stage, s) =>
      stage.terms.map((t, i) => measures.series(t.measure, `stages[${s}].terms[${i}].measure`)),
    );

    const ranges: ([number, number] | undefined)[] = spec.stages.map(() => undefined);
    const completedAt: (number | undefined)[] = spec.stages.map(() => undefined);
    const holds = (stage: number, i: number) =>
      predicates[stage]!.every(({ bound, values }) => violation(bound, values[i]!) === 0);
    let stage = 0;
    let start = 0;
    for (let i = 0; i < n && stage < spec.stages.length; i++) {
      ranges[stage] = [start, i];
      // One sample may complete several stages in a row; a stage entered and completed at the same
      // sample has that sample alone.
      while (stage < spec.stages.length && holds(stage, i)) {
        ranges[stage] = [Math.min(start, i), i];
        completedAt[stage] = i;
        stage++;
        start = i + 1;
      }
    }

    const stages = spec.stages.map((spec, s): StageCost => {
      const range = ranges[s];
      const done = completedAt[s];
      const base = {
        name: spec.name,
        tau: spec.tau,
        reached: range !== undefined,
        completed: done !== undefined,
      };
      if (!range) return { ...base, terms: [] };
      const terms = spec.terms.map((t, i) =>
        this.termCost(t, termSeries[s]![i]!.subarray(range[0], range[1] + 1)),
      );
      return {
        ...base,
        samples: range,
        ...(done !== undefined ? { completedAt: signals.samples[done]!.time } : {}),
        cost: terms.reduce((a, t) => a + t.cost, 0),
        terms,
      };
    });
    return { stages, completed: stage, samples: n };
  }

  private termCost(term: TermSpec, values: Float64Array): TermCost {
    const costs = values.map((v) => violation(term, v));
    const value = aggregate(term.aggregate ?? defaultAggregate(term.measure.kind), costs);
    return { measure: term.measure.kind, weight: term.weight, value, cost: term.weight * value };
  }
}
