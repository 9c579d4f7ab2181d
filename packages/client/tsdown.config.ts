import { defineConfig } from 'tsdown';

/**
 * The published build: ESM for Node 20, the CLI as its own entry, and ONE bundled declaration
 * file whose types are the client's own (src/types.ts), so no server package is needed to use them.
 */
export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Declarations straight from the sources (isolated declarations): no type-check of the server here.
  dts: { oxc: true },
  clean: true,
  sourcemap: false,
});
