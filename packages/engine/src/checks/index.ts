import { checkEvidence, type Source } from '../steps/evidence';
import { type AnalysisSteps, STEPS, type StepKey } from '../steps/schemas';
import type { Flag } from './flags';
import { checkNumbers, type NumbersCheck } from './numbers';

export interface Review {
  /** In step order: arithmetic and link flags, then evidence flags. */
  flags: Flag[];
  /** Null when step 1 ended the analysis. */
  numbers: NumbersCheck | null;
}

/**
 * Everything code can check in the answers, as flags: numbers and obligation links
 * (`checkNumbers`), quotes against their sections, and key findings that cite nothing. Pure and
 * deterministic, so a resumed run flags exactly what an uninterrupted one does.
 */
export function reviewAnalysis(steps: AnalysisSteps, sources: Source[]): Review {
  const byId = new Map(sources.map((s) => [s.id, s]));
  const flags: Flag[] = [];
  let numbers: NumbersCheck | null = null;
  if (steps.obligations && steps.price && steps.allocation) {
    const checked = checkNumbers(steps.obligations, steps.price, steps.allocation, steps.recognition);
    numbers = checked.numbers;
    flags.push(...checked.flags);
  }
  for (const step of STEPS) {
    const answer = steps[step.key];
    if (!answer) continue;
    for (const e of checkEvidence(answer, byId))
      flags.push({
        kind: e.problem,
        step: step.key,
        path: e.path,
        message:
          e.problem === 'unknown_section'
            ? `Cites ${e.sectionId}, which is not a section of the documents (at ${e.path}).`
            : `The quote "${e.quote}" is not in ${e.sectionId} (at ${e.path}); check the finding against the document.`,
      });
    flags.push(...unsupported(step.key, steps));
  }
  return { flags: order(flags), numbers };
}

/** Key findings that cite no evidence at all: a conclusion the reader cannot trace. */
function unsupported(key: StepKey, steps: AnalysisSteps): Flag[] {
  const out: Flag[] = [];
  const flag = (what: string, path: string) =>
    out.push({ kind: 'no_evidence', step: key, path, message: `${what} cites no evidence.` });
  if (key === 'contract') {
    for (const k of ['a', 'b', 'c', 'd', 'e'] as const) {
      const c = steps.contract.criteria[k];
      if (c.status !== 'unclear' && c.evidence.length === 0)
        flag(`Existence criterion (${k}) is concluded "${c.status}" but`, `criteria.${k}`);
    }
  }
  if (key === 'obligations')
    steps.obligations?.performanceObligations.forEach((p, i) => {
      if (p.evidence.length === 0) flag(`Performance obligation ${p.id}`, `performanceObligations[${i}]`);
    });
  if (key === 'price' && steps.price) {
    const tp = steps.price.transactionPrice;
    if (tp.amount !== null && tp.evidence.length === 0) flag('The transaction price', 'transactionPrice');
  }
  if (key === 'allocation')
    steps.allocation?.allocations.forEach((a, i) => {
      if (a.allocatedAmount !== null && a.evidence.length === 0 && a.sspBasis !== 'not_determinable')
        flag(`The standalone selling price of ${a.performanceObligationId}`, `allocations[${i}]`);
    });
  if (key === 'recognition')
    steps.recognition?.recognition.forEach((r, i) => {
      if (r.pattern !== 'unclear' && r.evidence.length === 0)
        flag(`The recognition pattern of ${r.performanceObligationId}`, `recognition[${i}]`);
    });
  return out;
}

function order(flags: Flag[]): Flag[] {
  const rank = new Map(STEPS.map((s, i) => [s.key, i]));
  return flags
    .map((f, i) => ({ f, i }))
    .sort((a, b) => (rank.get(a.f.step) ?? 0) - (rank.get(b.f.step) ?? 0) || a.i - b.i)
    .map(({ f }) => f);
}
