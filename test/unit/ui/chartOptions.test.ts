// The uPlot options of a chart whose data grows while it is on screen (the Train cell's loss
// curve): the Chart component keeps the options and calls setData, so the axes' ranges must
// follow the spec now shown, not the one the chart was built with.
import type uPlotType from 'uplot';
import { describe, expect, it } from 'vitest';
import { lossCurveSpec, type ChartSpec } from '../../../src/ui/charts/spec';
import { toOptions } from '../../../src/ui/charts/uplot';

const LABELS = { title: 'Training loss', series: 'training loss', yLabel: 'loss' };

function curve(steps: number): ChartSpec {
  const points = Array.from({ length: steps }, (_, i) => ({ step: i + 1, loss: 2 / (i + 1) }));
  return lossCurveSpec(points, LABELS)!;
}

/** A scale's range as uPlot asks for it on a redraw. */
function rangeOf(options: uPlotType.Options, key: 'x' | 'y'): [number, number] {
  const range = options.scales?.[key]?.range as (
    u: uPlotType,
    min: number,
    max: number,
    key: string,
  ) => [number, number];
  return range(null as unknown as uPlotType, 0, 0, key);
}

describe('chart options', () => {
  it('take the axes’ ranges from the spec now on screen', () => {
    const first = curve(6);
    let shown = first;
    const uPlot = { paths: {} } as unknown as typeof uPlotType;
    const options = toOptions(uPlot, first, 600, 200, () => shown);
    const [, xMaxBefore] = rangeOf(options, 'x');
    const [yMinBefore] = rangeOf(options, 'y');
    expect(xMaxBefore).toBeGreaterThanOrEqual(6);
    expect(xMaxBefore).toBeLessThan(7);

    shown = curve(220);
    const [, xMaxAfter] = rangeOf(options, 'x');
    const [yMinAfter] = rangeOf(options, 'y');
    expect(xMaxAfter).toBeGreaterThanOrEqual(220);
    // The later, lower losses are inside the y range too.
    expect(yMinAfter).toBeLessThan(yMinBefore);
    expect(yMinAfter).toBeLessThanOrEqual(2 / 220);
  });
});
