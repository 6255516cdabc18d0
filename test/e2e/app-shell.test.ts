import { existsSync, statSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NOTEBOOK_CELLS } from '../../src/ui/cells';
import { launchBrowser, openPage, saveScreenshot } from './browser';

describe('the built app shell in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('is served cross-origin isolated', async () => {
    const response = await fetch(inject('baseUrl'));
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });

  it('shows every notebook cell in order and a truthful capability report', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(inject('baseUrl'));

    const titles = await page.locator('[data-testid="cell"] h2').allTextContents();
    expect(titles).toEqual([
      'Setup',
      'Dataset',
      'Prompt',
      'Generate',
      'Vote',
      'Score',
      'Weigh & filter',
      'Compare',
      'Analyse',
      'Export',
      'Train',
      'Evaluate',
      'SPIN',
    ]);
    expect(titles).toEqual(NOTEBOOK_CELLS.map((c) => c.title));

    // The worker answered through the protocol.
    await expect
      .poll(() => page.locator('[data-testid="status-worker"]').textContent(), { timeout: 30_000 })
      .toMatch(/Engine worker: ready \(\d+\.\d ms round trip\)/);

    // Chromium runs with --enable-unsafe-webgpu, so an adapter is present (software, no f16).
    const truth = await page.evaluate(async () => {
      const adapter = await (
        navigator as unknown as {
          gpu: { requestAdapter(): Promise<{ features: Set<string> } | null> };
        }
      ).gpu.requestAdapter();
      return {
        adapter: adapter !== null,
        f16: adapter?.features.has('shader-f16') ?? false,
        isolated: crossOriginIsolated,
      };
    });
    expect(truth.adapter).toBe(true);
    expect(await page.locator('[data-testid="status-webgpu"]').textContent()).toContain(
      'WebGPU: adapter present',
    );
    expect(await page.locator('[data-testid="status-f16"]').textContent()).toContain(
      truth.f16 ? 'shader-f16: yes' : 'shader-f16: no',
    );
    expect(await page.locator('[data-testid="status-buffer"]').textContent()).toMatch(
      /Max buffer: [\d.]+ [KMGT]?B/,
    );
    expect(truth.isolated).toBe(true);
    expect(await page.locator('[data-testid="status-isolation"]').textContent()).toContain(
      'Cross-origin isolated: yes',
    );
    expect(await page.locator('[data-testid="status-storage"]').textContent()).toMatch(
      /Storage: [\d.]+ [KMGT]?B used of [\d.]+ [KMGT]?B · (persistent|not persistent)/,
    );

    const shot = await saveScreenshot(page, 'app-shell');
    expect(existsSync(shot) && statSync(shot).size > 10_000).toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('reports WebGPU as unavailable when the browser has none', async () => {
    const { page, problems } = await openPage(browser);
    // Hide navigator.gpu in every context (page and workers) before any script runs.
    await page.context().addInitScript(() => {
      Object.defineProperty(Object.getPrototypeOf(navigator), 'gpu', { get: () => undefined });
    });
    await page.route('**/assets/engine.worker-*.js', async (route) => {
      const response = await route.fetch();
      const body = await response.text();
      await route.fulfill({
        response,
        body: `Object.defineProperty(Object.getPrototypeOf(navigator),'gpu',{get:()=>undefined});\n${body}`,
      });
    });
    await page.goto(inject('baseUrl'));
    await expect
      .poll(() => page.locator('[data-testid="status-webgpu"]').textContent(), { timeout: 30_000 })
      .toContain('WebGPU: unavailable — This browser does not expose WebGPU');
    expect(await page.locator('[data-testid="status-f16"]').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
