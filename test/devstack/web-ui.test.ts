import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';

describe('Temporal Web UI in a headless browser', () => {
  it('renders the workflows page of the default namespace', async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (.ci/run does this)`,
      );
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const response = await page.goto(inject('temporalUiUrl'), { waitUntil: 'domcontentloaded' });
      expect(response?.status()).toBe(200);
      await page.getByText('Workflows', { exact: false }).first().waitFor({ timeout: 30_000 });
      await expect.poll(() => page.title(), { timeout: 30_000 }).toMatch(/Workflows/);
      await page.screenshot({ path: '/tmp/ui.png' });
      expect(await page.title()).toMatch(/Workflows/);
      expect(await page.title()).toMatch(/default/);
      expect(new URL(page.url()).pathname).toBe('/namespaces/default/workflows');
    } finally {
      await browser.close();
    }
  });
});
