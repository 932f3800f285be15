// Safety and efficiency: collision rate (episodes with at least one collision, 95% interval), mean
// steps and end-effector path length per split per policy from the evaluations; and, for sessions
// that were not evaluations (robot sessions, rollouts, demonstrations), the same figures per policy
// from the episode index.
import { formatPercent, formatValue } from './chart-scale.js';
import type { EvaluationMatrix } from './evaluation-matrix.js';
import { htmlTable } from './html-table.js';
import type { EpisodeFacts } from './report-data.js';
import { absentSection, paragraph, type ReportSection } from './report-section.js';
import { SvgBarChart, type BarValue } from './svg-bar-chart.js';

const ID = 'safety';
const TITLE = 'Safety and efficiency';

function evaluationFigures(m: EvaluationMatrix): string {
  const chart = (
    title: string,
    yLabel: string,
    value: (o: NonNullable<ReturnType<EvaluationMatrix['cell']>>) => BarValue,
    format: (v: number) => string,
    rate = false,
  ) =>
    new SvgBarChart({
      title,
      categories: m.splits,
      series: m.policies.map((policy) => ({
        name: policy,
        values: m.splits.map((split) => {
          const c = m.cell(policy, split);
          return c ? value(c) : undefined;
        }),
      })),
      xLabel: 'split',
      yLabel,
      format,
      ...(rate ? { tickFormat: formatPercent, yDomain: [0, 1] as [number, number] } : {}),
    }).toSvg();
  const collisions = chart(
    'Collision rate: episodes with ≥ 1 collision (95% CI)',
    'collision rate',
    ({ summary: { overall: o } }) => ({
      value: o.collisionRate,
      low: o.collisionInterval.low,
      high: o.collisionInterval.high,
      note: `${formatValue(o.meanCollisions)} collisions per episode`,
    }),
    formatPercent,
    true,
  );
  const steps = chart(
    'Mean steps per episode',
    'steps',
    ({ summary: { overall: o } }) => ({ value: o.meanSteps }),
    (v) => v.toFixed(0),
  );
  const path = chart(
    'Mean end-effector path length',
    'path length, m',
    ({ summary: { overall: o } }) => ({ value: o.meanPathLength }),
    (v) => v.toFixed(2),
  );
  const table = htmlTable(
    ['policy', 'split', 'collision rate (95% CI)', 'collisions / episode', 'mean steps', 'path m'],
    m.policies.flatMap((policy) =>
      m.splits.flatMap((split) => {
        const c = m.cell(policy, split);
        if (!c) return [];
        const o = c.summary.overall;
        return [
          [
            policy,
            split,
            `${formatPercent(o.collisionRate)} (${formatPercent(o.collisionInterval.low)}–${formatPercent(o.collisionInterval.high)})`,
            o.meanCollisions.toFixed(2),
            o.meanSteps.toFixed(1),
            o.meanPathLength.toFixed(2),
          ],
        ];
      }),
    ),
    'Evaluations: means over tasks',
  );
  return `<div class="grid">${collisions}${steps}${path}</div>${table}`;
}

function recordedFigures(episodes: readonly EpisodeFacts[]): string {
  const recorded = episodes.filter((e) => !e.evaluation);
  if (recorded.length === 0)
    return paragraph(
      'No recorded episodes outside evaluations (robot sessions, rollouts or demonstrations).',
      'absent',
    );
  const byPolicy = new Map<string, EpisodeFacts[]>();
  for (const e of recorded) byPolicy.set(e.policy, [...(byPolicy.get(e.policy) ?? []), e]);
  const rows = [...byPolicy].map(([policy, es]) => {
    const judged = es.filter((e) => e.outcome === 'success' || e.outcome === 'failure');
    const successes = judged.filter((e) => e.outcome === 'success').length;
    const mean = (f: (e: EpisodeFacts) => number) => es.reduce((a, e) => a + f(e), 0) / es.length;
    return [
      policy,
      String(es.length),
      judged.length === 0 ? '–' : `${formatPercent(successes / judged.length)} of ${judged.length}`,
      formatPercent(mean((e) => (e.collisions > 0 ? 1 : 0))),
      mean((e) => e.collisions).toFixed(2),
      mean((e) => e.steps).toFixed(1),
    ];
  });
  return htmlTable(
    [
      'policy or demonstrator',
      'episodes',
      'success (judged)',
      'collision rate',
      'collisions / episode',
      'mean steps',
    ],
    rows,
    'Recorded episodes outside evaluations, from the episode index',
  );
}

export function safetySection(m: EvaluationMatrix, episodes: readonly EpisodeFacts[]): ReportSection {
  if (m.policies.length === 0 && episodes.length === 0)
    return absentSection(
      ID,
      TITLE,
      'No evaluations and no recorded episodes: run grape eval, grape run --sim, or record a session on the robot.',
    );
  const evaluations =
    m.policies.length === 0
      ? paragraph(
          'No evaluations: collision rate, steps and path length per split come from grape eval.',
          'absent',
        )
      : evaluationFigures(m);
  return { id: ID, title: TITLE, present: true, html: evaluations + recordedFigures(episodes) };
}
