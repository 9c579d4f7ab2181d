import { parseArgs } from 'node:util';
import { startModelSimulator } from './server';

/**
 * `tsx packages/model-simulator/src/cli.ts --port 4010 [--latency 400] [--stream-ms 4000]
 * [--stream-chunks 0]`: an offline model for demos. Streamed answers take `--stream-ms` after the
 * latency, in `--stream-chunks` pieces (0: about one per token).
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    latency: { type: 'string', default: '0' },
    'stream-ms': { type: 'string', default: '0' },
    'stream-chunks': { type: 'string', default: '0' },
    answers: { type: 'string', default: 'rules' },
  },
});

function count(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`model simulator: --${name} must be a non-negative integer, not "${value}"\n`);
    process.exit(2);
  }
  return n;
}

const sim = await startModelSimulator({
  port: count('port', values.port),
  latencyMs: count('latency', values.latency),
  streamMs: count('stream-ms', values['stream-ms']),
  streamChunks: count('stream-chunks', values['stream-chunks']),
  answers: values.answers === 'random' ? 'random' : 'rules',
});
process.stdout.write(`model simulator listening on ${sim.url} (model revmemo-simulated)\n`);
process.stdout.write(
  `use OPENAI_BASE_URL=${sim.url} OPENAI_MODEL=revmemo-simulated OPENAI_API_KEY=anything\n`,
);

const stop = () => void sim.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
