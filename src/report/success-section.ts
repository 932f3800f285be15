// Success per split per policy: the mean over tasks with its 95% interval, as bars and as a table,
// and per task below it.
import { INTERVAL_METHOD, type RateFigures } from '../eval/evaluation-summary.js';
import { formatPercent } from './chart-scale.js';
import type { EvaluationMatrix } from './evaluation-matrix.js';
import { htmlTable } from './html-table.js';
import { absentSection, paragraph, type ReportSection } from './report-section.js';
import { SvgBarChart } from './svg-bar-chart.js';

const ID = 'success';
const TITLE = 'Success per split';

export const rateWithInterval = (f: Pick<RateFigures, 'successRate' | 'successInterval'>) =>
  `${formatPercent(f.successRate)} (${formatPercent(f.successInterval.low)}–${formatPercent(f.successInterval.high)})`;

export function successSection(m: EvaluationMatrix): ReportSection {
  if (m.policies.length === 0)
    return absentSection(
      ID,
      TITLE,
      'No evaluations in this data dir: run grape eval --policy <model dir> --split <split> (it stores each under evaluations/).',
    );
  const chart = new SvgBarChart({
    title: 'Success rate, mean over tasks (95% CI)',
    categories: m.splits,
    series: m.policies.map((policy) => ({
      name: policy,
      values: m.splits.map((split) => {
        const c = m.cell(policy, split);
        if (!c) return undefined;
        const o = c.summary.overall;
        return {
          value: o.successRate,
          low: o.successInterval.low,
          high: o.successInterval.high,
          note: `${o.tasks} tasks × ${o.episodes / o.tasks} episodes`,
        };
      }),
    })),
    xLabel: 'split',
    yLabel: 'success rate',
    format: formatPercent,
    tickFormat: formatPercent,
    yDomain: [0, 1],
  }).toSvg();
  const overview = htmlTable(
    ['policy', ...m.splits],
    m.policies.map((policy) => [
      policy,
      ...m.splits.map((split) => {
        const c = m.cell(policy, split);
        return c ? `${rateWithInterval(c.summary.overall)} · ${c.summary.overall.episodes} ep` : '–';
      }),
    ]),
    'Mean over tasks, 95% CI, episodes',
  );
  const perTask = m.splits.map((split) => {
    const policies = m.policies.filter((p) => m.cell(p, split));
    const tasks = [...new Set(policies.flatMap((p) => m.cell(p, split)!.summary.tasks.map((t) => t.taskId)))];
    return htmlTable(
      ['task', ...policies],
      tasks.map((taskId) => [
        taskId,
        ...policies.map((p) => {
          const t = m.cell(p, split)!.summary.tasks.find((x) => x.taskId === taskId);
          return t ? `${rateWithInterval(t)} · ${t.successes}/${t.episodes}` : '–';
        }),
      ]),
      `${split}: success per task, 95% CI, successes/episodes`,
    );
  });
  const notes = [
    `Intervals: per task, ${INTERVAL_METHOD.task}; overall, ${INTERVAL_METHOD.overall}.`,
    'Evaluations decode greedily unless marked (sampled). A dash: that policy was not evaluated on that split.',
    ...(m.superseded > 0
      ? [
          `${m.superseded} older evaluation(s) of a policy on a split shown here are left out (the latest is shown).`,
        ]
      : []),
  ];
  return {
    id: ID,
    title: TITLE,
    present: true,
    html:
      chart +
      overview +
      `<details open><summary>Per task</summary><div class="tables">${perTask.join('')}</div></details>` +
      notes.map((n) => paragraph(n)).join(''),
  };
}
