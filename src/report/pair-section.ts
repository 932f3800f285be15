// Preference pairs: how far apart chosen and rejected trajectories score (the margin), per GRAPE
// iteration. Margins near zero are pairs the ranking barely separates.
import { extent, formatValue } from './chart-scale.js';
import { htmlTable } from './html-table.js';
import type { PairFacts } from './report-data.js';
import { absentSection, paragraph, type ReportSection } from './report-section.js';
import { SvgHistogram } from './svg-histogram.js';

const ID = 'pairs';
const TITLE = 'Preference pairs';

const iterationName = (i: number | undefined) => (i === undefined ? 'no iteration' : `iteration ${i}`);

export function pairSection(pairs: readonly PairFacts[]): ReportSection {
  if (pairs.length === 0)
    return absentSection(ID, TITLE, 'No preference pairs in the episode index: run grape pairs.');
  const iterations = [...new Set(pairs.map((p) => p.iteration))].sort(
    (a, b) => (a ?? Number.NEGATIVE_INFINITY) - (b ?? Number.NEGATIVE_INFINITY),
  );
  const groups = iterations.map((iteration) => ({
    iteration,
    pairs: pairs.filter((p) => p.iteration === iteration),
  }));
  const series = groups
    .map((g) => ({
      name: iterationName(g.iteration),
      values: g.pairs.flatMap((p) => (p.margin === undefined ? [] : [p.margin])),
    }))
    .filter((s) => s.values.length > 0);
  const chart =
    series.length === 0
      ? paragraph('No pair has both scores stored, so there are no margins to plot.', 'absent')
      : new SvgHistogram({
          title: 'Score margin of each pair (chosen − rejected)',
          series,
          xLabel: 'margin',
        }).toSvg();
  const table = htmlTable(
    ['iteration', 'pairs', 'tasks', 'mean margin', 'smallest margin', 'without scores'],
    groups.map((g) => {
      const margins = g.pairs.flatMap((p) => (p.margin === undefined ? [] : [p.margin]));
      return [
        iterationName(g.iteration),
        String(g.pairs.length),
        String(new Set(g.pairs.map((p) => p.taskId)).size),
        margins.length ? formatValue(margins.reduce((a, m) => a + m, 0) / margins.length) : '–',
        margins.length ? formatValue(extent(margins)[0]) : '–',
        String(g.pairs.length - margins.length),
      ];
    }),
    'Pairs per iteration',
  );
  return { id: ID, title: TITLE, present: true, html: chart + table };
}
