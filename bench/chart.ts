/**
 * Draws bench/results/chart.svg from every run record in bench/results/:
 * one panel per unit (throughput units first, then ratios to ceilings, then
 * latencies), one line per measurement, runs along x in time order. Plain
 * SVG text, no dependencies. Also runnable alone: node dist/bench/chart.js [dir]
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { busyThreshold, defaultResultsDir, recordFormat, type RunRecord } from './harness.js';

interface Series {
  label: string;
  /** Value per run index; undefined where the run did not measure it. */
  values: (number | undefined)[];
}

interface Panel {
  unit: string;
  series: Series[];
}

const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const width = 1000;
const plotLeft = 80;
const plotRight = 700;
const panelHeight = 240;
const plotTop = 34;
const plotBottom = 190;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function isRunRecord(value: unknown): value is RunRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<RunRecord>;
  return v.format === recordFormat && typeof v.startedAt === 'string' && Array.isArray(v.suites);
}

/** Reads every run record in dir (other files are skipped), oldest first. */
export async function readRecords(dir: string): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()) {
    try {
      const parsed: unknown = JSON.parse(await readFile(join(dir, name), 'utf8'));
      if (isRunRecord(parsed)) records.push(parsed);
    } catch {
      // Not a run record; leave it alone.
    }
  }
  return records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

function panelRank(unit: string): number {
  if (unit.endsWith('/s')) return 0;
  if (unit === 'ratio') return 1;
  if (unit === 'ms' || unit === 'us' || unit === 's') return 2;
  return 3;
}

function buildPanels(records: readonly RunRecord[]): Panel[] {
  const panels = new Map<string, Map<string, Series>>();
  const add = (unit: string, label: string, run: number, value: number): void => {
    let panel = panels.get(unit);
    if (!panel) panels.set(unit, (panel = new Map()));
    let series = panel.get(label);
    if (!series) panel.set(label, (series = { label, values: new Array<number | undefined>(records.length).fill(undefined) }));
    series.values[run] = value;
  };
  records.forEach((record, run) => {
    for (const suite of record.suites) {
      for (const m of suite.measurements) {
        add(m.unit, m.id, run, m.value);
        if (m.ratio !== undefined && m.ratioTo !== undefined) add('ratio', `${m.id} ÷ ${m.ratioTo}`, run, m.ratio);
      }
    }
  });
  return [...panels.entries()]
    .map(([unit, series]) => ({ unit, series: [...series.values()].sort((a, b) => a.label.localeCompare(b.label)) }))
    .sort((a, b) => panelRank(a.unit) - panelRank(b.unit) || a.unit.localeCompare(b.unit));
}

function formatTick(value: number): string {
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs >= 1e6) return `${+(value / 1e6).toPrecision(3)}M`;
  if (abs >= 1e4) return `${+(value / 1e3).toPrecision(3)}k`;
  return `${+value.toPrecision(3)}`;
}

/** Scale from values to y pixels within a panel, and its tick values. */
function yScale(values: number[]): { y: (v: number) => number; ticks: number[]; log: boolean } {
  const positive = values.filter((v) => v > 0);
  const max = Math.max(...values, 0);
  const minPositive = positive.length > 0 ? Math.min(...positive) : 0;
  const span = plotBottom - plotTop;
  if (positive.length === values.length && minPositive > 0 && max / minPositive > 100) {
    const lo = Math.floor(Math.log10(minPositive));
    const hi = Math.ceil(Math.log10(max));
    const range = Math.max(hi - lo, 1);
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
    return { y: (v) => plotBottom - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / range) * span, ticks, log: true };
  }
  const top = max > 0 ? max * 1.1 : 1;
  const rough = top / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough;
  const ticks: number[] = [];
  for (let t = 0; t <= top + 1e-9; t += step) ticks.push(t);
  const ceiling = ticks[ticks.length - 1]!;
  return { y: (v) => plotBottom - (v / ceiling) * span, ticks, log: false };
}

/** Whether other work was using the CPUs right before any suite of the run. */
function isBusy(record: RunRecord): boolean {
  return record.suites.some((s) => s.cpuBusyBefore > busyThreshold);
}

