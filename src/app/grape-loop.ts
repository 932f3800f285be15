// The GRAPE loop on the embedded simulator, stage by stage (DESIGN.md "Iteration k"):
//   round 0: expert demonstrations → SFT → promote (→ evaluate, labelled "SFT")
//   round k: the round k−1 policy samples rollouts on the training tasks → GCPG scores of exactly
//            those rollouts → pairs (iteration k) → TPO from the round k−1 checkpoint (the policy
//            that collected them is the reference) → promote (→ evaluate, "GRAPE round k")
// and, when asked, round 1's baselines from the same parent on the same rollouts: step-DPO and TPO+NLL
// on its pairs, success-filtered SFT on its successful rollouts.
// Every stage records what it did in the loop's state file before the next starts; a resumed loop
// skips finished stages, records the missing episodes of a cut-short episode stage into the same
// session, and goes on with an interrupted training run from its last snapshot.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { EpisodeIndex } from '../episode/episode-index.js';
import { CostSpecStore } from '../gcpg/cost-spec-store.js';
import { pairEpisodes } from '../gcpg/episode-pairing.js';
import { scoreEpisodes } from '../gcpg/episode-scoring.js';
import { BASE_CHECKPOINT, loadModelPackage } from '../policy/model-package.js';
import { CheckpointStore } from '../tpo/checkpoint-store.js';
import { runsDir, RunDirectory } from '../tpo/run-directory.js';
import type { DataSelection } from '../tpo/training-inputs.js';
import {
  resumeTraining,
  trainCheckpoint,
  type JobEvents,
  type TrainerFactory,
  type TrainingSummary,
} from '../tpo/training-job.js';
import type { TrainingSettings } from '../tpo/training-settings.js';
import { nativeTrainerFactory } from './native-trainer-factory.js';
import {
  BASELINE_LABELS,
  checkLoopParameters,
  type BaselineName,
  rolloutSeeds,
  SAMPLING_SEED_STRIDE,
  type LoopParameters,
} from './loop-parameters.js';
import {
  LOOP_FORMAT,
  loadLoopState,
  newLoopId,
  saveLoopState,
  type EpisodeStage,
  type LoopEpisode,
  type LoopEvaluation,
  type LoopState,
  type RoundState,
  type TrainingStage,
} from './loop-state.js';
import { runSimEpisodes, type SimBatchRequest } from './sim-episodes.js';
import { evaluateOnSim } from './sim-evaluation.js';
import type { SimEpisodeResult } from './sim-runner.js';

export type LoopStage =
  'demos' | 'sft' | 'rollouts' | 'score' | 'pairs' | 'tpo' | 'promote' | 'baseline' | 'evaluate';

export interface StageEvent {
  round: number;
  stage: LoopStage;
  /** What is being done, in a few words (e.g. "GRAPE round 1 on visual"). */
  what: string;
  /** Episodes the stage will run, where it runs episodes. */
  total?: number;
  /** Already done before this call (a resumed stage). */
  resumedAt?: number;
}

export interface LoopEvents {
  onStageStart?: (e: StageEvent) => void;
  /** A stage finished now, or was found finished (skipped: true) on resuming. */
  onStageEnd?: (e: StageEvent & { skipped: boolean; detail: string }) => void;
  onEpisode?: (e: StageEvent & { done: number; total: number; result: SimEpisodeResult }) => void;
  /** Training progress (episodes read, steps, evaluations). */
  training?: JobEvents;
}

export interface LoopOptions {
  events?: LoopEvents;
  /** Default: the native addon's trainer on the parameters' device. */
  trainerFactory?: TrainerFactory;
  /** Processes that run the simulator episodes (default 1); the results do not depend on it. */
  jobs?: number;
}

const DEMONSTRATOR = 'expert:scripted';

/** An episode a stage runs; rollouts say which of their seed's rollouts they are. */
type StageRequest = SimBatchRequest & { rollout?: number };
const DEMO_LABEL = 'SFT';
export const roundLabel = (round: number): string => (round === 0 ? DEMO_LABEL : `GRAPE round ${round}`);

