/**
 * One set of e2e specs, two projects: `electron` drives the built desktop app (skipped with the
 * reason when no Electron binary is installed) and `web` drives `serve` in Debian's Chromium (a
 * failure, not a skip, when Chromium is missing). Run through `npm run test:e2e`, which builds
 * first. Traces are kept for failed tests only.
 */
import { defineConfig } from '@playwright/test';
import type { AppFixtureOptions } from './e2e/support/fixtures.js';

export default defineConfig<AppFixtureOptions>({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: process.env.CI ? 2 : undefined,
  retries: 0,
  reporter: [['list']],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'electron', use: { uvmHost: 'electron' } },
    { name: 'web', use: { uvmHost: 'web' } },
  ],
});
