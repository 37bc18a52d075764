// Fixture data for the browser tests, shaped exactly like the public schema's types (the mock
// endpoint executes the app's real queries against the API schema derived from
// gateway/supergraph.graphql, so a field that does not exist, or a value of the wrong type for a
// non-null field, fails the tests). Names follow the real exports in ../shared/data.

const pad = (n) => String(n).padStart(12, '0');
const serial = (program, cc, project, year, batch, start, end) =>
  `${program}-${cc}-${project}-${year}-${batch}-${pad(start)}-${pad(end)}`;

export const programs = [
  { id: 'JCREDIT', name: 'J-Credit Scheme', operator: 'Government of Japan (METI, MOE, MAFF)', scope: 'DOMESTIC', japanese: true, icroaEndorsed: false, correspondingAdjustmentPossible: false, allowedHostCountries: ['JP'], bufferAccountId: 'ACC-BUF-JCREDIT', methodologies: [] },
  { id: 'JCM', name: 'Joint Crediting Mechanism', operator: 'Government of Japan and partner-country Joint Committees', scope: 'BILATERAL', japanese: true, icroaEndorsed: false, correspondingAdjustmentPossible: true, allowedHostCountries: ['MN', 'VN', 'TH', 'ID'], bufferAccountId: null, methodologies: [] },
  { id: 'VCS', name: 'Verified Carbon Standard (Verra)', operator: 'Verra', scope: 'INTERNATIONAL', japanese: false, icroaEndorsed: true, correspondingAdjustmentPossible: true, allowedHostCountries: null, bufferAccountId: 'ACC-BUF-VCS', methodologies: [] },
  { id: 'GS', name: 'Gold Standard', operator: 'Gold Standard Foundation', scope: 'INTERNATIONAL', japanese: false, icroaEndorsed: true, correspondingAdjustmentPossible: true, allowedHostCountries: null, bufferAccountId: null, methodologies: [] },
];
const program = Object.fromEntries(programs.map((p) => [p.id, p]));

const org = (id, name, country, accreditedVerifier = false) => ({ id, name, country, accreditedVerifier, accounts: [] });
const orgs = {
  ethio: org('ORG-ETH', 'Oromia Forest and Wildlife Enterprise', 'ET'),
  mongol: org('ORG-MN', 'Mongolia Solar Power LLC', 'MN'),
  forest: org('ORG-JP-F', '北海道森林組合連合会', 'JP'),
  kenya: org('ORG-KE', 'Kenya Highlands Carbon Ltd', 'KE'),
  verifier: org('ORG-VVB', '日本検証機構 (JVB)', 'JP', true),
  verra: org('ORG-SCS', 'SCS Global Services', 'US', true),
};

const meth = (id, code, title, creditType, basis, programId, sector) => ({
  id, code, title, creditType, basis, sector, family: sector, exchangeCategory: null, program: program[programId],
});
const methods = {
  redd: meth('M-VM0015', 'VM0015', 'Avoided Unplanned Deforestation', 'REDUCTION', 'NATURE', 'VCS', 'AFOLU'),
  solar: meth('M-JCM-MN-AM003', 'MN_AM003', 'Installation of Solar Photovoltaic Power System', 'REDUCTION', 'TECHNOLOGY', 'JCM', 'Energy'),
  forest: meth('M-FO-001', 'FO-001', '森林経営活動', 'REMOVAL', 'NATURE', 'JCREDIT', 'Forestry'),
  cook: meth('M-GS-COOK', 'GS-TPDDTEC', 'Technologies and Practices to Displace Decentralized Thermal Energy', 'REDUCTION', 'TECHNOLOGY', 'GS', 'Energy'),
  biochar: meth('M-JC-AG-004', 'AG-004', 'バイオ炭の農地施用', 'REMOVAL', 'TECHNOLOGY', 'JCREDIT', 'Agriculture'),
};