/** Creates a loop's state file and runs it. */
export async function startLoop(
  dataDir: string,
  parameters: LoopParameters,
  options: LoopOptions = {},
  id = newLoopId(),
): Promise<LoopState> {
  checkLoopParameters(parameters);
  const pkg = await loadModelPackage(parameters.modelDir);
  return launch(dataDir, options, {
    id,
    model: `${pkg.manifest.name}@${pkg.manifest.version}`,
    parameters,
    rounds: [],
  });
}

/** Writes a new loop's state file and runs the loop. */
function launch(
  dataDir: string,
  options: LoopOptions,
  fields: Omit<LoopState, 'format' | 'createdAt' | 'updatedAt'>,
): Promise<LoopState> {
  const now = new Date().toISOString();
  const state: LoopState = { format: LOOP_FORMAT, createdAt: now, updatedAt: now, ...fields };
  saveLoopState(dataDir, state);
  return new GrapeLoop(dataDir, state, options).run();
}

/**
 * A new loop that starts from another loop's finished round 0 (its demonstrations and SFT policy, in
 * the same data dir) and runs its own rounds from there: another objective, other rollouts or
 * training settings compared from one SFT policy. What shaped round 0 must be the source's.
 */
export async function forkLoop(
  dataDir: string,
  fromId: string,
  parameters: LoopParameters,
  options: LoopOptions = {},
  id = newLoopId(),
): Promise<LoopState> {
  checkLoopParameters(parameters);
  const source = loadLoopState(dataDir, fromId);
  const round0 = source.rounds[0];
  if (!round0?.done) throw new Error(`loop ${fromId} has not finished round 0: nothing to fork from`);
  const shaping = {
    model: (p: LoopParameters) => p.modelDir,
    tasks: (p: LoopParameters) => p.taskIds,
    demonstrations: (p: LoopParameters) => p.demos,
    'SFT settings': (p: LoopParameters) => p.training.sft,
  };
  for (const [what, of] of Object.entries(shaping))
    if (JSON.stringify(of(source.parameters)) !== JSON.stringify(of(parameters)))
      throw new Error(`a loop forked from ${fromId} keeps its ${what}: round 0 was made with them`);
  return launch(dataDir, options, {
    id,
    model: source.model,
    forkedFrom: fromId,
    parameters,
    rounds: [structuredClone(round0)],
  });
}

/** Goes on with a loop from its state file; `rounds` raises its round count, `baselines` adds baselines. */
export async function resumeLoop(
  dataDir: string,
  id: string,
  options: LoopOptions & { rounds?: number; baselines?: readonly BaselineName[] } = {},
): Promise<LoopState> {
  const state = loadLoopState(dataDir, id);
  const added = (options.baselines ?? []).filter((b) => !state.parameters.baselines.includes(b));
  if (added.length > 0) {
    state.parameters.baselines.push(...added);
    delete state.finishedAt;
  }
  if (options.rounds !== undefined) {
    if (options.rounds < state.parameters.rounds)
      throw new Error(
        `loop ${id} runs ${state.parameters.rounds} rounds; resuming can add rounds, not remove them`,
      );
    if (options.rounds > state.parameters.rounds) {
      state.parameters.rounds = options.rounds;
      delete state.finishedAt;
    }
  }
  checkLoopParameters(state.parameters);
  saveLoopState(dataDir, state);
  return new GrapeLoop(dataDir, state, options).run();
}

const greedy = { greedy: true, temperature: 1, topK: 0, seed: 0 };

class GrapeLoop {
  private readonly p: LoopParameters;
  private readonly events: LoopEvents;
  private readonly factory: TrainerFactory;
  private readonly jobs: number;

  constructor(
    private readonly dataDir: string,
    private readonly state: LoopState,
    options: LoopOptions,
  ) {
    this.p = state.parameters;
    this.events = options.events ?? {};
    this.factory = options.trainerFactory ?? nativeTrainerFactory(this.p.device);
    this.jobs = options.jobs ?? 1;
  }

  private save(): void {
    saveLoopState(this.dataDir, this.state);
  }

