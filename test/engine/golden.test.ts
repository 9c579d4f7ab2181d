import { SIMULATED_MODEL } from '@revmemo/config';
import { PIPELINE_STAGES } from '@revmemo/contracts';
import { SIMULATED_NOTICE, STEPS, SYSTEM_PROMPT, stepFor, strictModeProblems } from '@revmemo/engine';
import { SIMULATED_MODEL_NAME } from '@revmemo/model-simulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURE_NAMES, fixtureText } from './support/files';
import { headings, memoHeadings, SimHarness } from './support/sim';

let h: SimHarness;
beforeAll(async () => {
  h = await SimHarness.start();
});
afterAll(() => h.sim.close());
beforeEach(() => h.reset());

/** Section ids inside the fenced contract block of a recorded request. */
function sectionIdsSent(body: unknown): Set<string> {
  const user = (body as { messages: { role: string; content: string }[] }).messages.find(
    (m) => m.role === 'user',
  );
  const block = /<contract-([0-9a-f]{16})>\n([\s\S]*?)\n<\/contract-\1>/.exec(user?.content ?? '');
  return new Set([...(block?.[2] ?? '').matchAll(/^\[((?:D\d+\.)?S\d+)\] /gm)].map((m) => m[1] as string));
}

function allCitations(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allCitations);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === 'evidence' ? (v as { sectionId: string }[]).map((e) => e.sectionId) : allCitations(v),
  );
}

describe.each(FIXTURE_NAMES)('golden: %s', (name) => {
  it('produces a complete, simulated memo whose citations and requests check out', async () => {
    const text = fixtureText(name);
    const result = await h.run(text, { fileNames: [`${name}.txt`], additionalContext: 'FY2025 audit file.' });

    expect(result.stages).toEqual([...PIPELINE_STAGES]);
    expect(headings(result.memoMarkdown)).toEqual(memoHeadings());
    expect(result.simulated).toBe(true);
    expect(result.memoMarkdown).toContain(SIMULATED_NOTICE);
    expect(result.memoMarkdown).toContain(`${name}.txt`);
    expect(result.usage).toMatchObject({ model: SIMULATED_MODEL, estimatedCostUsd: 0 });
    expect(result.usage.promptTokens).toBeGreaterThan(1000);
    expect(result.usage.completionTokens).toBeGreaterThan(100);

    // Every citation names a real section and quotes it, and every step cites something.
    const ids = new Set(result.analysis.sections.map((s) => s.id));
    expect(result.analysis.droppedCitations).toBe(0);
    expect(
      result.structured.flags.filter((f) => f.kind === 'quote_not_found' || f.kind === 'unknown_section'),
    ).toEqual([]);
    for (const step of STEPS) {
      const cited = allCitations(result.analysis.steps[step.key]);
      expect(cited.length, step.key).toBeGreaterThan(0);
      for (const id of cited) expect(ids.has(id), `${step.key} cites ${id}`).toBe(true);
    }
    expect(result.memoMarkdown).toMatch(/\(S\d+\)/);

    // What went over the wire: one strict json_schema request per step, in order, each answer valid.
    const { calls, requests } = await h.stats();
    expect(calls).toBe(5);
    expect(
      requests.map(
        (r) =>
          (r.body as { response_format: { json_schema: { name: string } } }).response_format.json_schema.name,
      ),
    ).toEqual(STEPS.map((s) => s.name));
    requests.forEach((r, i) => {
      const step = STEPS[i];
      if (!step) throw new Error('more requests than steps');
      const body = r.body as {
        model: string;
        messages: { role: string; content: string }[];
        response_format: { type: string; json_schema: { name: string; strict: boolean; schema: unknown } };
      };
      expect(body.model).toBe('revmemo-simulated');
      expect(body.response_format.type).toBe('json_schema');
      expect(body.response_format.json_schema.strict).toBe(true);
      expect(body.response_format.json_schema.schema).toEqual(
        stepFor(step.key, result.analysis.steps.obligations).jsonSchema,
      );
      expect(strictModeProblems(body.response_format.json_schema.schema)).toEqual([]);
      expect(body.messages[0]).toEqual({ role: 'system', content: SYSTEM_PROMPT });
      expect(r.outcome).toBe('ok');
      const answer = step.schema.parse(JSON.parse(r.content ?? ''));
      const sent = sectionIdsSent(r.body);
      expect(sent).toEqual(ids);
      for (const id of allCitations(answer)) expect(sent.has(id)).toBe(true);
    });
  });
});

describe('simulator', () => {
  it('answers deterministically and names itself like the config says', async () => {
    const text = fixtureText('saas-subscription');
    const a = await h.run(text);
    const b = await h.run(text);
    expect(b.memoMarkdown).toBe(a.memoMarkdown);
    expect(SIMULATED_MODEL_NAME).toBe(SIMULATED_MODEL);
  });

  it('finds the facts a reader would in the SaaS contract', async () => {
    const { analysis } = await h.run(fixtureText('saas-subscription'));
    const { contract, obligations, price } = analysis.steps;
    if (!obligations || !price) throw new Error('the analysis stopped at step 1');
    expect(contract.parties.map((p) => [p.name, p.role])).toEqual([
      ['Northwind Analytics, Inc.', 'vendor'],
      ['Bluefin Retail LLC', 'customer'],
    ]);
    expect(contract.term.durationMonths).toBe(36);
    expect(obligations.performanceObligations).toHaveLength(2);
    expect(price.transactionPrice.amount).toBe(390_000);
    expect(price.variableConsideration.length).toBeGreaterThan(0);
  });

  it('serves plain chat completions in the OpenAI shape', async () => {
    const res = await fetch(`${h.sim.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hello there' }] }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: SIMULATED_MODEL,
      choices: [{ index: 0, message: { role: 'assistant', refusal: null }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: expect.any(Number),
        completion_tokens: expect.any(Number),
        total_tokens: expect.any(Number),
      },
    });
    const bad = await fetch(`${h.sim.url}/chat/completions`, { method: 'POST', body: '{}' });
    expect(bad.status).toBe(400);
  });
});
