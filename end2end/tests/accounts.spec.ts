import { test, expect } from '@playwright/test';
import { advanceClock, codeFor, consoleErrors, expectNoAxeViolations, freshEmail, hydrated, logIn, quickSignUp, signUp } from './support';

test('a new person signs up with the emailed code, signs out, and logs in again', async ({ page }) => {
  const errors = consoleErrors(page);
  const email = freshEmail('mary');
  await signUp(page, email, '4826');
  await expectNoAxeViolations(page);
  // A new Contact's first step: add the person they look out for, or skip.
  await page.getByRole('link', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Add the person you look out for' })).toBeVisible();
  await expect(page.getByText('the first 30 days are free')).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole('link', { name: 'Skip for now' }).click();
  await expect(page.getByText(`You’re signed in as ${email}.`)).toBeVisible();
  await expectNoAxeViolations(page);

  // Sign out is in Settings, behind a confirmation (not on the home).
  await expect(page.getByRole('button', { name: /Sign out/ })).toHaveCount(0);
  await hydrated(page);
  const tabs = page.getByRole('navigation', { name: 'Main' });
  await expect(tabs.getByRole('link', { name: 'Today' })).toHaveAttribute('aria-current', 'page');
  await tabs.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  // A move between pages puts focus on the new page's heading (announced).
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeFocused();
  await expect(tabs.getByRole('link', { name: 'Settings' })).toHaveAttribute('aria-current', 'page');
  await expectNoAxeViolations(page);
  await expect(page.getByRole('button', { name: 'Yes, sign out' })).toBeHidden();
  await page.getByText('Sign out of Pruuf on this device').click();
  await page.getByRole('button', { name: 'Yes, sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome back' })).toBeVisible();
  // A link on its own line is a 60 px target.
  const forgot = await page.getByRole('link', { name: 'Forgot your PIN?' }).boundingBox();
  expect(forgot?.height ?? 0).toBeGreaterThanOrEqual(60);
  await page.goto('/home');
  await expect(page).toHaveURL(/\/login$/);

  await logIn(page, email, '4826');
  await expect(page.getByText(`You’re signed in as ${email}.`)).toBeVisible();
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('link', { name: 'Signed-in devices' }).click();
  await expect(page.getByRole('heading', { name: 'Signed-in devices' })).toBeVisible();
  await expect(page.getByText('(this device)')).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByText('(this device)')).toBeVisible();
  await expectNoAxeViolations(page);
  expect(errors).toEqual([]);
});

