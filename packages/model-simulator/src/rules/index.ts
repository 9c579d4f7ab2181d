import { STEPS } from '@revmemo/engine';
import type { SimSection } from '../contract-text';
import { withEvidence } from './draft';
import { readFacts } from './facts';
import { contractStep, obligationsStep } from './steps-1-2';
import { allocationStep, priceStep, recognitionStep } from './steps-3-5';

const BUILDERS = {
  contract: contractStep,
  obligations: obligationsStep,
  price: priceStep,
  allocation: allocationStep,
  recognition: recognitionStep,
} as const;

/**
 * The rule-based answer for one of the engine's step schemas, validated with the engine's own
 * zod schema so a simulator bug shows up as a simulator error, not as a mysterious repair call.
 */
export function ruleAnswer(schemaName: string, sections: SimSection[]): unknown | undefined {
  const step = STEPS.find((s) => s.name === schemaName);
  if (!step) return undefined;
  const answer = withEvidence(BUILDERS[step.key](readFacts(sections)), sections);
  return step.schema.parse(answer);
}
