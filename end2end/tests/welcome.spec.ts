import { test, expect } from '@playwright/test';
import { consoleErrors, expectNoAxeViolations, hydrated, rootFontSize } from './support';

test.describe('without JavaScript (server rendering)', () => {
  test.use({ javaScriptEnabled: false });

  test('the welcome page renders and the text size form still works', async ({ page }) => {
    await page.goto('/');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(
      'Stay connected to loved ones with daily check-ins',
    );
    await expect(page.getByRole('link', { name: 'Get Started' })).toBeVisible();
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
    expect(await rootFontSize(page)).toBe(16);

    // A plain form post: the server remembers the choice and sends the page back.
    await page.getByRole('button', { name: 'Extra large' }).click();
    await expect(page.locator('html')).toHaveAttribute('data-text-size', 'extra-large');
    expect(await rootFontSize(page)).toBe(24);
    await expect(page.getByRole('button', { name: 'Extra large' })).toHaveAttribute('aria-pressed', 'true');
  });
});

test('after hydration the text size changes in place, without a reload', async ({ page }) => {
  const errors = consoleErrors(page);
  await page.goto('/');
  await hydrated(page);
  await page.evaluate(() => ((window as unknown as { stillHere: number }).stillHere = 42));

  await page.getByRole('button', { name: 'Large', exact: true }).click();
  await expect(page.locator('html')).toHaveAttribute('data-text-size', 'large');
  expect(await rootFontSize(page)).toBe(20);
  await expect(page.getByRole('status')).toHaveText('Text size: Large');
  await expect(page.getByRole('button', { name: 'Large', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('button', { name: 'Standard' })).toHaveAttribute('aria-pressed', 'false');
  expect(await page.evaluate(() => (window as unknown as { stillHere?: number }).stillHere)).toBe(42);

  // The choice stays with the device.
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-text-size', 'large');
  expect(errors).toEqual([]);
});

test('the welcome page passes axe at every text size, and nothing scrolls sideways', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  for (const size of ['Standard', 'Large', 'Extra large']) {
    await page.getByRole('button', { name: size, exact: true }).click();
    await expect(page.getByRole('status')).toHaveText(`Text size: ${size}`);
    await expectNoAxeViolations(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    for (const target of await page.locator('.button').all()) {
      const box = await target.boundingBox();
      expect(box?.height ?? 0).toBeGreaterThanOrEqual(60);
      expect(box?.width ?? 0).toBeGreaterThanOrEqual(60);
    }
  }
});

test('the keyboard reaches everything, starting with the skip link', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to the main content' });
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#main$/);

  const extra = page.getByRole('button', { name: 'Extra large' });
  await extra.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('html')).toHaveAttribute('data-text-size', 'extra-large');
  await expect(extra).toHaveAttribute('aria-pressed', 'true');
});

test('an unknown address shows a friendly 404 page', async ({ page }) => {
  const response = await page.goto('/this/page/does/not/exist');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText("We couldn't find that page");
  await expect(page.getByRole('link', { name: 'Go to the start page' })).toBeVisible();
  await expectNoAxeViolations(page);
});
