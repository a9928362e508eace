import { test, expect } from '@playwright/test';
import { consoleErrors, expectNoAxeViolations, freshEmail, hydrated, quickInvite, quickJoin, quickSignUp } from './support';

// scripts/test.sh starts the Stripe stand-in (test-support's fake-stripe), which
// serves Checkout and the Customer Portal and posts signed webhooks to the app.
const fake = process.env.PRUUF_FAKE_STRIPE;

test('a Contact in trial pays through Checkout, sees the plan and next charge, cancels and resumes', async ({
  browser,
}) => {
  test.setTimeout(150_000);
  expect(fake, 'PRUUF_FAKE_STRIPE: run through scripts/test.sh').toBeTruthy();
  const tom = await (await browser.newContext()).newPage();
  const errors = consoleErrors(tom);
  await quickSignUp(tom, freshEmail('tom'), '4826');
  const mumEmail = freshEmail('mum');
  await quickInvite(tom, 'Mum', mumEmail);
  const mum = await quickJoin(browser, mumEmail);

  // Mum is a Member: no prices, no link to them.
  await mum.goto('/settings');
  await expect(mum.getByText('You check in every day.')).toBeVisible();
  await expect(mum.getByRole('link', { name: 'Plan and payment' })).toHaveCount(0);
  await mum.goto('/billing');
  await expect(mum.getByTestId('billing-state')).toContainText('you’ll never pay');
  await expect(mum.getByText('$3.99')).toHaveCount(0);

  // Tom's 30 days started when Mum joined.
  await tom.goto('/home');
  await hydrated(tom);
  await tom.getByRole('link', { name: 'Settings' }).click();
  await expect(tom.getByText('You look out for Mum.')).toBeVisible();
  await tom.getByRole('link', { name: 'Plan and payment' }).click();
  await expect(tom.getByTestId('billing-state')).toContainText('Free trial: 30 days left');
  await hydrated(tom);
  await expectNoAxeViolations(tom);

  await tom.getByLabel('$29 a year (save 39%)').check();
  await tom.getByLabel('$3.99 a month').check();
  await tom.getByRole('button', { name: 'Continue to secure payment' }).click();
  // Stripe's page (the stand-in): the first charge waits for the trial's end.
  await expect(tom).toHaveURL(new RegExp(`^${fake}/checkout/cs_`));
  await expect(tom.getByText(/First charge on/)).toBeVisible();
  await expect(tom.getByText('$3.99 / month')).toBeVisible();
  await tom.getByRole('button', { name: 'Start subscription' }).click();

  // Back on Pruuf: the plan and the next charge date.
  await expect(tom).toHaveURL(/\/billing\?paid=cs_/);
  await expect(tom.getByRole('status').first()).toContainText('Thank you!');
  await expect(tom.getByTestId('billing-plan')).toHaveText('$3.99 a month');
  await expect(tom.getByTestId('billing-next')).toContainText(': $3.99');
  await expect(tom.getByTestId('billing-state')).toContainText('Your plan is active. It renews on');
  await hydrated(tom);
  await expectNoAxeViolations(tom);

  // Cancel at the period's end: alerts continue until then, and it can be undone.
  await tom.getByRole('button', { name: 'Cancel my plan' }).click();
  await expect(tom.getByTestId('billing-state')).toContainText('Your plan is canceled. Alerts continue until');
  await expect(tom.getByRole('button', { name: 'Keep my plan' })).toBeVisible();
  await tom.getByRole('button', { name: 'Keep my plan' }).click();
  await expect(tom.getByTestId('billing-state')).toContainText('Your plan is active. It renews on');
  await expect(tom.getByRole('button', { name: 'Cancel my plan' })).toBeVisible();

  // Card and invoices live in Stripe's portal, which returns here.
  await tom.getByRole('button', { name: 'Manage card and invoices' }).click();
  await expect(tom).toHaveURL(new RegExp(`^${fake}/portal/`));
  await tom.getByRole('link', { name: 'Return to Pruuf' }).click();
  await expect(tom).toHaveURL(/\/billing$/);
  await expect(tom.getByTestId('billing-plan')).toHaveText('$3.99 a month');
  expect(errors).toEqual([]);
});

test('choosing a plan works before the page has loaded its scripts', async ({ browser }) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const tom = await context.newPage();
  await quickSignUp(tom, freshEmail('tom'), '4826');
  const mumEmail = freshEmail('mum');
  await quickInvite(tom, 'Mum', mumEmail);
  await quickJoin(browser, mumEmail);
  await tom.goto('/billing');
  await expect(tom.getByTestId('billing-state')).toContainText('Free trial');
  await tom.getByLabel('$29 a year (save 39%)').check();
  await tom.getByRole('button', { name: 'Continue to secure payment' }).click();
  await expect(tom).toHaveURL(new RegExp(`^${fake}/checkout/cs_`));
  await expect(tom.getByText('$29.00 / year')).toBeVisible();
});