  async run(): Promise<LoopState> {
    // Finished rounds go through their stages too: each reports itself done and is skipped.
    for (let k = 0; k <= this.p.rounds; k++) {
      const round = this.roundState(k);
      if (k === 0) await this.roundZero(round);
      else await this.grapeRound(round);
      round.done = true;
      this.save();
    }
    this.state.finishedAt ??= new Date().toISOString();
    this.save();
    return this.state;
  }

  private roundState(k: number): RoundState {
    let round = this.state.rounds[k];
    if (!round) {
      const previous = this.state.rounds[k - 1]?.result;
      const store = (adapterId: string) => ({ adapterId, checkpointId: `${this.state.model}/${adapterId}` });
      round = {
        round: k,
        parent: previous ?? store(BASE_CHECKPOINT),
        evaluations: [],
        done: false,
      };
      this.state.rounds[k] = round;
      this.save();
    }
    return round;
  }

  // Round 0: demonstrations → SFT → promote → evaluate.
  private async roundZero(round: RoundState): Promise<void> {
    const requests = this.p.taskIds.flatMap((taskId) =>
      Array.from({ length: this.p.demos.perTask }, (_, i) => ({
        taskId,
        seed: this.p.demos.seedStart + i,
        split: 'in-domain' as const,
      })),
    );
    round.episodes = await this.episodeStage(round, 'demos', 'expert demonstrations', requests);
    round.training = await this.trainStage(round, 'sft', round.training, (t) => (round.training = t), {
      settings: this.p.training.sft,
      from: BASE_CHECKPOINT,
      selection: {
        taskIds: [...this.p.taskIds],
        sftSource: 'demos',
        sessionIds: [round.episodes.sessionId],
      },
      runId: `${this.state.id}-r0-sft`,
    });
    round.result = this.trainedOrParent(round, round.training);
    await this.promoteStage(round);
    await this.evaluateStage(round, 'evaluate', round.evaluations, roundLabel(0));
  }

  // Round k: rollouts → score → pairs → TPO → promote (→ round 1's baselines) → evaluate.
  private async grapeRound(round: RoundState): Promise<void> {
    const k = round.round;
    const { rollouts } = this.p;
    const requests: StageRequest[] = [];
    for (const taskId of this.p.taskIds)
      for (const seed of rolloutSeeds(this.p, k))
        for (let rollout = 0; rollout < rollouts.perSeed; rollout++)
          requests.push({
            taskId,
            seed,
            split: 'in-domain',
            rollout,
            samplingSeed: rollouts.samplingSeed + k * SAMPLING_SEED_STRIDE + requests.length,
          });
    round.episodes = await this.episodeStage(
      round,
      'rollouts',
      `rollouts of ${round.parent.adapterId}`,
      requests,
    );
    const episodeIds = round.episodes.episodes.map((e) => e.episodeId);
    await this.scoreStage(round, episodeIds);
    this.pairStage(round, episodeIds);
    const pairs = round.pairs!.pairs;
    const selection: DataSelection = {
      taskIds: [...this.p.taskIds],
      iteration: k,
      sessionIds: [round.episodes.sessionId],
    };
    const noPairs =
      pairs === 0
        ? `no pairs in round ${k}: each initial state's rollouts scored within the minimum margin (${this.p.scoring.pairing.minMargin}) of each other`
        : undefined;
    round.training = await this.trainStage(
      round,
      'tpo',
      round.training,
      (t) => (round.training = t),
      {
        settings: this.p.training.tpo,
        from: round.parent.adapterId,
        selection,
        runId: `${this.state.id}-r${k}-tpo`,
      },
      noPairs,
    );
    round.result = this.trainedOrParent(round, round.training);
    await this.promoteStage(round);
    if (k === 1) await this.baselineStages(round, selection, noPairs);
    await this.evaluateStage(round, 'evaluate', round.evaluations, roundLabel(k));
  }

