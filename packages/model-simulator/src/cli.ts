import { parseArgs } from 'node:util';
import { startModelSimulator } from './server';

/** `tsx packages/model-simulator/src/cli.ts --port 4010 [--latency 400]`: an offline model for demos. */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    latency: { type: 'string', default: '0' },
    answers: { type: 'string', default: 'rules' },
  },
});

const sim = await startModelSimulator({
  port: Number(values.port),
  latencyMs: Number(values.latency),
  answers: values.answers === 'random' ? 'random' : 'rules',
});
process.stdout.write(`model simulator listening on ${sim.url} (model revmemo-simulated)\n`);
process.stdout.write(
  `use OPENAI_BASE_URL=${sim.url} OPENAI_MODEL=revmemo-simulated OPENAI_API_KEY=anything\n`,
);

const stop = () => void sim.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
