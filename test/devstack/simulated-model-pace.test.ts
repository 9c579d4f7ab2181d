import { DevstackError, startDevstack } from '@revmemo/devstack';
import { describe, expect, it } from 'vitest';
import { simulatorControl } from '../support/model';

/** `pnpm dev` without OPENAI_API_KEY: the simulated model streams at a pace a person can watch. */
describe('pnpm dev pace (devstack)', () => {
  // DATABASE_URL and REDIS_URL are set, so devstack starts only the simulated model.
  const env = { DATABASE_URL: 'postgres://unused', REDIS_URL: 'redis://unused', AUTH_SECRET: 'x'.repeat(32) };

  it('streams each step over SIMULATED_MODEL_STEP_SECONDS (default 4), and says so', async () => {
    for (const [value, latencyMs, streamMs] of [
      [undefined, 400, 3_600],
      ['2.5', 400, 2_100],
      ['0', 0, 0],
    ] as const) {
      const stack = await startDevstack({
        dataDir: '/nonexistent',
        env: { ...env, SIMULATED_MODEL_STEP_SECONDS: value },
      });
      try {
        const stats = await simulatorControl(stack.env.OPENAI_BASE_URL ?? '').stats();
        expect(stats.config).toMatchObject({ latencyMs, streamMs });
        expect(stack.summary.join('\n')).toContain(`over ${(latencyMs + streamMs) / 1000} s`);
      } finally {
        await stack.stop();
      }
    }
  });

  it('refuses a value that is not a number of seconds, or longer than a minute (the model timeout would cut it)', async () => {
    for (const value of ['fast', '-1', '61', '1e9']) {
      await expect(
        startDevstack({ dataDir: '/nonexistent', env: { ...env, SIMULATED_MODEL_STEP_SECONDS: value } }),
      ).rejects.toBeInstanceOf(DevstackError);
    }
  });
});
