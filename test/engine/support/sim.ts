import type { PipelineStage } from '@revmemo/contracts';
import { createModelClient, type PipelineInput, type PipelineResult, runPipeline } from '@revmemo/engine';
import {
  type FailureMode,
  type ModelSimulator,
  type RecordedCall,
  startModelSimulator,
} from '@revmemo/model-simulator';

/** Drives the in-process simulator over its real HTTP control API, as other processes would. */
export class SimHarness {
  private constructor(readonly sim: ModelSimulator) {}

  static async start(): Promise<SimHarness> {
    return new SimHarness(await startModelSimulator({ latencyMs: 0 }));
  }

  private base(): string {
    return `http://127.0.0.1:${this.sim.port}`;
  }

  async post(path: string, body: unknown): Promise<void> {
    const res = await fetch(`${this.base()}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path} -> ${res.status} ${await res.text()}`);
  }

  reset = () => this.post('/__sim/reset', {});
  fail = (mode: FailureMode, count: number) => this.post('/__sim/failures', { mode, count });
  configure = (config: { latencyMs?: number; answers?: 'rules' | 'random'; seed?: string }) =>
    this.post('/__sim/config', config);

  async stats(): Promise<{ calls: number; requests: RecordedCall[] }> {
    return (await fetch(`${this.base()}/__sim/stats`)).json() as Promise<{
      calls: number;
      requests: RecordedCall[];
    }>;
  }

  run(
    documentText: string,
    overrides: Partial<PipelineInput> & { timeoutMs?: number } = {},
  ): Promise<PipelineResult & { stages: PipelineStage[] }> {
    const stages: PipelineStage[] = [];
    const { timeoutMs, ...rest } = overrides;
    const client = createModelClient({
      apiKey: 'test-key',
      baseUrl: this.sim.url,
      timeoutMs: timeoutMs ?? 10_000,
    });
    return runPipeline({
      client,
      model: 'revmemo-simulated',
      documentText,
      additionalContext: null,
      fileNames: ['contract.txt'],
      maxContextTokens: 100_000,
      onStage: async (stage) => {
        stages.push(stage);
      },
      ...rest,
    }).then((r) => ({ ...r, stages }));
  }
}

/** "## ..." and "### ..." lines: the memo's structure, independent of its findings. */
export function headings(markdown: string): string[] {
  return markdown.split('\n').filter((l) => /^#{1,6} /.test(l));
}
