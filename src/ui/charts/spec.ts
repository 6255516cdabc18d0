// A chart described once, drawn twice: by uPlot on screen (fast at 100,000 points) and as a
// standalone SVG file for export. Series share one ascending x column, as uPlot requires;
// scatter data from several groups is merged into that form by `scatterSpec`.

export type SeriesKind = 'line' | 'points' | 'bars' | 'step';

export interface ChartSeries {
  label: string;
  color: string;
  /** One value per x; null = no point there. */
  values: ArrayLike<number | null>;
  kind: SeriesKind;
  /** Point diameter (points) or line width (line, step), in CSS pixels. */
  size?: number;
}

export interface ChartMarker {
  x: number;
  label: string;
  color: string;
}

export interface ChartSpec {
  title: string;
  x: ArrayLike<number>;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  xRange?: [number, number];
  yRange?: [number, number];
  /** Vertical lines (e.g. the IWSI threshold). */
  markers?: ChartMarker[];
  /** Bars: the width of one bar in x units. */
  barWidth?: number;
}

/** The colours of the charts (readable on white, distinct for common colour blindness). */
export const PALETTE = {
  blue: '#1f77b4',
  orange: '#e07b00',
  green: '#2a9d3a',
  red: '#c8372d',
  purple: '#7b4fb0',
  grey: '#9aa3ad',
  teal: '#138d90',
} as const;

/** Groups of (x, y) points as one chart: x sorted ascending, one series per group. */
export function scatterSpec(
  base: Omit<ChartSpec, 'x' | 'series'>,
  groups: { label: string; color: string; points: ArrayLike<number>; size?: number }[],
): ChartSpec {
  let total = 0;
  for (const group of groups) total += group.points.length / 2;
  const order = new Array<[number, number, number]>(total);
  let at = 0;
  groups.forEach((group, g) => {
    for (let i = 0; i + 1 < group.points.length; i += 2) {
      order[at++] = [group.points[i] as number, group.points[i + 1] as number, g];
    }
  });
  order.sort((a, b) => a[0] - b[0]);
  const x = new Float64Array(total);
  const columns = groups.map(() => new Array<number | null>(total).fill(null));
  order.forEach(([px, py, g], i) => {
    x[i] = px;
    (columns[g] as (number | null)[])[i] = py;
  });
  return {
    ...base,
    x,
    series: groups.map((group, g) => ({
      label: group.label,
      color: group.color,
      values: columns[g] as (number | null)[],
      kind: 'points' as const,
      size: group.size ?? 4,
    })),
  };
}

/** The range of the defined values of some columns, padded a little. */
export function extent(columns: ArrayLike<number | null>[], pad = 0.04): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const column of columns) {
    for (let i = 0; i < column.length; i++) {
      const v = column[i];
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min === Infinity) return [0, 1];
  if (min === max) return [min - 1, max + 1];
  const span = max - min;
  return [min - span * pad, max + span * pad];
}

/** The y range of a chart: its own, else the data's; bar charts always start at 0. */
export function yExtent(spec: ChartSpec): [number, number] {
  if (spec.yRange) return spec.yRange;
  const columns = spec.series.map((s) => s.values);
  if (!spec.series.some((s) => s.kind === 'bars')) return extent(columns);
  const [, max] = extent(columns, 0);
  return [0, max > 0 ? max * 1.08 : 1];
}

/** Nice tick values for an axis (1, 2, 5 × 10^n steps). */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

/** A tick label: few digits, no float noise. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(1);
  return String(Number(value.toPrecision(4)));
}

/** A loss curve over optimizer steps (a training job's), or null until it has two points. */
export function lossCurveSpec(
  points: readonly { step: number; loss: number }[],
  labels: { title: string; series: string; yLabel: string },
): ChartSpec | null {
  if (points.length < 2) return null;
  return {
    title: labels.title,
    x: points.map((p) => p.step),
    xLabel: 'optimizer step',
    yLabel: labels.yLabel,
    series: [
      {
        label: labels.series,
        color: PALETTE.purple,
        values: points.map((p) => p.loss),
        kind: 'line',
      },
    ],
  };
}