  /** Round 1's baselines: each from the round's parent, on the round's rollouts, then evaluated. */
  private async baselineStages(round: RoundState, selection: DataSelection, noPairs?: string): Promise<void> {
    for (const name of this.p.baselines) {
      const baselines = (round.baselines ??= {});
      const baseline = (baselines[name] ??= { evaluations: [] });
      const settings = this.p.training.baselines[name];
      const filtered = name === 'filtered-sft';
      const noSuccess = round.episodes!.episodes.some((e) => e.success)
        ? undefined
        : "none of the round's rollouts succeeded";
      baseline.training = await this.trainStage(
        round,
        'baseline',
        baseline.training,
        (t) => (baseline.training = t),
        {
          settings,
          from: round.parent.adapterId,
          selection: filtered ? { ...selection, sftSource: 'rollouts' } : selection,
          runId: `${this.state.id}-r${round.round}-${name.replace('+', '-')}`,
        },
        filtered ? noSuccess : noPairs,
      );
      const trained =
        baseline.training.status === 'done' ? baseline.training.adapterId! : round.parent.adapterId;
      await this.evaluateStage(round, 'baseline', baseline.evaluations, BASELINE_LABELS[name], trained);
    }
  }

  private trainedOrParent(round: RoundState, t: TrainingStage): RoundState['parent'] {
    return t.status === 'done' ? { adapterId: t.adapterId!, checkpointId: t.checkpointId! } : round.parent;
  }

  /** Runs the requests not yet recorded, in the stage's own index session. */
  private async episodeStage(
    round: RoundState,
    stage: 'demos' | 'rollouts',
    what: string,
    requests: readonly StageRequest[],
  ): Promise<EpisodeStage> {
    const event: StageEvent = { round: round.round, stage, what, total: requests.length };
    if (round.episodes?.done) {
      this.events.onStageEnd?.({ ...event, skipped: true, detail: episodeDetail(round.episodes) });
      return round.episodes;
    }
    const demos = stage === 'demos';
    if (!round.episodes) {
      const index = EpisodeIndex.open(this.dataDir);
      try {
        const session = index.startSession({
          operator: 'grape iterate',
          notes: `GRAPE loop ${this.state.id} round ${round.round}: ${what}`,
        });
        round.episodes = {
          sessionId: session.id,
          policyId: demos ? DEMONSTRATOR : round.parent.checkpointId,
          planned: requests.length,
          episodes: [],
          done: false,
        };
      } finally {
        index.close();
      }
      this.save();
    }
    const s = round.episodes;
    const key = (e: { taskId: string; seed: number; samplingSeed?: number }) =>
      `${e.taskId}\u0000${e.seed}\u0000${e.samplingSeed ?? ''}`;
    const recorded = new Set(s.episodes.map(key));
    const pending = requests.filter((r) => !recorded.has(key(r)));
    this.events.onStageStart?.({ ...event, resumedAt: s.episodes.length });
    if (pending.length > 0) {
      await runSimEpisodes({
        dataDir: this.dataDir,
        modelDir: this.p.modelDir,
        device: this.p.device,
        actor: demos ? 'expert' : 'policy',
        ...(demos && this.p.demos.noise !== undefined ? { expert: { actionNoise: this.p.demos.noise } } : {}),
        ...(!demos && round.parent.adapterId !== BASE_CHECKPOINT ? { adapter: round.parent.adapterId } : {}),
        ...(demos
          ? {}
          : {
              sampling: {
                greedy: false,
                temperature: this.p.rollouts.temperature,
                topK: this.p.rollouts.topK,
                seed: this.p.rollouts.samplingSeed,
              },
            }),
        requests: pending.map((r) => ({
          taskId: r.taskId,
          seed: r.seed,
          split: r.split,
          ...(r.samplingSeed === undefined ? {} : { samplingSeed: r.samplingSeed }),
        })),
        sessionId: s.sessionId,
        jobs: this.jobs,
        onEpisode: (result, i) => {
          const request = pending[i]!;
          const episode: LoopEpisode = {
            episodeId: result.episodeId,
            taskId: result.taskId,
            seed: result.seed,
            ...(request.rollout === undefined ? {} : { rollout: request.rollout }),
            ...(request.samplingSeed === undefined ? {} : { samplingSeed: request.samplingSeed }),
            success: result.success,
            steps: result.steps,
            collisions: result.collisions,
          };
          s.episodes.push(episode);
          this.save();
          this.events.onEpisode?.({ ...event, done: s.episodes.length, total: requests.length, result });
        },
      });
    }
    const index = EpisodeIndex.open(this.dataDir);
    try {
      index.endSession(s.sessionId);
    } finally {
      index.close();
    }
    s.done = true;
    this.save();
    this.events.onStageEnd?.({ ...event, skipped: false, detail: episodeDetail(s) });
    return s;
  }

