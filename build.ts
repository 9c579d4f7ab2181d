/**
 * `pnpm build:node`: the production JavaScript of the Procfile's processes (docs/build.md).
 *
 * Each entry becomes ONE ES module next to its package (`<package>/dist/<name>.js` + source map) with
 * every `@revmemo/*` workspace module inlined (they export TypeScript sources, which Node cannot run)
 * and every npm package left out, imported from node_modules as installed. Two rewrites keep the
 * bundle behaving exactly like the sources it came from:
 *
 * - npm imports point at the very file Node's own ESM resolution picks from the importing source
 *   file (pnpm gives each workspace package only its own dependencies, so `bullmq` is resolvable from
 *   packages/queue but not from apps/server/dist). Written as paths relative to the bundle, so the
 *   checkout can move; a `pnpm install` that changes versions needs a rebuild.
 * - `import.meta.url` / `dirname` / `filename` in a workspace module still name that module's source
 *   file, so files found next to the sources (drizzle/, apps/web/dist, the extraction thread's
 *   extract-worker.mjs) are found from the bundle too, with no second lookup rule in the code.
 */
import { readFile, rm } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = import.meta.dirname;

/** Entry (source) → bundle. Keep in step with the Procfile and package.json's start scripts. */
const ENTRIES = [
  { source: 'apps/server/src/main.ts', out: 'apps/server/dist/main.js' },
  { source: 'apps/worker/src/main.ts', out: 'apps/worker/dist/main.js' },
  { source: 'packages/db/src/cli/migrate.ts', out: 'packages/db/dist/migrate.js' },
  { source: 'packages/ops/src/cli.ts', out: 'packages/ops/dist/cli.js' },
] as const;

const toImportPath = (from: string, to: string) => {
  const rel = relative(from, to).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
};

/** npm packages stay outside the bundle, imported by the path Node would resolve them to. */
function externalNodeModules(outDir: string): Plugin {
  return {
    name: 'external-node-modules',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'resolving' || isBuiltin(args.path) || args.path.startsWith('@revmemo/')) {
          return undefined;
        }
        const found = await b.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: 'resolving',
        });
        if (found.errors.length > 0) return { errors: found.errors };
        return { path: toImportPath(outDir, found.path), external: true };
      });
    },
  };
}

/** In workspace modules, `import.meta.url`/`dirname`/`filename` keep naming the source file. */
function sourceLocations(outDir: string): Plugin {
  return {
    name: 'source-locations',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const text = await readFile(args.path, 'utf8');
        if (!/\bimport\.meta\.(url|dirname|filename)\b/.test(text)) return undefined;
        const file = JSON.stringify(toImportPath(outDir, args.path));
        const dir = JSON.stringify(toImportPath(outDir, dirname(args.path)));
        const contents = text
          .replace(/\bimport\.meta\.url\b/g, `new URL(${file}, import.meta.url).href`)
          .replace(/\bimport\.meta\.dirname\b/g, `__sourceLocationJoin(import.meta.dirname, ${dir})`)
          .replace(/\bimport\.meta\.filename\b/g, `__sourceLocationJoin(import.meta.dirname, ${file})`)
          // Appended, not prepended: the source map's line numbers stay the source's.
          .concat(`\nimport { join as __sourceLocationJoin } from 'node:path';\n`);
        const ext = args.path.split('.').pop() ?? 'ts';
        const loader = ext.endsWith('x') ? 'tsx' : ext.endsWith('ts') ? 'ts' : 'js';
        return { contents, loader, resolveDir: dirname(args.path) };
      });
    },
  };
}

async function bundle(entry: (typeof ENTRIES)[number]): Promise<void> {
  const outFile = join(root, entry.out);
  const outDir = dirname(outFile);
  await rm(outDir, { recursive: true, force: true });
  const result = await build({
    entryPoints: [join(root, entry.source)],
    outfile: outFile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Node's own ESM resolution: its conditions, `main` only (never the bundlers' `module` field).
    conditions: ['module-sync'],
    mainFields: ['main'],
    sourcemap: true,
    // Stack traces name the sources (with --enable-source-maps); the map points at them in place.
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    plugins: [externalNodeModules(outDir), sourceLocations(outDir)],
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  process.stdout.write(`${entry.out} (${Math.round(bytes / 1024)} KiB)\n`);
}

const started = performance.now();
await Promise.all(ENTRIES.map(bundle));
process.stdout.write(`built ${ENTRIES.length} entries in ${Math.round(performance.now() - started)} ms\n`);
