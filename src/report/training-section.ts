// Training: for each run, the loss per optimizer step with the held-out loss at its evaluation points
// (for SFT the loss is the NLL early stopping watches; the preference objectives add pair accuracy);
// then the runs and the checkpoint lineage (what each round trained from, and which checkpoint is promoted).
import { formatValue } from './chart-scale.js';
import { htmlTable } from './html-table.js';
import type { CheckpointFacts, TrainingCurves, TrainingPoint } from './report-data.js';
import { absentSection, paragraph, type ReportSection } from './report-section.js';
import { SvgLineChart, type LineSeries } from './svg-line-chart.js';

const ID = 'training';
const TITLE = 'Training curves';

const curve = (points: readonly TrainingPoint[], metric: keyof TrainingPoint): [number, number][] =>
  points.map((p) => [p.step, p[metric]]);

function runCharts(run: TrainingCurves): string {
  if (run.steps.length === 0 && run.heldOut.length === 0)
    return paragraph(`${run.runId}: no steps logged yet.`, 'absent');
  const sft = run.objective === 'sft';
  const series = (trainName: string, heldOutName: string, metric: keyof TrainingPoint): LineSeries[] =>
    [
      { name: trainName, points: curve(run.steps, metric) },
      { name: heldOutName, points: curve(run.heldOut, metric), dashed: true },
    ].filter((s) => s.points.length > 0);
  // SFT's loss is its NLL: one chart. The preference objectives add the pair accuracy early stopping watches.
  const loss = new SvgLineChart({
    title: `${run.runId} (${run.objective}): ${sft ? 'NLL per step' : 'loss'}`,
    series: series('train (per step)', 'held-out', 'loss'),
    xLabel: 'optimizer step',
    yLabel: sft ? 'NLL per step' : 'loss',
  }).toSvg();
  if (sft) return `<div class="grid">${loss}</div>`;
  const accuracy = new SvgLineChart({
    title: `${run.runId} (${run.objective}): pair accuracy`,
    series: series('train (per step)', 'held-out', 'accuracy'),
    xLabel: 'optimizer step',
    yLabel: 'accuracy',
    yDomain: [0, 1],
  }).toSvg();
  return `<div class="grid">${loss}${accuracy}</div>`;
}

function runTable(runs: readonly TrainingCurves[]): string {
  return htmlTable(
    ['run', 'objective', 'model', 'parent', 'steps', 'held-out at end', 'stopped', 'checkpoint'],
    runs.map((r) => {
      const last = r.heldOut.at(-1);
      const heldOut = last
        ? r.objective === 'sft'
          ? `nll ${formatValue(last.nll)}`
          : `acc ${formatValue(last.accuracy)}`
        : '–';
      return [
        r.runId,
        r.objective,
        r.model,
        r.parent,
        String(r.steps.at(-1)?.step ?? 0),
        heldOut,
        r.stopped ?? 'not finished',
        r.checkpoint ?? '–',
      ];
    }),
    'Training runs',
  );
}

function checkpointTable(checkpoints: readonly CheckpointFacts[]): string {
  if (checkpoints.length === 0) return paragraph('No checkpoints registered in the episode index.', 'absent');
  return htmlTable(
    ['checkpoint', 'parent', 'objective', 'created', 'promoted'],
    checkpoints.map((c) => [
      c.id,
      c.parentId ?? '–',
      c.objective ?? '–',
      c.createdAt,
      c.promoted ? 'yes' : '',
    ]),
    'Checkpoints (lineage)',
  );
}

export function trainingSection(
  runs: readonly TrainingCurves[],
  checkpoints: readonly CheckpointFacts[],
): ReportSection {
  if (runs.length === 0 && checkpoints.length === 0)
    return absentSection(ID, TITLE, 'No training runs (runs/) and no checkpoints: run grape train.');
  const body =
    runs.length === 0
      ? paragraph('No training runs under runs/ (grape train writes their logs there).', 'absent')
      : runs.map(runCharts).join('') + runTable(runs);
  return { id: ID, title: TITLE, present: true, html: body + checkpointTable(checkpoints) };
}
