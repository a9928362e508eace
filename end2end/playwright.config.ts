import { defineConfig, devices } from '@playwright/test';
import { launchOptions } from './chromium';

// scripts/test.sh sets these; the defaults suit a hand run after scripts/run.sh's build.
const baseURL = process.env.PRUUF_E2E_BASE_URL ?? 'http://127.0.0.1:3100';
const databaseURL = process.env.PRUUF_E2E_DATABASE_URL ?? 'postgres://pruuf@127.0.0.1:55432/pruuf';
const port = new URL(baseURL).port;

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions,
  },
  // Reduced motion: with the buttons' 120 ms colour transition on, axe could
  // sample a colour halfway through it after a click and report a contrast
  // failure the finished page does not have (seen on the welcome page's text
  // size buttons).
  // Tests that move the server's clock far (*.later.spec.ts) run once the others
  // have finished, so they cannot turn another test's check-in late; one that
  // moves it a whole day (*.last.spec.ts) runs after those.
  projects: [
    { name: 'desktop', testIgnore: /\.(later|last)\.spec\.ts$/, use: { ...devices['Desktop Chrome'], launchOptions, reducedMotion: 'reduce' } },
    { name: 'phone', testIgnore: /\.(later|last)\.spec\.ts$/, use: { ...devices['Pixel 7'], launchOptions, reducedMotion: 'reduce' } },
    {
      name: 'later',
      testMatch: /\.later\.spec\.ts$/,
      dependencies: ['desktop', 'phone'],
      use: { ...devices['Desktop Chrome'], launchOptions, reducedMotion: 'reduce' },
    },
    {
      name: 'last',
      testMatch: /\.last\.spec\.ts$/,
      dependencies: ['later'],
      use: { ...devices['Desktop Chrome'], launchOptions, reducedMotion: 'reduce' },
    },
  ],
  // The release build, served with the test clock on. Playwright waits for /ready.
  webServer: {
    command: process.env.PRUUF_E2E_SERVER ?? 'target/release/server',
    cwd: '..',
    url: `${baseURL}/ready`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      DATABASE_URL: databaseURL,
      PRUUF_ENV: 'test',
      PRUUF_TEST_CLOCK: '1',
      PRUUF_PUBLIC_URL: baseURL,
      PRUUF_SMTP_URL: process.env.PRUUF_SMTP_URL ?? 'smtp://127.0.0.1:1025',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: 'target/site',
      LEPTOS_ENV: 'PROD',
      RUST_LOG: 'warn',
      // Every browser of the suite shares 127.0.0.1; the real limit (20) is
      // covered by the integration tests.
      PRUUF_IP_LIMIT_PER_HOUR: '100000',
      // Texts go to the Twilio stand-in when scripts/test.sh started one.
      ...(process.env.PRUUF_TWILIO_API_URL
        ? {
            PRUUF_TWILIO_ACCOUNT_SID: process.env.PRUUF_TWILIO_ACCOUNT_SID!,
            PRUUF_TWILIO_AUTH_TOKEN: process.env.PRUUF_TWILIO_AUTH_TOKEN!,
            PRUUF_TWILIO_FROM: process.env.PRUUF_TWILIO_FROM!,
            PRUUF_TWILIO_API_URL: process.env.PRUUF_TWILIO_API_URL,
          }
        : {}),
      // Payments go to the Stripe stand-in when scripts/test.sh started one.
      ...(process.env.PRUUF_STRIPE_API_URL
        ? {
            PRUUF_STRIPE_SECRET_KEY: process.env.PRUUF_STRIPE_SECRET_KEY!,
            PRUUF_STRIPE_WEBHOOK_SECRET: process.env.PRUUF_STRIPE_WEBHOOK_SECRET!,
            PRUUF_STRIPE_PRICE_MONTHLY: process.env.PRUUF_STRIPE_PRICE_MONTHLY!,
            PRUUF_STRIPE_PRICE_ANNUAL: process.env.PRUUF_STRIPE_PRICE_ANNUAL!,
            PRUUF_STRIPE_API_URL: process.env.PRUUF_STRIPE_API_URL,
          }
        : {}),
    },
  },
});