const USES = ['SHK_MANDATORY', 'SHK_VOLUNTARY', 'GX_LEAGUE', 'PUBLIC_PROCUREMENT', 'KEIDANREN_DOMESTIC', 'CORSIA', 'SBTI_NEUTRALIZATION'];
function eligibility(category, { corsia = false, removal = false, jcredit = false } = {}) {
  const accept = {
    SHK_MANDATORY: category === 'NDC_CONTRIBUTING',
    SHK_VOLUNTARY: true,
    GX_LEAGUE: category !== 'GLOBAL',
    PUBLIC_PROCUREMENT: category !== 'GLOBAL',
    KEIDANREN_DOMESTIC: jcredit,
    CORSIA: corsia,
    SBTI_NEUTRALIZATION: removal,
  };
  const reason = {
    SHK_MANDATORY: accept.SHK_MANDATORY ? 'Category (1) credits may adjust SHK emissions (report 6.1.1 A).' : 'SHK mandatory reporting accepts category (1) only.',
    SHK_VOLUNTARY: 'Voluntary reporting accepts categories (1)–(4) with disclosure.',
    GX_LEAGUE: accept.GX_LEAGUE ? 'GX League accepts categories (1)–(3).' : 'GX League does not accept category (4).',
    PUBLIC_PROCUREMENT: accept.PUBLIC_PROCUREMENT ? 'Green Purchasing Act accepts categories (1)–(3).' : 'Public procurement does not accept category (4).',
    KEIDANREN_DOMESTIC: jcredit ? 'J-Credit is accepted by the Keidanren action plan pillar 1.' : 'Only J-Credit and JCM credits count for pillar 1.',
    CORSIA: corsia ? 'Eligible unit: registered after 2016-01-01 with a corresponding adjustment.' : 'Vintage 2021 or later needs a corresponding adjustment for CORSIA.',
    SBTI_NEUTRALIZATION: removal ? 'Removal credits may neutralize residual emissions.' : 'Only removal credits neutralize residual emissions.',
  };
  return USES.map((use) => ({ use, eligible: accept[use], reason: reason[use], rulesetVersion: '2026.1', ruleIds: [`${use}.category`] }));
}

const projects = [];
const batches = [];
const reports = [];
const retirementsByBatch = new Map();
export const certificates = new Map();

function addProject(p) {
  const project = {
    region: null, originProjectId: null, creditingPeriodStart: null, creditingPeriodEnd: null, registeredOn: null,
    reversalRisk: null, reversalShortfall: 0, coBenefits: [], verifier: null, monitoringReports: [], batches: [], ...p,
  };
  projects.push(project);
  return project;
}

function addBatch(project, { id, vintage, quantity, buffer = 0, category, ca = false, issuedAt, start = 1, verified, elig }) {
  const report = {
    id: `MR-${id}`,
    periodStart: `${vintage}-01-01`,
    periodEnd: `${vintage}-12-31`,
    baselineEmissions: String(quantity * 2),
    projectEmissions: String(quantity),
    leakageEmissions: '0',
    projectRemovals: null,
    baselineRemovals: null,
    netQuantity: String(quantity),
    claimedQuantity: quantity,
    verifiedQuantity: verified ?? quantity,
    status: 'VERIFIED',
    project,
    verifier: project.verifier,
  };
  const [prog, cc, pid] = [project.program.id, project.country, project.id.replace(/[^A-Z0-9]/g, '')];
  const batch = {
    id,
    vintageStart: `${vintage}-01-01`,
    vintageEnd: `${vintage}-12-31`,
    issuedQuantity: quantity,
    bufferQuantity: buffer,
    serialStart: serial(prog, cc, pid, vintage, id, start, start),
    serialEnd: serial(prog, cc, pid, vintage, id, start + quantity - 1, start + quantity - 1),
    creditType: project.methodology.creditType,
    basis: project.methodology.basis,
    category,
    correspondingAdjustment: ca,
    issuedAt,
    authorization: ca ? 'LoA MN-JP-2024-017 (NDC, OIMP)' : '',
    exchangeCategory: null,
    holderAccountId: `ACC-${project.proponent.id}`,
    project,
    monitoringReport: report,
    retiredQuantity: 0,
    eligibility: elig,
    tradedQuantity: 0,
    _serial: { prog, cc, pid, vintage, start },
  };
  reports.push(report);
  project.monitoringReports.push(report);
  project.batches.push(batch);
  batches.push(batch);
  retirementsByBatch.set(id, []);
  return batch;
}

