// Grouped bars: one group per category (a split), one bar per series (a policy), each with an
// optional interval drawn as a whisker (a 95% confidence interval). A series with no value in a
// category leaves a gap marked "–", so an evaluation that was not run is never read as zero.
import { seriesColour } from './chart-palette.js';
import { LinearScale, niceTicks } from './chart-scale.js';
import { escapeHtml } from './html-escape.js';
import { SvgChartFrame } from './svg-chart-frame.js';

export interface BarValue {
  value: number;
  low?: number;
  high?: number;
  /** Tooltip text (the value and interval are added to it). */
  note?: string;
}

export interface BarSeries {
  name: string;
  /** One per category; undefined: no value there. */
  values: readonly (BarValue | undefined)[];
}

export interface BarChartSpec {
  title: string;
  categories: readonly string[];
  series: readonly BarSeries[];
  xLabel: string;
  yLabel: string;
  format: (value: number) => string;
  /** Labels of the y ticks (default: as many decimals as the tick step needs). */
  tickFormat?: (value: number) => string;
  /** Fixed y range (e.g. [0, 1] for rates); default from zero to the largest value or bound. */
  yDomain?: [number, number];
}

const px = (v: number) => String(Math.round(v * 10) / 10);

export class SvgBarChart {
  constructor(private readonly spec: BarChartSpec) {
    for (const s of spec.series)
      if (s.values.length !== spec.categories.length)
        throw new Error(
          `bar chart "${spec.title}": series "${s.name}" has ${s.values.length} values for ${spec.categories.length} categories`,
        );
  }

  toSvg(): string {
    const { spec } = this;
    const frame = new SvgChartFrame({
      title: spec.title,
      legend: spec.series.map((s, i) => ({ name: s.name, colour: seriesColour(i) })),
    });
    const values = spec.series.flatMap((s) =>
      s.values.flatMap((v) => (v ? [v.value, v.high ?? v.value] : [])),
    );
    const ticks = spec.yDomain
      ? niceTicks(spec.yDomain[0], spec.yDomain[1])
      : niceTicks(0, Math.max(0, ...values) || 1);
    const y = new LinearScale(ticks.domain, [frame.bottom, frame.top]);
    const groupWidth = (frame.right - frame.left) / Math.max(1, spec.categories.length);
    const inner = groupWidth * 0.8;
    const barWidth = inner / Math.max(1, spec.series.length);
    const marks: string[] = [];
    spec.series.forEach((series, si) => {
      const colour = seriesColour(si);
      series.values.forEach((v, ci) => {
        const x = frame.left + ci * groupWidth + (groupWidth - inner) / 2 + si * barWidth;
        const centre = x + barWidth / 2;
        if (!v) {
          marks.push(
            `<text x="${px(centre)}" y="${px(frame.bottom - 4)}" text-anchor="middle" fill="#999"><title>${escapeHtml(`${series.name}: no value for ${spec.categories[ci]!}`)}</title>–</text>`,
          );
          return;
        }
        const top = y.at(Math.max(v.value, ticks.domain[0]));
        const base = y.at(Math.max(0, ticks.domain[0]));
        const interval =
          v.low !== undefined && v.high !== undefined
            ? ` (95% CI ${spec.format(v.low)}–${spec.format(v.high)})`
            : '';
        const tip = `${series.name}, ${spec.categories[ci]!}: ${spec.format(v.value)}${interval}${v.note ? `; ${v.note}` : ''}`;
        marks.push(
          `<rect x="${px(x + 1)}" y="${px(Math.min(top, base))}" width="${px(Math.max(1, barWidth - 2))}" height="${px(Math.abs(base - top))}" fill="${colour}"><title>${escapeHtml(tip)}</title></rect>`,
        );
        let labelY = top - 4;
        if (v.low !== undefined && v.high !== undefined) {
          const [lo, hi] = [y.at(v.low), y.at(v.high)];
          const cap = Math.min(6, barWidth / 4);
          marks.push(
            `<path d="M${px(centre)} ${px(lo)}V${px(hi)}M${px(centre - cap)} ${px(lo)}H${px(centre + cap)}M${px(centre - cap)} ${px(hi)}H${px(centre + cap)}" stroke="#222" stroke-width="1.2" fill="none"/>`,
          );
          labelY = hi - 4;
        }
        if (barWidth >= 26)
          marks.push(
            `<text x="${px(centre)}" y="${px(labelY)}" text-anchor="middle" font-size="10" fill="#333">${escapeHtml(spec.format(v.value))}</text>`,
          );
      });
    });
    const categories = spec.categories.map((label, i) => ({
      label,
      centre: frame.left + (i + 0.5) * groupWidth,
      width: groupWidth,
    }));
    return frame.svg(
      'bar',
      frame.yAxis(y, spec.tickFormat ? { ...ticks, format: spec.tickFormat } : ticks, spec.yLabel) +
        marks.join('') +
        frame.xCategories(categories, spec.xLabel),
    );
  }
}
