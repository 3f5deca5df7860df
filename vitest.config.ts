import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real servers; two cores on CI.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    // @actions/workflow-parser imports its JSON schema without an import attribute, which plain Node
    // ESM refuses; let vite transform it (TOOLS.md: it works once bundled).
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
