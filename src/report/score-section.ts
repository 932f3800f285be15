// GCPG score distributions: each scored episode's latest score, split by outcome (the success term
// should separate them; overlap shows where the cost terms rank failures above successes), and the
// spread per task.
import { extent, formatValue } from './chart-scale.js';
import { htmlTable } from './html-table.js';
import type { ScoreFacts } from './report-data.js';
import { absentSection, paragraph, type ReportSection } from './report-section.js';
import { SvgHistogram } from './svg-histogram.js';

const ID = 'scores';
const TITLE = 'GCPG score distributions';

const OUTCOMES = [
  { name: 'success', has: (s: ScoreFacts) => s.outcome === 'success' },
  { name: 'failure', has: (s: ScoreFacts) => s.outcome === 'failure' },
  {
    name: 'aborted or unlabelled',
    has: (s: ScoreFacts) => s.outcome !== 'success' && s.outcome !== 'failure',
  },
];

const meanOf = (v: readonly number[]) =>
  v.length === 0 ? undefined : v.reduce((a, x) => a + x, 0) / v.length;
const show = (v: number | undefined) => (v === undefined ? '–' : formatValue(v));

export function scoreSection(scores: readonly ScoreFacts[]): ReportSection {
  if (scores.length === 0)
    return absentSection(ID, TITLE, 'No GCPG scores in the episode index: run grape score.');
  const series = OUTCOMES.map((o) => ({
    name: o.name,
    values: scores.filter(o.has).map((s) => s.total),
  })).filter((s) => s.values.length > 0);
  const chart = new SvgHistogram({
    title: 'Latest GCPG score per episode, by outcome',
    series,
    xLabel: 'score R',
  }).toSvg();
  const byTask = new Map<string, ScoreFacts[]>();
  for (const s of scores) byTask.set(s.taskId, [...(byTask.get(s.taskId) ?? []), s]);
  const table = htmlTable(
    ['task', 'scored', 'mean', 'min', 'max', 'mean (success)', 'mean (failure)'],
    [...byTask].map(([taskId, ss]) => {
      const totals = ss.map((s) => s.total);
      const [min, max] = extent(totals);
      return [
        taskId,
        String(ss.length),
        show(meanOf(totals)),
        show(min),
        show(max),
        show(meanOf(ss.filter((s) => s.outcome === 'success').map((s) => s.total))),
        show(meanOf(ss.filter((s) => s.outcome === 'failure').map((s) => s.total))),
      ];
    }),
    'Scores per task',
  );
  return {
    id: ID,
    title: TITLE,
    present: true,
    html:
      chart +
      table +
      paragraph('Each episode counts once, with its most recent score (the index keeps every rescoring).'),
  };
}