function shortTime(iso: string): string {
  // 2026-11-25T14:30:03.000Z → 11-25 14:30
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

function drawPanel(panel: Panel, records: readonly RunRecord[], top: number): string {
  const out: string[] = [];
  const values = panel.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined));
  const scale = yScale(values);
  const runs = records.length;
  const x = (run: number): number => (runs === 1 ? (plotLeft + plotRight) / 2 : plotLeft + (run / (runs - 1)) * (plotRight - plotLeft));
  out.push(`<g transform="translate(0,${top})">`);
  out.push(`<text x="${plotLeft}" y="20" class="title">${escapeXml(panel.unit)}${scale.log ? ' (log scale)' : ''}</text>`);
  for (const tick of scale.ticks) {
    const y = scale.y(tick).toFixed(1);
    out.push(`<line x1="${plotLeft}" x2="${plotRight}" y1="${y}" y2="${y}" class="grid"/>`);
    out.push(`<text x="${plotLeft - 6}" y="${y}" class="ytick">${formatTick(tick)}</text>`);
  }
  out.push(`<line x1="${plotLeft}" x2="${plotRight}" y1="${plotBottom}" y2="${plotBottom}" class="axis"/>`);
  const labelEvery = Math.max(1, Math.ceil(runs / 8));
  for (let run = 0; run < runs; run++) {
    if (run % labelEvery !== 0 && run !== runs - 1) continue;
    const record = records[run]!;
    out.push(
      `<text x="${x(run).toFixed(1)}" y="${plotBottom + 16}" class="xtick">${escapeXml(shortTime(record.startedAt))}${record.quick ? ' q' : ''}${isBusy(record) ? ' !' : ''}</text>`,
    );
  }
  panel.series.forEach((series, i) => {
    const color = palette[i % palette.length]!;
    const dash = i >= palette.length ? ' stroke-dasharray="5,3"' : '';
    // Break the line where a run did not measure this series.
    let path = '';
    let penDown = false;
    series.values.forEach((v, run) => {
      if (v === undefined) {
        penDown = false;
        return;
      }
      path += `${penDown ? 'L' : 'M'}${x(run).toFixed(1)},${scale.y(v).toFixed(1)}`;
      penDown = true;
    });
    out.push(`<path d="${path}" stroke="${color}"${dash} class="line"/>`);
    series.values.forEach((v, run) => {
      if (v === undefined) return;
      out.push(
        `<circle cx="${x(run).toFixed(1)}" cy="${scale.y(v).toFixed(1)}" r="2.5" fill="${color}"><title>${escapeXml(`${series.label}: ${formatTick(v)} ${panel.unit} (${records[run]!.startedAt})`)}</title></circle>`,
      );
    });
    const last = [...series.values].reverse().find((v) => v !== undefined);
    const ly = plotTop + 4 + i * 15;
    out.push(`<line x1="${plotRight + 20}" x2="${plotRight + 40}" y1="${ly}" y2="${ly}" stroke="${color}"${dash} class="line"/>`);
    out.push(
      `<text x="${plotRight + 46}" y="${ly + 4}" class="legend">${escapeXml(series.label)}${last === undefined ? '' : ` = ${formatTick(last)}`}</text>`,
    );
  });
  out.push('</g>');
  return out.join('\n');
}

export function renderChart(records: readonly RunRecord[]): string {
  const panels = buildPanels(records);
  const heights = panels.map((p) => Math.max(panelHeight, plotTop + 10 + p.series.length * 15));
  const headerHeight = 52;
  const height = headerHeight + heights.reduce((a, b) => a + b, 0) + 10;
  const latest = records[records.length - 1];
  const subtitle = latest
    ? `${records.length} run${records.length === 1 ? '' : 's'}, latest ${latest.startedAt}${latest.gitCommit ? ` (${latest.gitCommit})` : ''} on ${latest.machine.cpuCount} × ${latest.machine.cpuModel}`
    : 'no runs yet';
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    '<style>',
    '.title{font-size:14px;font-weight:bold}.legend{font-size:11px}.grid{stroke:#e4e4e4}.axis{stroke:#888}',
    '.ytick{font-size:10px;text-anchor:end;dominant-baseline:middle}.xtick{font-size:10px;text-anchor:middle}',
    '.line{fill:none;stroke-width:1.8}',
    '</style>',
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${plotLeft}" y="24" font-size="16" font-weight="bold">Samsa benchmarks</text>`,
    `<text x="${plotLeft + 180}" y="24" font-size="11">${escapeXml(subtitle)}</text>`,
    `<text x="${plotLeft + 180}" y="38" font-size="10" fill="#555">x: runs in time order; q = --quick run, ! = other work was using the CPUs (over ${Math.round(busyThreshold * 100)}%) before a suite</text>`,
  ];
  let top = headerHeight;
  panels.forEach((panel, i) => {
    out.push(drawPanel(panel, records, top));
    top += heights[i]!;
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Reads the records in dir and writes dir/chart.svg; returns its path. */
export async function writeChart(dir: string = defaultResultsDir): Promise<string> {
  const path = join(dir, 'chart.svg');
  await writeFile(path, renderChart(await readRecords(dir)));
  return path;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeChart(process.argv[2] ?? defaultResultsDir).then(
    (path) => console.log(`chart written to ${path}`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
