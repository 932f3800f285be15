// grape/msg/PolicyStep and grape/msg/EpisodeEvent as plain objects, field for field as msg/
// defines them (test/episode-recorder.test.ts checks the constants against the .msg files).
import type { Header } from '../messages/ros-messages.js';

/** PolicyStep.flags bits. A step with flags === 0 is the policy's own; any other is left out of
 * log-likelihood sums and training objectives. */
export const StepFlag = {
  DRY_RUN: 1,
  HOLD: 2,
  CLAMPED: 4,
  INTERVENTION: 8,
} as const;

/** grape/msg/PolicyStep (topic /grape/step). */
export interface PolicyStep {
  header: Header;
  step: number;
  policy_id: string;
  /** the D executed token ids */
  tokens: Int32Array | number[];
  /** the de-tokenized continuous action (D values) */
  action: Float64Array | number[];
  /** untempered log-likelihood of the tokens */
  logp: number;
  logp_dims: Float32Array | number[];
  temperature: number;
  top_k: number;
  flags: number;
  /** encoder features, cached for training (empty when not recorded) */
  features: Float32Array | number[];
}

export type EpisodeEventKind =
  | 'start'
  | 'end'
  | 'abort'
  | 'intervention_start'
  | 'intervention_end'
  | 'collision'
  | 'stale_input'
  | 'note';

/** grape/msg/EpisodeEvent (topic /grape/episode_event). */
export interface EpisodeEvent {
  header: Header;
  episode_id: string;
  kind: EpisodeEventKind;
  /** JSON object */
  detail: string;
}

export const STEP_TOPIC = '/grape/step';
export const EVENT_TOPIC = '/grape/episode_event';
export const STEP_TYPE = 'grape/msg/PolicyStep';
export const EVENT_TYPE = 'grape/msg/EpisodeEvent';
