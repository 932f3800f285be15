// Curves over a numeric x (training loss and held-out metrics against optimizer steps): one polyline
// per series, markers where a series has few points (evaluation points), dashed if asked.
import { seriesColour } from './chart-palette.js';
import { LinearScale, extent, formatValue, niceTicks } from './chart-scale.js';
import { escapeHtml } from './html-escape.js';
import { SvgChartFrame } from './svg-chart-frame.js';

export interface LineSeries {
  name: string;
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
}

export interface LineChartSpec {
  title: string;
  series: readonly LineSeries[];
  xLabel: string;
  yLabel: string;
  /** Fixed y range (e.g. [0, 1] for accuracy); default: the data's. */
  yDomain?: [number, number];
}

/** Series with at most this many points get a marker at each. */
const MARKER_LIMIT = 40;

const px = (v: number) => String(Math.round(v * 10) / 10);

export class SvgLineChart {
  constructor(private readonly spec: LineChartSpec) {
    const points = spec.series.flatMap((s) => s.points);
    if (points.length === 0) throw new Error(`line chart "${spec.title}" has no points`);
    const bad = points.find(([a, b]) => !Number.isFinite(a) || !Number.isFinite(b));
    if (bad) throw new Error(`line chart "${spec.title}" has a non-finite point (${bad.join(', ')})`);
  }

  toSvg(): string {
    const { spec } = this;
    const points = spec.series.flatMap((s) => s.points);
    const xs = points.map(([a]) => a);
    const ys = points.map(([, b]) => b);
    const frame = new SvgChartFrame({
      title: spec.title,
      legend: spec.series.map((s, i) => ({
        name: s.name,
        colour: seriesColour(i),
        line: true,
        ...(s.dashed ? { dashed: true } : {}),
      })),
    });
    const xTicks = niceTicks(...extent(xs), 6);
    const yTicks = spec.yDomain ? niceTicks(...spec.yDomain) : niceTicks(...extent(ys), 5);
    const x = new LinearScale(xTicks.domain, [frame.left, frame.right]);
    const y = new LinearScale(yTicks.domain, [frame.bottom, frame.top]);
    const marks = spec.series.map((s, i) => {
      const colour = seriesColour(i);
      const sorted = [...s.points].sort((p, q) => p[0] - q[0]);
      const path = sorted.map(([a, b]) => `${px(x.at(a))},${px(y.at(b))}`).join(' ');
      const dash = s.dashed ? ' stroke-dasharray="5 4"' : '';
      const line = `<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="1.6"${dash}><title>${escapeHtml(s.name)}</title></polyline>`;
      const markers =
        sorted.length <= MARKER_LIMIT
          ? sorted
              .map(
                ([a, b]) =>
                  `<circle cx="${px(x.at(a))}" cy="${px(y.at(b))}" r="3" fill="${colour}"><title>${escapeHtml(`${s.name}: ${formatValue(b)} at ${formatValue(a)}`)}</title></circle>`,
              )
              .join('')
          : '';
      return line + markers;
    });
    return frame.svg(
      'line',
      frame.yAxis(y, yTicks, spec.yLabel) + marks.join('') + frame.xAxis(x, xTicks, spec.xLabel),
    );
  }
}