  /** GCPG scores of exactly the round's rollouts, stored in the index. */
  private async scoreStage(round: RoundState, episodeIds: string[]): Promise<void> {
    const event: StageEvent = {
      round: round.round,
      stage: 'score',
      what: 'GCPG scores',
      total: episodeIds.length,
    };
    if (round.scoring?.done) {
      this.events.onStageEnd?.({ ...event, skipped: true, detail: scoringDetail(round) });
      return;
    }
    this.events.onStageStart?.(event);
    const index = EpisodeIndex.open(this.dataDir);
    try {
      const tasks = await scoreEpisodes(index, new CostSpecStore(this.dataDir), {
        taskIds: this.p.taskIds,
        episodeIds,
        objective: this.p.scoring.objective,
        reward: this.p.scoring.reward,
      });
      round.scoring = {
        objective: this.p.scoring.objective,
        tasks: tasks.map((t) => {
          const totals = t.scored.map((s) => s.score.total);
          return {
            taskId: t.taskId,
            ...(t.specVersion ? { specVersion: t.specVersion } : {}),
            ...(t.provenance ? { provenance: t.provenance } : {}),
            scored: t.scored.length,
            successes: t.scored.filter((s) => s.episode.outcome === 'success').length,
            ...(totals.length
              ? {
                  meanScore: totals.reduce((a, v) => a + v, 0) / totals.length,
                  minScore: Math.min(...totals),
                  maxScore: Math.max(...totals),
                }
              : {}),
            failures: t.failures,
          };
        }),
        done: true,
      };
    } finally {
      index.close();
    }
    this.save();
    this.events.onStageEnd?.({ ...event, skipped: false, detail: scoringDetail(round) });
  }

  /** Top-m × bottom-m pairs per task and initial state, stored for iteration k. */
  private pairStage(round: RoundState, episodeIds: string[]): void {
    const event: StageEvent = {
      round: round.round,
      stage: 'pairs',
      what: `pairs for iteration ${round.round}`,
    };
    if (round.pairs?.done) {
      this.events.onStageEnd?.({ ...event, skipped: true, detail: `${round.pairs.pairs} pairs` });
      return;
    }
    this.events.onStageStart?.(event);
    const index = EpisodeIndex.open(this.dataDir);
    try {
      const tasks = pairEpisodes(index, {
        taskIds: this.p.taskIds,
        episodeIds,
        pairing: this.p.scoring.pairing,
        iteration: round.round,
      });
      round.pairs = {
        iteration: round.round,
        pairs: tasks.reduce((n, t) => n + t.pairing.pairs.length, 0),
        storedPairIds: tasks.flatMap((t) => t.stored.map((p) => p.id)),
        tasks: tasks.map((t) => ({
          taskId: t.taskId,
          pairs: t.pairing.pairs.length,
          groups: t.pairing.groups.length,
          tooClose: t.pairing.groups.reduce((n, g) => n + g.tooClose, 0),
          excluded: t.excluded.length,
        })),
        done: true,
      };
    } finally {
      index.close();
    }
    this.save();
    this.events.onStageEnd?.({ ...event, skipped: false, detail: `${round.pairs.pairs} pairs` });
  }

