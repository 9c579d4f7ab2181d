import type { EvalCase } from '../types';
import { billAndHold } from './bill-and-hold';
import { customerOption } from './customer-option';
import { significantFinancing } from './financing';
import { contractModification } from './modification';
import { payableToCustomer } from './payable-to-customer';
import { principalAgent } from './principal-agent';
import { rightOfReturn } from './right-of-return';
import { saasSetupFee } from './saas-setup-fee';
import { seriesServices } from './series';
import { softwareLicence } from './software-licence';
import { volumeDiscount } from './volume-discount';
import { warranties } from './warranty';

/** The suite, in report order. */
export const CASES: readonly EvalCase[] = [
  softwareLicence,
  saasSetupFee,
  volumeDiscount,
  billAndHold,
  principalAgent,
  seriesServices,
  contractModification,
  significantFinancing,
  customerOption,
  payableToCustomer,
  rightOfReturn,
  warranties,
];
