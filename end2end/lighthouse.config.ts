import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// scripts/lighthouse.sh: the same served app as the test suite, one browser, the
// Lighthouse spec only (a measurement, not part of the test command).
export default defineConfig({
  ...base,
  testDir: './lighthouse',
  fullyParallel: false,
  workers: 1,
  projects: [{ name: 'lighthouse', use: { ...base.use } }],
});
