// What a report is made from: plain facts gathered from a data dir (by src/app/report-inputs.ts), so
// the report renders whatever is there — evaluations, recorded episodes, GCPG scores, pairs,
// training runs, checkpoints — and says what is not.
import type { EvaluationRun } from '../eval/evaluation-run.js';

export interface EpisodeFacts {
  id: string;
  taskId: string;
  /** The checkpoint (or demonstrator, e.g. expert:scripted) that acted. */
  policy: string;
  status: string;
  outcome?: 'success' | 'failure' | 'aborted';
  collisions: number;
  steps: number;
  /** Recorded by `grape eval` (its session is an evaluation's). */
  evaluation: boolean;
}

export interface ScoreFacts {
  episodeId: string;
  taskId: string;
  /** The latest GCPG score of the episode. */
  total: number;
  outcome?: 'success' | 'failure' | 'aborted';
}

export interface PairFacts {
  taskId: string;
  iteration?: number;
  /** chosen − rejected score; undefined when the pair was stored without scores. */
  margin?: number;
}

/** Held-out or training-interval metrics at one evaluation point of a run. */
export interface TrainingPoint {
  step: number;
  loss: number;
  accuracy: number;
  margin: number;
  nll: number;
}

export interface TrainingCurves {
  runId: string;
  objective: string;
  model: string;
  /** The checkpoint trained from. */
  parent: string;
  /** The checkpoint it produced (absent while running or if it failed). */
  checkpoint?: string;
  stopped?: string;
  /** Per optimizer step. */
  steps: TrainingPoint[];
  heldOut: TrainingPoint[];
}

export interface CheckpointFacts {
  id: string;
  parentId?: string;
  objective?: string;
  createdAt: string;
  promoted: boolean;
}

export interface ReportData {
  dataDir: string;
  generatedAt: string;
  evaluations: EvaluationRun[];
  episodes: EpisodeFacts[];
  scores: ScoreFacts[];
  pairs: PairFacts[];
  trainingRuns: TrainingCurves[];
  checkpoints: CheckpointFacts[];
  /** Inputs that could not be read, and why (the report lists them). */
  unreadable: { file: string; reason: string }[];
}