let certSeq = 0;
function retire(batch, { id, from, to, purpose, beneficiary, year, at, ndc = false }) {
  const { prog, cc, pid, vintage, start } = batch._serial;
  const range = serial(prog, cc, pid, vintage, batch.id, start + from - 1, start + to - 1);
  certSeq += 1;
  const certificateId = `CERT-${String(certSeq).padStart(6, '0')}`;
  const r = {
    id,
    quantity: to - from + 1,
    serialRanges: [range],
    purpose,
    beneficiary,
    retirementYear: year,
    offsetEmissions: null,
    retiredAt: at,
    activityDescription: null,
    reportingPeriodStart: null,
    reportingPeriodEnd: null,
    certificateId,
    countsTowardJapanNdc: ndc,
    account: null,
    batch,
  };
  retirementsByBatch.get(batch.id).push(r);
  batch.retiredQuantity += r.quantity;
  certificates.set(certificateId, {
    id: certificateId,
    kind: 'RETIREMENT',
    quantity: r.quantity,
    serialRanges: r.serialRanges,
    beneficiary,
    purpose,
    retirementYear: year,
    batchId: batch.id,
    occurredAt: at,
    journalSequence: 1000 + certSeq,
    journalHash: `${'9f2c4e7a1b3d5f60'.repeat(4)}`.slice(0, 64 - String(certSeq).length) + certSeq,
  });
  return r;
}

// --- the named projects the tests walk through -----------------------------------------------------
export const bale = addProject({
  id: 'VCS1340',
  name: 'Bale Mountains Eco-region REDD+ project',
  country: 'ET',
  region: 'Oromia',
  status: 'REGISTERED',
  coBenefits: [13, 15, 1],
  originProjectId: 'VCS-1340',
  creditingPeriodStart: '2012-01-01',
  creditingPeriodEnd: '2031-12-31',
  registeredOn: '2017-03-14',
  reversalRisk: 'MEDIUM',
  program: program.VCS,
  methodology: methods.redd,
  proponent: orgs.ethio,
  verifier: orgs.verra,
});
export const baleBatch = addBatch(bale, {
  id: 'B1340V2020', vintage: 2020, quantity: 50000, buffer: 5000, category: 'GLOBAL', issuedAt: '2024-04-03T01:00:00Z',
  elig: eligibility('GLOBAL'),
});
const bale2021 = addBatch(bale, {
  id: 'B1340V2021', vintage: 2021, quantity: 30000, buffer: 3000, category: 'JAPAN_ECONOMY', issuedAt: '2025-06-10T02:00:00Z',
  elig: eligibility('JAPAN_ECONOMY'),
});
export const baleRetirement = retire(baleBatch, {
  id: 'RET-0001', from: 5001, to: 7500, purpose: 'VOLUNTARY_OFFSET', beneficiary: 'ANA ホールディングス株式会社', year: 2025, at: '2025-02-10T05:30:00Z',
});
retire(baleBatch, { id: 'RET-0002', from: 12001, to: 14000, purpose: 'PRODUCT_OFFSET', beneficiary: 'Ethiopian Coffee Roasters', year: 2025, at: '2025-07-01T09:00:00Z' });
retire(bale2021, { id: 'RET-0003', from: 3001, to: 4000, purpose: 'NET_ZERO_NEUTRALIZATION', beneficiary: 'Example Corp.', year: 2026, at: '2026-01-15T00:00:00Z' });
// Cancellations and NDC use are only visible as quantities (retiredQuantity beyond the retirements).
baleBatch.retiredQuantity += 1200;
baleBatch.tradedQuantity = 8000;

const solar = addProject({
  id: 'JCMMN0007',
  name: 'ウランバートル 10MW 太陽光発電プロジェクト',
  country: 'MN',
  status: 'REGISTERED',
  coBenefits: [7, 13],
  creditingPeriodStart: '2021-01-01',
  creditingPeriodEnd: '2030-12-31',
  registeredOn: '2021-09-01',
  program: program.JCM,
  methodology: methods.solar,
  proponent: orgs.mongol,
  verifier: orgs.verifier,
});
const solarBatch = addBatch(solar, {
  id: 'BJCM2023', vintage: 2023, quantity: 12000, category: 'NDC_CONTRIBUTING', ca: true, issuedAt: '2024-11-20T03:00:00Z',
  elig: eligibility('NDC_CONTRIBUTING', { corsia: true, jcredit: true }),
});
retire(solarBatch, { id: 'RET-0004', from: 1, to: 4000, purpose: 'SHK_ADJUSTMENT', beneficiary: '東京電力エナジーパートナー株式会社', year: 2024, at: '2025-05-20T01:00:00Z', ndc: true });