test('pasting the code fills all six boxes', async ({ page }) => {
  const email = freshEmail('paste');
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Your email address').fill(email);
  await page.getByRole('button', { name: 'Send me a code' }).click();
  const code = await codeFor(email);
  await page.getByLabel('Digit 1 of 6').focus();
  await page.evaluate((text) => {
    const data = new DataTransfer();
    data.setData('text', text);
    document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, `${code.slice(0, 3)} ${code.slice(3)}`);
  for (let i = 0; i < 6; i++) {
    await expect(page.getByLabel(`Digit ${i + 1} of 6`)).toHaveValue(code[i]);
  }
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Create your PIN' })).toBeVisible();
});

test('five wrong PINs pause log-in and say until when', async ({ page }) => {
  const email = freshEmail('lock');
  await quickSignUp(page, email, '4826');
  await page.context().clearCookies();
  for (let i = 1; i <= 4; i++) {
    await logIn(page, email, '1111');
    await expect(page.getByRole('alert')).toContainText("That email and PIN don't match");
  }
  await logIn(page, email, '1111');
  const alert = page.getByRole('alert');
  // Another test may move the shared test clock on a minute meanwhile.
  await expect(alert).toContainText(/Please try again in \d minutes? \(at \d{1,2}:\d\d (AM|PM)\)/);
  await expectNoAxeViolations(page);
  // The right PIN is refused too while the pause lasts.
  await logIn(page, email, '4826');
  await expect(page.getByRole('alert')).toContainText(/try again in \d minutes?/);
});

test('forgot PIN: a code, a new PIN, and the other device is signed out', async ({ browser, baseURL }) => {
  const email = freshEmail('forgot');
  const phone = await (await browser.newContext()).newPage();
  await quickSignUp(phone, email, '4826');
  await phone.goto('/home');
  await expect(phone.getByText(`You’re signed in as ${email}.`)).toBeVisible();
  // A new code may be asked for a minute after the last one.
  await advanceClock(baseURL!, 61);

  const laptop = await (await browser.newContext()).newPage();
  await laptop.goto('/login');
  await hydrated(laptop);
  await laptop.getByRole('link', { name: 'Forgot your PIN?' }).click();
  // The page's code is fetched on the way (a split page): wait for it.
  await expect(laptop.getByRole('heading', { name: 'Forgot your PIN?' })).toBeVisible();
  await laptop.getByLabel('Your email address').fill(email);
  await laptop.getByRole('button', { name: 'Send me a code' }).click();
  await expect(laptop.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  const code = await codeFor(email, 2);
  // The link in the mail fills the code in.
  await laptop.goto(`/verify?email=${encodeURIComponent(email)}&code=${code}&for=reset`);
  await hydrated(laptop);
  await expect(laptop.getByLabel('Digit 1 of 6')).toHaveValue(code[0]);
  await laptop.getByRole('button', { name: 'Continue' }).click();
  await expect(laptop.getByRole('heading', { name: 'Choose a new PIN' })).toBeVisible();
  await laptop.getByLabel('Your new 4-number PIN').fill('6039');
  await laptop.getByLabel('Type the same PIN again').fill('6039');
  await laptop.getByRole('button', { name: 'Save my new PIN' }).click();
  await expect(laptop.getByText('Your new PIN is saved. Every other device has been signed out.')).toBeVisible();

  await phone.goto('/home');
  await expect(phone).toHaveURL(/\/login$/);
  await logIn(phone, email, '6039');
  await expect(phone.getByText(`You’re signed in as ${email}.`)).toBeVisible();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('signing up works with plain forms', async ({ page }) => {
    const email = freshEmail('nojs');
    await page.goto('/signup');
    await page.getByLabel('Your email address').fill('not an email');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await expect(page.getByRole('alert')).toContainText('like name@example.com');

    await page.getByLabel('Your email address').fill(email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
    const code = await codeFor(email);
    await page.getByLabel('Code from the email').fill(code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { name: 'Create your PIN' })).toBeVisible();
    await page.getByLabel('What should we call you?').fill('Nora');
    await page.getByLabel('Your 4-number PIN').fill('3968');
    await page.getByLabel('Type the same PIN again').fill('3969');
    await page.getByLabel(/I accept the/).check();
    await page.getByRole('button', { name: 'Create my account' }).click();
    await expect(page.getByRole('alert')).toContainText("PINs don't match");
    await page.getByLabel('What should we call you?').fill('Nora');
    await page.getByLabel('Your 4-number PIN').fill('3968');
    await page.getByLabel('Type the same PIN again').fill('3968');
    await page.getByLabel(/I accept the/).check();
    await page.getByRole('button', { name: 'Create my account' }).click();
    await expect(page.getByRole('heading', { name: 'Welcome to Pruuf!' })).toBeVisible();
    await page.goto('/home');
    await expect(page.getByText(`You’re signed in as ${email}.`)).toBeVisible();
  });
});

test('the account pages pass axe and fit a phone at the largest text', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await page.getByRole('button', { name: 'Extra large' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-text-size', 'extra-large');
  for (const path of ['/signup', '/login', '/forgot', '/verify?email=a%40b.io', '/terms', '/privacy']) {
    await page.goto(path);
    await hydrated(page);
    await expectNoAxeViolations(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, path).toBeLessThanOrEqual(0);
    for (const target of await page.locator('.button, a.standalone, input[type=email], input[type=password], input[type=text]').all()) {
      const box = await target.boundingBox();
      expect(box?.height ?? 0, `${path} target height`).toBeGreaterThanOrEqual(60);
      expect(box?.width ?? 0, `${path} target width`).toBeGreaterThanOrEqual(60);
    }
  }
});

test('Settings: the text size is applied at once, and Settings and the home fit a phone at the largest text', async ({ page }) => {
  await quickSignUp(page, freshEmail('sett'), '4826');
  await page.goto('/settings');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  // Signed in, the logo (and the welcome page) lead to Today.
  await page.getByRole('link', { name: 'Pruuf', exact: true }).click();
  await expect(page).toHaveURL(/\/home$/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/home$/);
  await page.goto('/settings');
  await hydrated(page);
  await page.getByRole('button', { name: 'Extra large' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-text-size', 'extra-large');
  for (const path of ['/settings', '/home']) {
    await page.goto(path);
    await hydrated(page);
    await expectNoAxeViolations(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, path).toBeLessThanOrEqual(0);
    for (const target of await page.locator('main .button, main a.standalone').all()) {
      if (!(await target.isVisible())) continue;
      const box = await target.boundingBox();
      expect(box?.height ?? 0, `${path} target height`).toBeGreaterThanOrEqual(60);
    }
  }
});
