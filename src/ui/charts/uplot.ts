// A chart spec as uPlot options and data. uPlot is imported lazily by the Chart component;
// this module takes the constructor so that it never pulls uPlot into the main bundle.
import type uPlotType from 'uplot';
import { extent, formatTick, yExtent, type ChartSpec } from './spec';

type UPlot = typeof uPlotType;

export function toAligned(spec: ChartSpec): uPlotType.AlignedData {
  return [
    Array.from(spec.x),
    ...spec.series.map((series) => Array.from(series.values, (v) => (v === undefined ? null : v))),
  ] as uPlotType.AlignedData;
}

export function toOptions(
  uPlot: UPlot,
  spec: ChartSpec,
  width: number,
  height: number,
  /** The spec now on screen: data updates (setData) keep the options, so ranges read it. */
  latest: () => ChartSpec,
): uPlotType.Options {
  const bars = uPlot.paths.bars?.({ size: [0.92, 80], align: 0 });
  const stepped = uPlot.paths.stepped?.({ align: 1 });
  return {
    width,
    height,
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    scales: {
      x: {
        time: false,
        range: () => {
          const now = latest();
          return now.xRange ?? extent([now.x], 0.02);
        },
      },
      y: { range: () => yExtent(latest()) },
    },
    axes: [
      {
        label: spec.xLabel,
        labelSize: 22,
        values: (_u, values) => values.map((v) => formatTick(v)),
        grid: { stroke: '#e6e9ee' },
      },
      {
        label: spec.yLabel,
        labelSize: 22,
        size: 56,
        values: (_u, values) => values.map((v) => formatTick(v)),
        grid: { stroke: '#e6e9ee' },
      },
    ],
    series: [
      { label: spec.xLabel },
      ...spec.series.map((series): uPlotType.Series => {
        const base: uPlotType.Series = { label: series.label, stroke: series.color };
        switch (series.kind) {
          case 'points':
            return {
              ...base,
              paths: () => null,
              points: {
                show: true,
                size: series.size ?? 4,
                stroke: series.color,
                fill: series.color,
                width: 0,
              },
            };
          case 'bars':
            return {
              ...base,
              fill: series.color,
              width: 0,
              ...(bars ? { paths: bars } : {}),
              points: { show: false },
            };
          case 'step':
            return {
              ...base,
              width: series.size ?? 2,
              ...(stepped ? { paths: stepped } : {}),
              points: { show: false },
            };
          default:
            return { ...base, width: series.size ?? 2, points: { show: false }, spanGaps: false };
        }
      }),
    ],
    hooks: {
      draw: [
        (u) => {
          const ctx = u.ctx;
          for (const marker of latest().markers ?? []) {
            const x = u.valToPos(marker.x, 'x', true);
            if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) continue;
            ctx.save();
            ctx.strokeStyle = marker.color;
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.setLineDash([6 * devicePixelRatio, 3 * devicePixelRatio]);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.setLineDash([]);
            ctx.fillStyle = marker.color;
            // uPlot leaves the context as its last axis set it (e.g. right-aligned).
            ctx.textAlign = 'left';
            ctx.textBaseline = 'alphabetic';
            ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
            const text = marker.label;
            const textWidth = ctx.measureText(text).width;
            const right = u.bbox.left + u.bbox.width;
            const tx = x + 4 + textWidth > right ? x - 4 - textWidth : x + 4;
            ctx.fillText(text, tx, u.bbox.top + 14 * devicePixelRatio);
            ctx.restore();
          }
        },
      ],
    },
  };
}
