// Distributions (scores, pair margins) as histograms over shared, round-numbered bins, the series'
// bars side by side in each bin.
import { seriesColour } from './chart-palette.js';
import { LinearScale, extent, niceTicks } from './chart-scale.js';
import { escapeHtml } from './html-escape.js';
import { SvgChartFrame } from './svg-chart-frame.js';

export interface HistogramSeries {
  name: string;
  values: readonly number[];
}

export interface HistogramSpec {
  title: string;
  series: readonly HistogramSeries[];
  xLabel: string;
  /** About this many bins over the joint range (default: about √n, between 6 and 30). */
  bins?: number;
}

const px = (v: number) => String(Math.round(v * 10) / 10);

export class SvgHistogram {
  constructor(private readonly spec: HistogramSpec) {
    const all = spec.series.flatMap((s) => s.values);
    if (all.length === 0) throw new Error(`histogram "${spec.title}" has no values`);
    const bad = all.find((v) => !Number.isFinite(v));
    if (bad !== undefined) throw new Error(`histogram "${spec.title}" has a non-finite value (${bad})`);
  }

  toSvg(): string {
    const { spec } = this;
    const all = spec.series.flatMap((s) => s.values);
    // Bin edges on round numbers, so a bar reads as "between 1.5 and 2.0".
    const target = spec.bins ?? Math.min(30, Math.max(6, Math.round(Math.sqrt(all.length))));
    const bins = niceTicks(...extent(all), target);
    const [lo, hi] = bins.domain;
    const binWidth = bins.step;
    const binCount = Math.max(1, Math.round((hi - lo) / binWidth));
    const counts = spec.series.map((s) => {
      const c = new Array<number>(binCount).fill(0);
      for (const v of s.values) c[Math.min(binCount - 1, Math.floor((v - lo) / binWidth + 1e-9))]!++;
      return c;
    });
    const frame = new SvgChartFrame({
      title: spec.title,
      legend: spec.series.map((s, i) => ({
        name: `${s.name} (${s.values.length})`,
        colour: seriesColour(i),
      })),
    });
    const xTicks = niceTicks(lo, hi, 6);
    const yTicks = niceTicks(0, Math.max(1, extent(counts.flat())[1]), 5);
    const x = new LinearScale(xTicks.domain, [frame.left, frame.right]);
    const y = new LinearScale(yTicks.domain, [frame.bottom, frame.top]);
    // Series side by side within a bin: counts read directly, none hides another.
    const slot = (x.at(lo + binWidth) - x.at(lo)) / spec.series.length;
    const marks = counts.flatMap((c, si) =>
      c.flatMap((count, b) => {
        if (count === 0) return [];
        const from = lo + b * binWidth;
        const tip = `${spec.series[si]!.name}: ${count} in [${bins.format(from)}, ${bins.format(from + binWidth)})`;
        return [
          `<rect x="${px(x.at(from) + si * slot + 0.5)}" y="${px(y.at(count))}" width="${px(Math.max(1, slot - 1))}" height="${px(frame.bottom - y.at(count))}"` +
            ` fill="${seriesColour(si)}" fill-opacity="0.85"><title>${escapeHtml(tip)}</title></rect>`,
        ];
      }),
    );
    return frame.svg(
      'histogram',
      frame.yAxis(y, yTicks, 'count') + marks.join('') + frame.xAxis(x, xTicks, spec.xLabel),
    );
  }
}