const hokkaido = addProject({
  id: 'JCR0123',
  name: '十勝地域 森林経営活動による CO2 吸収プロジェクト',
  country: 'JP',
  region: '北海道',
  status: 'REGISTERED',
  coBenefits: [15],
  creditingPeriodStart: '2019-04-01',
  creditingPeriodEnd: '2027-03-31',
  registeredOn: '2019-06-20',
  reversalRisk: 'LOW',
  program: program.JCREDIT,
  methodology: methods.forest,
  proponent: orgs.forest,
  verifier: orgs.verifier,
});
const hokBatch = addBatch(hokkaido, {
  id: 'BJCR2022', vintage: 2022, quantity: 8000, buffer: 400, category: 'NDC_CONTRIBUTING', issuedAt: '2023-09-01T00:00:00Z',
  elig: eligibility('NDC_CONTRIBUTING', { jcredit: true, removal: true }),
});
retire(hokBatch, { id: 'RET-0005', from: 401, to: 1400, purpose: 'SHK_ADJUSTMENT', beneficiary: '北海道電力株式会社', year: 2023, at: '2024-03-15T02:00:00Z' });

const kenya = addProject({
  id: 'GS11603',
  name: 'Kenya Efficient Cookstoves Programme',
  country: 'KE',
  status: 'REGISTERED',
  coBenefits: [3, 5, 7, 13],
  originProjectId: 'GS-11603',
  registeredOn: '2020-02-11',
  program: program.GS,
  methodology: methods.cook,
  proponent: orgs.kenya,
  verifier: orgs.verra,
});
addBatch(kenya, { id: 'BGS2022', vintage: 2022, quantity: 20000, category: 'GLOBAL', issuedAt: '2023-05-05T00:00:00Z', elig: eligibility('GLOBAL') });

addProject({
  id: 'JCR0456',
  name: '岩手県 バイオ炭農地施用プロジェクト',
  country: 'JP',
  status: 'UNDER_VALIDATION',
  program: program.JCREDIT,
  methodology: methods.biochar,
  proponent: orgs.forest,
  verifier: orgs.verifier,
});

// --- more projects, so that search, filters and paging have something to do -------------------------
const COUNTRIES = ['ID', 'VN', 'TH', 'BR', 'IN', 'CN', 'US', 'PE', 'KH', 'LA'];
const STATUSES = ['REGISTERED', 'REGISTERED', 'VALIDATED', 'UNDER_VALIDATION', 'DRAFT', 'WITHDRAWN'];
const EXTRA_METHODS = [methods.redd, methods.cook, methods.solar, methods.forest];
for (let n = 1; n <= 26; n++) {
  const m = EXTRA_METHODS[n % EXTRA_METHODS.length];
  const p = addProject({
    id: `VCS${2000 + n}`,
    name: `${['Mangrove Restoration', 'Rice Husk Power', 'Improved Forest Management', 'Landfill Gas Recovery'][n % 4]} Project ${n}`,
    country: COUNTRIES[n % COUNTRIES.length],
    status: STATUSES[n % STATUSES.length],
    originProjectId: `VCS-${2000 + n}`,
    registeredOn: STATUSES[n % STATUSES.length] === 'REGISTERED' ? `20${10 + (n % 14)}-0${1 + (n % 9)}-15` : null,
    program: m.program.id === 'JCREDIT' ? program.VCS : m.program,
    methodology: m,
    proponent: orgs.kenya,
    verifier: orgs.verra,
  });
  if (p.status === 'REGISTERED') {
    addBatch(p, {
      id: `BX${n}`, vintage: 2016 + (n % 9), quantity: 1000 * n, category: n % 3 === 0 ? 'JAPAN_ECONOMY' : 'GLOBAL',
      issuedAt: `20${19 + (n % 7)}-0${1 + (n % 9)}-10T00:00:00Z`, elig: eligibility('GLOBAL'),
    });
  }
}

export const allProjects = projects;
export const allBatches = batches;
export const retirementsOf = (batchId) => retirementsByBatch.get(batchId) ?? [];

// --- market -----------------------------------------------------------------------------------------
export const instruments = [
  { id: 'INS-JCR-ENERGY', name: 'J-クレジット 省エネ・再エネ (JPY)', currency: 'JPY', tickSize: '1', lotSize: 1, referencePrice: '1600', mode: 'CONTINUOUS' },
  { id: 'INS-JCM', name: 'JCM Article 6.2 (JPY)', currency: 'JPY', tickSize: '1', lotSize: 1, referencePrice: '2500', mode: 'CALL_AUCTION' },
];