  /**
   * A training run with a fixed id (the loop's, round's and objective's): started, resumed from its
   * snapshot when it was cut short, or found finished. `skip` gives the reason there is nothing to train.
   */
  private async trainStage(
    round: RoundState,
    stage: 'sft' | 'tpo' | 'baseline',
    current: TrainingStage | undefined,
    assign: (t: TrainingStage) => void,
    request: { settings: TrainingSettings; from: string; selection: DataSelection; runId: string },
    skip?: string,
  ): Promise<TrainingStage> {
    const event: StageEvent = {
      round: round.round,
      stage,
      what: `${request.settings.objective} from ${request.from}`,
    };
    if (current && current.status !== 'running') {
      this.events.onStageEnd?.({ ...event, skipped: true, detail: trainingDetail(current) });
      return current;
    }
    if (skip !== undefined) {
      const skipped: TrainingStage = {
        runId: request.runId,
        objective: request.settings.objective,
        parent: request.from,
        status: 'skipped',
        reason: skip,
      };
      this.events.onStageEnd?.({ ...event, skipped: false, detail: trainingDetail(skipped) });
      return skipped;
    }
    const t: TrainingStage = current ?? {
      runId: request.runId,
      objective: request.settings.objective,
      parent: request.from,
      status: 'running',
    };
    assign(t);
    this.save();
    this.events.onStageStart?.(event);
    const index = EpisodeIndex.open(this.dataDir);
    let summary: TrainingSummary | Record<string, unknown>;
    try {
      const runDir = join(runsDir(this.dataDir), request.runId);
      const finished = existsSync(join(runDir, 'run.json'))
        ? RunDirectory.open(this.dataDir, request.runId).readSummary()
        : undefined;
      if (finished) summary = finished;
      else if (await this.adapterExists(request.runId)) {
        // Cut short between writing the checkpoint and the run's summary: the checkpoint stands.
        summary = { checkpoint: `${this.state.model}/${request.runId}`, adapterId: request.runId };
      } else if (existsSync(join(runDir, 'run.json'))) {
        summary = await resumeTraining(index, request.runId, this.factory, this.events.training);
      } else {
        summary = await trainCheckpoint(
          index,
          {
            modelDir: this.p.modelDir,
            from: request.from,
            settings: request.settings,
            selection: request.selection,
            id: request.runId,
            promote: false,
          },
          this.factory,
          this.events.training,
          this.p.device,
        );
      }
    } finally {
      index.close();
    }
    Object.assign(t, trainingFacts(summary), { status: 'done' as const });
    this.save();
    this.events.onStageEnd?.({ ...event, skipped: false, detail: trainingDetail(t) });
    return t;
  }

  private async adapterExists(adapterId: string): Promise<boolean> {
    const pkg = await loadModelPackage(this.p.modelDir);
    return pkg.adapters.some((a) => a.id === adapterId);
  }

  /** Makes the round's policy the one the model's node loads (unless it already is). */
  private async promoteStage(round: RoundState): Promise<void> {
    const result = round.result!;
    const event: StageEvent = { round: round.round, stage: 'promote', what: `promote ${result.adapterId}` };
    if (round.promotion) {
      this.events.onStageEnd?.({ ...event, skipped: true, detail: round.promotion.checkpointId });
      return;
    }
    this.events.onStageStart?.(event);
    const index = EpisodeIndex.open(this.dataDir);
    try {
      const store = new CheckpointStore(index, await loadModelPackage(this.p.modelDir));
      if (store.promoted().checkpointId === result.checkpointId)
        round.promotion = { checkpointId: result.checkpointId, alreadyPromoted: true };
      else {
        const promotion = await store.promote(
          result.adapterId,
          `GRAPE loop ${this.state.id}, ${roundLabel(round.round)}`,
        );
        round.promotion = { checkpointId: promotion.checkpointId, promotionId: promotion.id };
      }
    } finally {
      index.close();
    }
    this.save();
    const already = round.promotion.alreadyPromoted ? ' (already promoted)' : '';
    this.events.onStageEnd?.({
      ...event,
      skipped: false,
      detail: `${round.promotion.checkpointId}${already}`,
    });
  }

