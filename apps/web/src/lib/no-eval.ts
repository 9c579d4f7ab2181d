import { z } from 'zod';

/*
 * Zod (bundled through better-auth and the shared schemas) probes whether it may compile parsers
 * with Function("") when a schema is built; under the Content-Security-Policy (script-src 'self',
 * no 'unsafe-eval') that probe is a reported violation. Imported first by main.tsx, before any
 * module that builds a schema.
 */
z.config({ jitless: true });
