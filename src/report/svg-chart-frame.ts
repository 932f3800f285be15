// What every chart of the report shares: the SVG element (sized, titled, labelled for screen
// readers), a legend that wraps onto rows, the plot area's margins, gridlines and axes. Charts draw
// their marks inside the plot area and hand the result to `svg`.
import type { LinearScale, Ticks } from './chart-scale.js';
import { escapeHtml } from './html-escape.js';

export interface LegendEntry {
  name: string;
  colour: string;
  /** Drawn as a line (a curve's series) rather than a block (bars); dashed if the curve is. */
  line?: boolean;
  dashed?: boolean;
}

export interface FrameOptions {
  title: string;
  legend: readonly LegendEntry[];
  width?: number;
  /** Height of the plot area itself, px. */
  plotHeight?: number;
  /** Room for the y tick labels, px. */
  marginLeft?: number;
  /** Room under the plot for tick and axis labels, px. */
  marginBottom?: number;
}

const FONT_SIZE = 12;
/** Mean advance of a 12 px sans-serif character: enough to lay out legends and truncate labels. */
const CHAR_WIDTH = 6.8;
const LEGEND_ROW = 18;
const TITLE_HEIGHT = 26;

export function approxTextWidth(text: string): number {
  return text.length * CHAR_WIDTH;
}

/** `text` cut with an ellipsis to fit `width` px. */
export function fitText(text: string, width: number): string {
  const max = Math.max(1, Math.floor(width / CHAR_WIDTH));
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

const px = (v: number) => String(Math.round(v * 10) / 10);

export class SvgChartFrame {
  readonly width: number;
  readonly height: number;
  /** Plot area, px. */
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  private readonly legendRows: { entry: LegendEntry; x: number; row: number }[] = [];

  constructor(private readonly options: FrameOptions) {
    this.width = options.width ?? 640;
    this.left = options.marginLeft ?? 56;
    this.right = this.width - 16;
    let x = this.left;
    let row = 0;
    for (const entry of options.legend) {
      const w = 22 + approxTextWidth(entry.name) + 16;
      if (x + w > this.right && x > this.left) {
        row++;
        x = this.left;
      }
      this.legendRows.push({ entry, x, row });
      x += w;
    }
    const legendHeight = options.legend.length === 0 ? 0 : (row + 1) * LEGEND_ROW;
    this.top = TITLE_HEIGHT + legendHeight + 10;
    this.bottom = this.top + (options.plotHeight ?? 220);
    this.height = this.bottom + (options.marginBottom ?? 44);
  }

  /** Horizontal gridlines and labels at the ticks, and the axis title along the left edge. */
  yAxis(scale: LinearScale, ticks: Ticks, label: string): string {
    const lines = ticks.values.map((v) => {
      const y = px(scale.at(v));
      return (
        `<line x1="${px(this.left)}" x2="${px(this.right)}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>` +
        `<text x="${px(this.left - 6)}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#444">${ticks.format(v)}</text>`
      );
    });
    const mid = px((this.top + this.bottom) / 2);
    return (
      lines.join('') +
      `<line x1="${px(this.left)}" x2="${px(this.left)}" y1="${px(this.top)}" y2="${px(this.bottom)}" stroke="#888"/>` +
      `<text transform="translate(14 ${mid}) rotate(-90)" text-anchor="middle" fill="#222">${escapeHtml(label)}</text>`
    );
  }

  /** Tick marks and labels along the bottom, and the axis title under them. */
  xAxis(scale: LinearScale, ticks: Ticks, label: string): string {
    const marks = ticks.values.map((v) => {
      const x = px(scale.at(v));
      return (
        `<line x1="${x}" x2="${x}" y1="${px(this.bottom)}" y2="${px(this.bottom + 4)}" stroke="#888"/>` +
        `<text x="${x}" y="${px(this.bottom + 17)}" text-anchor="middle" fill="#444">${ticks.format(v)}</text>`
      );
    });
    return marks.join('') + this.baseline() + this.xTitle(label);
  }

  /** Category names centred under their groups (cut to the group's width; the full name as a tooltip). */
  xCategories(
    categories: readonly { label: string; centre: number; width: number }[],
    label: string,
  ): string {
    const names = categories.map(
      (c) =>
        `<text x="${px(c.centre)}" y="${px(this.bottom + 17)}" text-anchor="middle" fill="#222"><title>${escapeHtml(c.label)}</title>${escapeHtml(fitText(c.label, c.width))}</text>`,
    );
    return names.join('') + this.baseline() + this.xTitle(label);
  }

  private baseline(): string {
    return `<line x1="${px(this.left)}" x2="${px(this.right)}" y1="${px(this.bottom)}" y2="${px(this.bottom)}" stroke="#888"/>`;
  }

  private xTitle(label: string): string {
    return `<text x="${px((this.left + this.right) / 2)}" y="${px(this.bottom + 36)}" text-anchor="middle" fill="#222">${escapeHtml(label)}</text>`;
  }

  private legend(): string {
    return this.legendRows
      .map(({ entry, x, row }) => {
        const y = TITLE_HEIGHT + row * LEGEND_ROW + LEGEND_ROW / 2;
        const dash = entry.dashed ? ' stroke-dasharray="4 3"' : '';
        return (
          `<line x1="${px(x)}" x2="${px(x + 16)}" y1="${px(y)}" y2="${px(y)}" stroke="${entry.colour}" stroke-width="${entry.line || entry.dashed ? 2 : 8}"${dash}/>` +
          `<text x="${px(x + 22)}" y="${px(y)}" dominant-baseline="middle" fill="#222">${escapeHtml(entry.name)}</text>`
        );
      })
      .join('');
  }

  /** The chart: a self-contained, responsive <svg> (its `kind` names it for tests and styling). */
  svg(kind: string, body: string): string {
    const title = escapeHtml(this.options.title);
    return (
      `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${escapeHtml(kind)}" viewBox="0 0 ${this.width} ${px(this.height)}"` +
      ` width="${this.width}" height="${px(this.height)}" role="img" aria-label="${title}"` +
      ` font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="${FONT_SIZE}">` +
      `<title>${title}</title>` +
      `<text x="${px(this.left)}" y="16" font-size="14" font-weight="600" fill="#111">${title}</text>` +
      this.legend() +
      body +
      `</svg>`
    );
  }
}