  /** Greedy evaluation of a checkpoint (default: the round's) on each evaluation split. */
  private async evaluateStage(
    round: RoundState,
    stage: 'evaluate' | 'baseline',
    into: LoopEvaluation[],
    label: string,
    adapterId = round.result!.adapterId,
  ): Promise<void> {
    const { episodes, splits } = this.p.evaluation;
    if (episodes === 0) return;
    for (const split of splits) {
      const event: StageEvent = {
        round: round.round,
        stage,
        what: `evaluate ${label} on ${split}`,
        total: episodes * this.p.taskIds.length,
      };
      const done = into.find((e) => e.split === split);
      if (done) {
        this.events.onStageEnd?.({ ...event, skipped: true, detail: evaluationDetail(done) });
        continue;
      }
      this.events.onStageStart?.(event);
      let count = 0;
      const result = await evaluateOnSim({
        dataDir: this.dataDir,
        modelDir: this.p.modelDir,
        checkpoint: adapterId,
        split,
        taskIds: this.p.taskIds,
        episodes,
        decoding: greedy,
        device: this.p.device,
        label,
        jobs: this.jobs,
        onEpisode: (r) => {
          count++;
          this.events.onEpisode?.({ ...event, done: count, total: event.total!, result: r });
        },
      });
      const o = result.summary.overall;
      const evaluation: LoopEvaluation = {
        split,
        id: result.run.id,
        label,
        checkpointId: result.run.policy.checkpointId,
        path: result.path,
        episodes: o.episodes,
        successRate: o.successRate,
        successInterval: { low: o.successInterval.low, high: o.successInterval.high },
        collisionRate: o.collisionRate,
        meanSteps: o.meanSteps,
      };
      into.push(evaluation);
      this.save();
      this.events.onStageEnd?.({ ...event, skipped: false, detail: evaluationDetail(evaluation) });
    }
  }
}

function trainingFacts(s: TrainingSummary | Record<string, unknown>): Partial<TrainingStage> {
  const summary = s as Partial<TrainingSummary>;
  const best = summary.heldOut?.best;
  const adapterId = summary.adapterId ?? String(summary.checkpoint).split('/').at(-1)!;
  return {
    checkpointId: String(summary.checkpoint),
    adapterId,
    ...(summary.steps === undefined ? {} : { steps: summary.steps }),
    ...(summary.stopped === undefined ? {} : { stopped: summary.stopped }),
    ...(summary.data === undefined ? {} : { items: summary.data.items }),
    ...(summary.seconds === undefined ? {} : { seconds: summary.seconds }),
    ...(best ? { heldOut: { accuracy: best.accuracy, loss: best.loss, nll: best.nll } } : {}),
  };
}

const pct = (v: number) => `${(100 * v).toFixed(0)}%`;

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function episodeDetail(s: EpisodeStage): string {
  const successes = s.episodes.filter((e) => e.success).length;
  return `${count(s.episodes.length, 'episode')}, ${successes} successful (session ${s.sessionId})`;
}

function scoringDetail(round: RoundState): string {
  const tasks = round.scoring!.tasks;
  const scored = tasks.reduce((n, t) => n + t.scored, 0);
  const failed = tasks.reduce((n, t) => n + t.failures.length, 0);
  return `${scored} scored${failed ? `, ${failed} could not be scored` : ''}`;
}

function trainingDetail(t: TrainingStage): string {
  if (t.status === 'skipped') return `not trained: ${t.reason ?? ''}`;
  if (t.status === 'running') return `run ${t.runId} in progress`;
  const held = t.heldOut
    ? t.objective === 'sft'
      ? `, held-out nll ${t.heldOut.nll.toFixed(3)}`
      : `, held-out pair accuracy ${t.heldOut.accuracy.toFixed(2)}`
    : '';
  const items =
    t.items === undefined
      ? '?'
      : t.objective === 'sft'
        ? count(t.items, 'trajectory', 'trajectories')
        : count(t.items, 'pair');
  const steps = t.steps === undefined ? '? steps' : count(t.steps, 'step');
  return `${t.checkpointId} (${items}, ${steps}${held})`;
}

function evaluationDetail(e: LoopEvaluation): string {
  return `${pct(e.successRate)} success (95% CI ${pct(e.successInterval.low)}–${pct(e.successInterval.high)}, ${count(e.episodes, 'episode')})`;
}
