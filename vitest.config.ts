import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests run real Wechaty bots, Redis and BullMQ: give them time, not sleeps.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll waits up to 1 s by default: a loaded machine fails what only came late (issue 26,
    // item 1). A poll passes as soon as it holds; the longer bound only costs a failing test time.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
})
