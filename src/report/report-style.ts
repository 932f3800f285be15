// The report's stylesheet, inlined: the file opens offline, from disk or an e-mail attachment.
export const REPORT_CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1b1b1b; margin: 0; background: #fafafa; }
main { max-width: 1340px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-top: 8px; border-top: 1px solid #ddd; }
.meta { color: #555; margin: 0 0 12px; }
nav ul { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 6px 18px; }
nav a { color: #0b5cad; text-decoration: none; }
nav .missing { color: #888; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 12px; }
svg.chart { display: block; max-width: 100%; height: auto; background: #fff; border: 1px solid #e4e4e4; border-radius: 4px; margin: 8px 0; }
table { border-collapse: collapse; margin: 12px 0; background: #fff; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid #ddd; padding: 4px 9px; text-align: left; white-space: nowrap; }
th { background: #f0f0f0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.tables { display: flex; flex-wrap: wrap; gap: 0 24px; align-items: flex-start; }
details > summary { cursor: pointer; font-weight: 600; margin: 10px 0 4px; }
.note { color: #444; font-size: 13px; margin: 6px 0; }
.absent { color: #6b5200; background: #fff8e1; border: 1px solid #f0dca0; padding: 8px 12px; border-radius: 4px; }
.unreadable li { font-family: ui-monospace, monospace; font-size: 12px; }
`;
