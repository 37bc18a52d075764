// Shapes of the query results (a hand-written subset of the public schema's types).
export type CreditType = 'REDUCTION' | 'REMOVAL';
export type CreditBasis = 'NATURE' | 'TECHNOLOGY';
export type CreditCategory = 'NDC_CONTRIBUTING' | 'DOMESTIC_REMOVAL' | 'JAPAN_ECONOMY' | 'GLOBAL';
export type ProjectStatus = 'DRAFT' | 'UNDER_VALIDATION' | 'VALIDATED' | 'REGISTERED' | 'REJECTED' | 'WITHDRAWN';

export const CREDIT_TYPES: CreditType[] = ['REDUCTION', 'REMOVAL'];
export const CREDIT_BASES: CreditBasis[] = ['NATURE', 'TECHNOLOGY'];
export const CATEGORIES: CreditCategory[] = ['NDC_CONTRIBUTING', 'DOMESTIC_REMOVAL', 'JAPAN_ECONOMY', 'GLOBAL'];
export const PROJECT_STATUSES: ProjectStatus[] = [
  'DRAFT',
  'UNDER_VALIDATION',
  'VALIDATED',
  'REGISTERED',
  'REJECTED',
  'WITHDRAWN',
];

export interface Named {
  id: string;
  name: string;
}

export interface ProjectListItem {
  id: string;
  name: string;
  country: string;
  status: ProjectStatus;
  originProjectId: string | null;
  registeredOn: string | null;
  // Absent until the enriched list has arrived (see pages/Projects.tsx).
  program?: Named;
  methodology?: { code: string; creditType: CreditType; basis: CreditBasis };
  batches?: { id: string; vintageStart: string; category: CreditCategory; issuedQuantity: number }[];
}

export interface Eligibility {
  use: string;
  eligible: boolean;
  reason: string;
  rulesetVersion: string;
}

export interface Batch {
  id: string;
  vintageStart: string;
  vintageEnd: string;
  issuedQuantity: number;
  bufferQuantity: number;
  serialStart: string;
  serialEnd: string;
  creditType: CreditType;
  basis: CreditBasis;
  category: CreditCategory;
  correspondingAdjustment: boolean;
  issuedAt: string;
  authorization: string;
  exchangeCategory: string | null;
  retiredQuantity: number;
  tradedQuantity: number;
  eligibility: Eligibility[];
}

export interface MonitoringReport {
  id: string;
  periodStart: string;
  periodEnd: string;
  claimedQuantity: number;
  verifiedQuantity: number | null;
  status: string;
  verifier: Named | null;
}

export interface ProjectDetail {
  id: string;
  name: string;
  country: string;
  region: string | null;
  status: ProjectStatus;
  coBenefits: number[];
  originProjectId: string | null;
  creditingPeriodStart: string | null;
  creditingPeriodEnd: string | null;
  registeredOn: string | null;
  reversalRisk: string | null;
  reversalShortfall: number;
  program: Named & { operator: string };
  methodology: { code: string; title: string; creditType: CreditType; basis: CreditBasis; sector: string };
  proponent: Named;
  verifier: Named | null;
  monitoringReports: MonitoringReport[];
  batches: (Batch & { monitoringReport: { id: string } })[];
}

export interface Retirement {
  id: string;
  quantity: number;
  serialRanges: string[];
  purpose: string;
  beneficiary: string;
  retirementYear: number;
  retiredAt: string;
  certificateId: string;
  countsTowardJapanNdc: boolean;
}

export interface BatchDetail extends Batch {
  project: Named & { country: string; program: Named; methodology: { code: string; title: string } };
  monitoringReport: {
    id: string;
    periodStart: string;
    periodEnd: string;
    verifiedQuantity: number | null;
    verifier: Named | null;
  };
}

export interface Certificate {
  id: string;
  kind: string;
  quantity: number;
  serialRanges: string[];
  beneficiary: string;
  purpose: string;
  retirementYear: number | null;
  batchId: string;
  occurredAt: string;
  journalSequence: number;
  journalHash: string;
}

export interface CertificateVerification {
  certificateId: string;
  valid: boolean;
  journalSequence: number | null;
  journalHash: string | null;
  problem: string | null;
}

export interface Instrument {
  id: string;
  name: string;
  currency: string;
  mode: string;
  lastPrice: string | null;
  bestBid: string | null;
  bestAsk: string | null;
}

export interface PricePoint {
  day: string;
  category: CreditCategory;
  currency: string;
  vwap: string;
  volume: number;
  tradeCount: number;
}

export interface DailyBar {
  tradingDay: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: number;
  vwap: string;
  tradeCount: number;
}

export interface Trade {
  id: string;
  price: string;
  quantity: number;
  executedAt: string;
  source: string;
  settled: boolean;
}

export interface Tender {
  id: string;
  offeredQuantity: number;
  minimumPrice: string;
  closesAt: string;
  status: string;
  bidCount: number;
  soldQuantity: number | null;
  averageWinningPrice: string | null;
  awards: { price: string; quantity: number }[] | null;
}

export interface MarketStatistics {
  exchangeVolume: number;
  exchangeVwap: string | null;
  tenderVolume: number;
  otcVolume: number;
  otcVwap: string | null;
  otcReportCount: number;
}

export interface MarketVolume {
  year: number;
  program: string;
  creditType: CreditType;
  category: CreditCategory;
  quantity: number;
}

export interface BatchStat {
  id: string;
  issuedAt: string;
  vintageStart: string;
  issuedQuantity: number;
  bufferQuantity: number;
  retiredQuantity: number;
  creditType: CreditType;
  basis: CreditBasis;
  category: CreditCategory;
  correspondingAdjustment: boolean;
  project: { id: string; program: { id: string }; methodology: { code: string; title: string } };
}

export interface BufferPool {
  programId: string;
  bufferIssued: number;
  cancelledForReversals: number;
  remaining: number;
  reversals: {
    reversalId: string;
    projectId: string;
    batchId: string | null;
    quantity: number;
    occurredOn: string;
    description: string;
    cancelled: number;
    shortfall: number;
  }[];
}