function bars(base, days, seed) {
  const out = [];
  let price = base;
  for (let d = 0; d < days; d++) {
    const day = new Date(Date.UTC(2026, 10, 2 + d));
    if (day.getUTCDay() === 0 || day.getUTCDay() === 6) continue;
    const drift = Math.round(Math.sin((d + seed) * 1.3) * 40 + ((d * 7 + seed) % 11) - 5);
    const open = price;
    const close = Math.max(100, price + drift);
    const high = Math.max(open, close) + 10 + ((d + seed) % 13);
    const low = Math.min(open, close) - 8 - ((d * 3 + seed) % 9);
    const volume = 300 + ((d * 137 + seed * 31) % 900);
    out.push({
      tradingDay: day.toISOString().slice(0, 10),
      open: String(open), high: String(high), low: String(low), close: String(close),
      volume, vwap: String(Math.round((open + close + high + low) / 4)), tradeCount: 3 + ((d + seed) % 8),
    });
    price = close;
  }
  return out;
}

export const dailyBars = { 'INS-JCR-ENERGY': bars(1600, 30, 1), 'INS-JCM': bars(2500, 30, 4) };

export const trades = Object.fromEntries(
  instruments.map((ins) => {
    const last = dailyBars[ins.id].slice(-3);
    const list = [];
    last.forEach((b, k) => {
      for (let j = 0; j < 4; j++) {
        list.push({
          id: `T-${ins.id}-${k}-${j}`,
          instrumentId: ins.id,
          price: String(Number(b.low) + ((j * 7 + k * 3) % (Number(b.high) - Number(b.low) + 1))),
          quantity: 10 * (j + 1) + k,
          settled: !(k === 2 && j === 3),
          executedAt: `${b.tradingDay}T0${1 + j}:1${k}:00Z`,
          settledAt: null,
          source: j === 2 && k === 0 ? 'TENDER' : 'EXCHANGE',
          deliveries: [],
          instrument: ins,
          batch: null,
        });
      }
    });
    return [ins.id, list.reverse()];
  }),
);

export const tenders = {
  'INS-JCR-ENERGY': [
    { id: 'TND-14', instrumentId: 'INS-JCR-ENERGY', offeredQuantity: 100000, minimumPrice: '1200', closesAt: '2026-05-20T06:00:00Z', status: 'CLOSED', bidCount: 41, soldQuantity: 82000, averageWinningPrice: '1612', awards: [{ bidId: 'b1', organizationId: 'o1', price: '1700', quantity: 30000, tradeId: 't1' }, { bidId: 'b2', organizationId: 'o2', price: '1600', quantity: 40000, tradeId: 't2' }, { bidId: 'b3', organizationId: 'o3', price: '1450', quantity: 12000, tradeId: 't3' }] },
    { id: 'TND-15', instrumentId: 'INS-JCR-ENERGY', offeredQuantity: 120000, minimumPrice: '1300', closesAt: '2026-08-25T06:00:00Z', status: 'CLOSED', bidCount: 55, soldQuantity: 120000, averageWinningPrice: '1688', awards: [{ bidId: 'b4', organizationId: 'o1', price: '1750', quantity: 50000, tradeId: 't4' }, { bidId: 'b5', organizationId: 'o4', price: '1650', quantity: 70000, tradeId: 't5' }] },
    { id: 'TND-16', instrumentId: 'INS-JCR-ENERGY', offeredQuantity: 90000, minimumPrice: '1400', closesAt: '2026-12-20T06:00:00Z', status: 'OPEN', bidCount: 12, soldQuantity: null, averageWinningPrice: null, awards: null },
  ],
  'INS-JCM': [],
};

export const venueStats = {
  'INS-JCR-ENERGY': { instrumentId: 'INS-JCR-ENERGY', exchangeVolume: 18450, exchangeVwap: '1633.4', tenderVolume: 202000, otcVolume: 35000, otcVwap: '1550', otcReportCount: 6 },
  'INS-JCM': { instrumentId: 'INS-JCM', exchangeVolume: 9200, exchangeVwap: '2540', tenderVolume: 0, otcVolume: 4000, otcVwap: '2400', otcReportCount: 2 },
};

