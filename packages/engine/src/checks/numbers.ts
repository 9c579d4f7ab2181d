import type { AllocationStep, ObligationsStep, PriceStep, RecognitionStep } from '../steps/schemas';
import type { Flag } from './flags';

/**
 * The arithmetic a reviewer would redo by hand, done in code from the model's own inputs (the
 * transaction price and the standalone selling prices): relative-SSP allocation, the discount,
 * the totals. The model's figures are kept as answered; each difference becomes a flag.
 */
interface AllocationRow {
  obligationId: string;
  description: string;
  ssp: number | null;
  allocated: number | null;
  /** Transaction price × SSP ÷ ΣSSP, when every SSP and the price are known. */
  relativeSsp: number | null;
}

export interface NumbersCheck {
  transactionPrice: number | null;
  rows: AllocationRow[];
  totalSsp: number | null;
  totalAllocated: number | null;
  /** ΣSSP − transaction price, when both are known. */
  impliedDiscount: number | null;
}

/** Differences below this are rounding: one currency unit, or 0.1 % of the price. */
function tolerance(price: number | null): number {
  return Math.max(1, Math.abs(price ?? 0) * 0.001);
}

const sumOrNull = (xs: (number | null)[]): number | null =>
  xs.length > 0 && xs.every((x) => x !== null) ? xs.reduce<number>((a, x) => a + (x as number), 0) : null;

export function checkNumbers(
  obligations: ObligationsStep,
  price: PriceStep,
  allocation: AllocationStep,
  recognition: RecognitionStep | undefined,
): { numbers: NumbersCheck; flags: Flag[] } {
  const flags: Flag[] = [];
  const known = new Map(obligations.performanceObligations.map((p) => [p.id, p.description]));

  for (const a of allocation.allocations)
    if (!known.has(a.performanceObligationId))
      flags.push({
        kind: 'unknown_obligation',
        step: 'allocation',
        message: `The allocation names ${a.performanceObligationId}, which step 2 did not identify; its amounts are left out of the recomputation.`,
      });
  for (const r of recognition?.recognition ?? [])
    if (!known.has(r.performanceObligationId))
      flags.push({
        kind: 'unknown_obligation',
        step: 'recognition',
        message: `The recognition analysis names ${r.performanceObligationId}, which step 2 did not identify.`,
      });
  for (const [id, description] of known) {
    if (!allocation.allocations.some((a) => a.performanceObligationId === id))
      flags.push({
        kind: 'missing_obligation',
        step: 'allocation',
        message: `No transaction price was allocated to ${id} (${description}).`,
      });
    if (recognition && !recognition.recognition.some((r) => r.performanceObligationId === id))
      flags.push({
        kind: 'missing_obligation',
        step: 'recognition',
        message: `No recognition pattern was given for ${id} (${description}).`,
      });
  }

  const tp = price.transactionPrice.amount;
  const tol = tolerance(tp);
  // The fixed amounts and the constrained variable amounts included up front make the price.
  const fixed = sumOrNull(price.fixedConsideration.map((f) => f.amount));
  const includedVariable = price.variableConsideration.filter((v) => v.treatment === 'estimated_in_price');
  const variable = sumOrNull(includedVariable.map((v) => v.constrainedAmount));
  const parts =
    fixed === null || (includedVariable.length > 0 && variable === null) ? null : fixed + (variable ?? 0);
  if (tp !== null && parts !== null && price.fixedConsideration.length > 0 && Math.abs(parts - tp) > tol)
    flags.push({
      kind: 'price_does_not_add_up',
      step: 'price',
      message: `Fixed consideration plus constrained variable consideration included in the price is ${fmt(parts)}, but the transaction price is ${fmt(tp)}.`,
    });
  for (const v of price.variableConsideration)
    if (
      v.unconstrainedEstimate !== null &&
      v.constrainedAmount !== null &&
      Math.abs(v.constrainedAmount) > Math.abs(v.unconstrainedEstimate) + tol
    )
      flags.push({
        kind: 'constraint_exceeds_estimate',
        step: 'price',
        message: `The constrained amount of "${v.description}" (${fmt(v.constrainedAmount)}) exceeds its unconstrained estimate (${fmt(v.unconstrainedEstimate)}).`,
      });

  const rows = allocation.allocations
    .filter((a) => known.has(a.performanceObligationId))
    .map((a) => ({
      obligationId: a.performanceObligationId,
      description: known.get(a.performanceObligationId) ?? '',
      ssp: a.standaloneSellingPrice,
      allocated: a.allocatedAmount,
      relativeSsp: null as number | null,
      residual: a.sspBasis === 'residual',
    }));
  const totalSsp = sumOrNull(rows.map((r) => r.ssp));
  const totalAllocated = sumOrNull(rows.map((r) => r.allocated));
  if (tp !== null && totalAllocated !== null && Math.abs(totalAllocated - tp) > tol)
    flags.push({
      kind: 'allocation_does_not_foot',
      step: 'allocation',
      message: `The allocated amounts add up to ${fmt(totalAllocated)}, but the transaction price is ${fmt(tp)} (difference ${fmt(totalAllocated - tp)}).`,
    });
  if (tp !== null && totalSsp !== null && totalSsp > 0 && !rows.some((r) => r.residual)) {
    for (const r of rows) {
      r.relativeSsp = round2((tp * (r.ssp as number)) / totalSsp);
      if (r.allocated !== null && Math.abs(r.allocated - r.relativeSsp) > tol)
        flags.push({
          kind: 'allocation_differs_from_relative_ssp',
          step: 'allocation',
          message: `${r.obligationId} is allocated ${fmt(r.allocated)}; relative standalone selling prices give ${fmt(r.relativeSsp)}. Document why (a discount or variable consideration allocated to one obligation, ASC 606-10-32-37 or 32-40) or correct it.`,
        });
    }
  }
  const impliedDiscount = tp !== null && totalSsp !== null ? round2(totalSsp - tp) : null;
  const d = allocation.discount;
  if (impliedDiscount !== null) {
    if (d.amount !== null && Math.abs(d.amount - impliedDiscount) > tol)
      flags.push({
        kind: 'discount_differs',
        step: 'allocation',
        message: `The discount is stated as ${fmt(d.amount)}; the standalone selling prices (${fmt(totalSsp as number)}) less the transaction price (${fmt(tp as number)}) give ${fmt(impliedDiscount)}.`,
      });
    else if (d.amount === null && d.present !== 'yes' && impliedDiscount > tol)
      flags.push({
        kind: 'discount_differs',
        step: 'allocation',
        message: `No discount was identified, but the standalone selling prices exceed the transaction price by ${fmt(impliedDiscount)} (ASC 606-10-32-36).`,
      });
  }
  return {
    numbers: {
      transactionPrice: tp,
      rows: rows.map(({ residual: _, ...r }) => r),
      totalSsp,
      totalAllocated,
      impliedDiscount,
    },
    flags,
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
function fmt(n: number): string {
  return numberFormat.format(n);
}
