import type { PipelineStage } from '@revmemo/contracts';
import {
  createModelClient,
  MEMO_SECTIONS,
  MEMO_TITLE,
  NOT_PERFORMED_TITLE,
  type PipelineInput,
  type PipelineResult,
  runPipeline,
  STEPS,
} from '@revmemo/engine';
import {
  type FailureMode,
  type ModelSimulator,
  type RecordedCall,
  startModelSimulator,
} from '@revmemo/model-simulator';
import { type SimulatorControl, simulatorControl } from '../../support/model';

/** Runs the engine against an in-process simulator, driven over its real HTTP control API. */
export class SimHarness {
  private readonly control: SimulatorControl;

  private constructor(readonly sim: ModelSimulator) {
    this.control = simulatorControl(sim.url);
  }

  static async start(): Promise<SimHarness> {
    return new SimHarness(await startModelSimulator({ latencyMs: 0 }));
  }

  reset = () => this.control.reset();
  fail = (mode: FailureMode, count: number) => this.control.fail(mode, count);
  configure = (config: { latencyMs?: number; answers?: 'rules' | 'random'; seed?: string }) =>
    this.control.configure(config);

  async stats(): Promise<{ calls: number; requests: RecordedCall[] }> {
    return this.control.stats();
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
      // As the worker runs it by default: a step's answer streams when someone follows its progress.
      onPartial: () => undefined,
      ...rest,
    }).then((r) => ({ ...r, stages }));
  }
}

/** "## ..." and "### ..." lines: the memo's structure, independent of its findings. */
export function headings(markdown: string): string[] {
  return markdown.split('\n').filter((l) => /^#{1,6} /.test(l));
}

/** The fixed structure of a memo: all five steps, or step 1 alone when it found no contract. */
export function memoHeadings(complete = true): string[] {
  const s = MEMO_SECTIONS;
  const step = (title: string) => [`## ${title}`, '### Analysis', '### Conclusion'];
  return [
    `# ${MEMO_TITLE}`,
    ...[s.summary, s.keyIssues, s.purpose, s.background, s.documents].map((t) => `## ${t}`),
    ...(complete
      ? [
          ...STEPS.flatMap((x) => step(x.title)),
          ...[s.table, s.schedule, s.disclosures].map((t) => `## ${t}`),
        ]
      : [...step(STEPS[0].title), `## ${NOT_PERFORMED_TITLE}`]),
    ...[s.assumptions, s.openItems, s.appendix, s.signOff, s.disclaimer].map((t) => `## ${t}`),
  ];
}