export function marketData(instrumentId) {
  const b = dailyBars[instrumentId] ?? [];
  const last = b[b.length - 1];
  return {
    phase: 'CONTINUOUS',
    lastPrice: last?.close ?? null,
    bestBid: last ? String(Number(last.close) - 3) : null,
    bestAsk: last ? String(Number(last.close) + 4) : null,
    bids: [],
    asks: [],
    volume: b.reduce((s, x) => s + x.volume, 0),
    volume24h: last?.volume ?? 0,
    vwap: last?.vwap ?? null,
    dailyBars: b,
    indicativeAuctionPrice: null,
  };
}

for (const ins of instruments) {
  const md = marketData(ins.id);
  Object.assign(ins, { lastPrice: md.lastPrice, bestBid: md.bestBid, bestAsk: md.bestAsk });
}

// Price index per category (JST days): from the two instruments' bars.
export const priceIndex = [
  ...dailyBars['INS-JCR-ENERGY'].map((b) => ({ day: b.tradingDay, category: 'NDC_CONTRIBUTING', currency: 'JPY', vwap: b.vwap, volume: b.volume, tradeCount: b.tradeCount })),
  ...dailyBars['INS-JCM'].map((b) => ({ day: b.tradingDay, category: 'JAPAN_ECONOMY', currency: 'JPY', vwap: String(Number(b.vwap) - 900), volume: Math.round(b.volume / 2), tradeCount: 2 })),
  ...dailyBars['INS-JCM'].filter((_, k) => k % 2 === 0).map((b) => ({ day: b.tradingDay, category: 'GLOBAL', currency: 'JPY', vwap: String(Number(b.vwap) - 1700), volume: 120, tradeCount: 1 })),
];

// --- statistics ---------------------------------------------------------------------------------------
const vol = (year, program, creditType, category, quantity) => ({ year, program, creditType, category, quantity });
export const issuanceVolumes = [];
export const retirementVolumes = [];
for (let y = 2018; y <= 2026; y++) {
  const k = y - 2017;
  issuanceVolumes.push(vol(y, 'JCREDIT', 'REDUCTION', 'NDC_CONTRIBUTING', 120000 + 30000 * k));
  issuanceVolumes.push(vol(y, 'JCREDIT', 'REMOVAL', 'NDC_CONTRIBUTING', 8000 * k));
  if (y >= 2021) issuanceVolumes.push(vol(y, 'JCM', 'REDUCTION', 'NDC_CONTRIBUTING', 15000 * (y - 2020)));
  issuanceVolumes.push(vol(y, 'VCS', 'REDUCTION', 'GLOBAL', 200000 + 25000 * ((k * 7) % 5)));
  issuanceVolumes.push(vol(y, 'GS', 'REDUCTION', 'GLOBAL', 60000 + 9000 * k));
  retirementVolumes.push(vol(y, 'JCREDIT', 'REDUCTION', 'NDC_CONTRIBUTING', 70000 + 25000 * k));
  retirementVolumes.push(vol(y, 'VCS', 'REDUCTION', 'GLOBAL', 90000 + 20000 * ((k * 3) % 4)));
  retirementVolumes.push(vol(y, 'GS', 'REDUCTION', 'GLOBAL', 20000 + 6000 * k));
  if (y >= 2022) retirementVolumes.push(vol(y, 'JCM', 'REDUCTION', 'NDC_CONTRIBUTING', 4000 * (y - 2021)));
  if (y >= 2020) retirementVolumes.push(vol(y, 'JCREDIT', 'REMOVAL', 'NDC_CONTRIBUTING', 3000 * (y - 2019)));
}

export const bufferPools = {
  VCS: {
    programId: 'VCS', bufferIssued: 8000 + 0, cancelledForReversals: 1500, remaining: 6500,
    reversals: [{ reversalId: 'REV-1', projectId: 'VCS1340', batchId: 'B1340V2020', quantity: 1800, occurredOn: '2025-03-02', description: 'Illegal logging in the Harenna forest block', cancelled: 1500, shortfall: 300 }],
  },
  JCREDIT: { programId: 'JCREDIT', bufferIssued: 400, cancelledForReversals: 0, remaining: 400, reversals: [] },
};
export const bufferPool = (programId) =>
  bufferPools[programId] ?? { programId, bufferIssued: 0, cancelledForReversals: 0, remaining: 0, reversals: [] };
