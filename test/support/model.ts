import type { FailureMode, FailureRule, RecordedCall, StreamPacing } from '@revmemo/model-simulator';

export interface SimulatorStats {
  calls: number;
  failure: { mode: FailureMode; remaining: number } | null;
  config: { latencyMs: number; answers: 'rules' | 'random'; seed: string } & StreamPacing;
  requests: RecordedCall[];
}

/**
 * The simulated model's control API (packages/model-simulator: /__sim/*), over HTTP as any process
 * would drive it. `modelUrl` is the OpenAI base URL the product is given (…/v1).
 */
export function simulatorControl(modelUrl: string) {
  const base = modelUrl.replace(/\/v1\/?$/, '');
  async function post(path: string, body: unknown): Promise<void> {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`simulator ${path} -> ${res.status} ${await res.text()}`);
  }
  return {
    /**
     * The next `count` completion calls fail with `mode`; `rule` narrows them to one step, makes the
     * count apply per distinct prompt, or adds Retry-After headers (FailureRule).
     */
    fail: (mode: FailureMode, count: number, rule: Omit<FailureRule, 'mode' | 'count'> = {}) =>
      post('/__sim/failures', { mode, count, ...rule }),
    /** `streamMs` / `streamChunks` pace streamed answers (StreamPacing); tests leave them at 0 = at once. */
    configure: (
      config: { latencyMs?: number; answers?: 'rules' | 'random'; seed?: string } & Partial<StreamPacing>,
    ) => post('/__sim/config', config),
    /** Every model call from now on takes this long (a slow provider). */
    setLatency: (latencyMs: number) => post('/__sim/config', { latencyMs }),
    reset: () => post('/__sim/reset', {}),
    stats,
    /** Every request answered, failed or cut by the client so far, oldest first. */
    requests: async () => (await stats()).requests,
  };
  async function stats(): Promise<SimulatorStats> {
    const res = await fetch(`${base}/__sim/stats`);
    if (!res.ok) throw new Error(`simulator /__sim/stats -> ${res.status}`);
    return (await res.json()) as SimulatorStats;
  }
}

export type SimulatorControl = ReturnType<typeof simulatorControl>;
