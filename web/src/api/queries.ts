// Every operation the explorer sends. src/api/queries.test.ts validates each of them against the
// API schema derived from gateway/supergraph.graphql (and the gateway's depth/alias limits), and the
// browser tests' mock endpoint executes them against that same schema, so they cannot drift.
// Only anonymous, public fields are read.

export const PAGE_SIZE = 500; // the graph's maximum page size

export const HOME_QUERY = /* GraphQL */ `
  query ExplorerHome {
    creditMarketStatistics {
      issuance { quantity }
      retirements { quantity }
    }
    instruments { id }
  }
`;

export const PROGRAMS_QUERY = /* GraphQL */ `
  query ExplorerPrograms {
    programs { id name japanese correspondingAdjustmentPossible }
  }
`;

/** The project list without cross-entity fields: fast, so the first results show at once. */
export const PROJECTS_BASIC_QUERY = /* GraphQL */ `
  query ExplorerProjectsBasic($first: Int, $after: String) {
    projects(first: $first, after: $after) {
      nodes { id name country status originProjectId registeredOn }
      endCursor
      hasNextPage
    }
  }
`;

/** The same list with program, methodology and batches (for those filters and the issued column). */
export const PROJECTS_QUERY = /* GraphQL */ `
  query ExplorerProjects($first: Int, $after: String) {
    projects(first: $first, after: $after) {
      nodes {
        id
        name
        country
        status
        originProjectId
        registeredOn
        program { id name }
        methodology { code creditType basis }
        batches { id vintageStart category issuedQuantity }
      }
      endCursor
      hasNextPage
    }
  }
`;

const BATCH_FIELDS = /* GraphQL */ `
  id
  vintageStart
  vintageEnd
  issuedQuantity
  bufferQuantity
  serialStart
  serialEnd
  creditType
  basis
  category
  correspondingAdjustment
  issuedAt
  authorization
  exchangeCategory
  retiredQuantity
  tradedQuantity
`;

export const PROJECT_QUERY = /* GraphQL */ `
  query ExplorerProject($id: ID!) {
    project(id: $id) {
      id
      name
      country
      region
      status
      coBenefits
      originProjectId
      creditingPeriodStart
      creditingPeriodEnd
      registeredOn
      reversalRisk
      reversalShortfall
      program { id name operator }
      methodology { code title creditType basis sector }
      proponent { id name }
      verifier { id name }
      monitoringReports {
        id
        periodStart
        periodEnd
        claimedQuantity
        verifiedQuantity
        status
        verifier { id name }
      }
      batches {
        ${BATCH_FIELDS}
        monitoringReport { id }
        eligibility { use eligible reason rulesetVersion }
      }
    }
  }
`;

export const RETIREMENT_FIELDS = /* GraphQL */ `
  id
  quantity
  serialRanges
  purpose
  beneficiary
  retirementYear
  retiredAt
  certificateId
  countsTowardJapanNdc
`;

export const RETIREMENTS_QUERY = /* GraphQL */ `
  query ExplorerRetirements($batchId: ID!) {
    retirements(batchId: $batchId) {
      ${RETIREMENT_FIELDS}
    }
  }
`;

export const BATCH_QUERY = /* GraphQL */ `
  query ExplorerBatch($id: ID!) {
    creditBatch(id: $id) {
      ${BATCH_FIELDS}
      project { id name country program { id name } methodology { code title } }
      monitoringReport { id periodStart periodEnd verifiedQuantity verifier { id name } }
      eligibility { use eligible reason rulesetVersion }
    }
    retirements(batchId: $id) {
      ${RETIREMENT_FIELDS}
    }
  }
`;

export const CERTIFICATE_QUERY = /* GraphQL */ `
  query ExplorerCertificate($id: ID!) {
    certificate(id: $id) {
      id
      kind
      quantity
      serialRanges
      beneficiary
      purpose
      retirementYear
      batchId
      occurredAt
      journalSequence
      journalHash
    }
    verifyCertificate(id: $id) { certificateId valid journalSequence journalHash problem }
  }
`;

export const CERTIFICATE_BATCH_QUERY = /* GraphQL */ `
  query ExplorerCertificateBatch($id: ID!) {
    creditBatch(id: $id) {
      id
      vintageStart
      vintageEnd
      category
      creditType
      basis
      correspondingAdjustment
      project { id name country program { id name } methodology { code title } }
    }
  }
`;

export const MARKET_QUERY = /* GraphQL */ `
  query ExplorerMarket {
    instruments { id name currency mode lastPrice bestBid bestAsk }
    creditMarketStatistics {
      prices { day category currency vwap volume tradeCount }
    }
  }
`;

export const INSTRUMENT_QUERY = /* GraphQL */ `
  query ExplorerInstrument($id: ID!) {
    marketData(instrumentId: $id, depth: 5) {
      phase
      lastPrice
      bestBid
      bestAsk
      volume
      volume24h
      vwap
      dailyBars { tradingDay open high low close volume vwap tradeCount }
    }
    trades(instrumentId: $id, limit: 20) { id price quantity executedAt source settled }
    tenders(instrumentId: $id) {
      id
      offeredQuantity
      minimumPrice
      closesAt
      status
      bidCount
      soldQuantity
      averageWinningPrice
      awards { price quantity }
    }
    marketStatistics(instrumentId: $id) {
      exchangeVolume
      exchangeVwap
      tenderVolume
      otcVolume
      otcVwap
      otcReportCount
    }
  }
`;

export const STATISTICS_QUERY = /* GraphQL */ `
  query ExplorerStatistics {
    programs { id name japanese }
    creditMarketStatistics {
      issuance { year program creditType category quantity }
      retirements { year program creditType category quantity }
    }
  }
`;

export const BATCHES_QUERY = /* GraphQL */ `
  query ExplorerBatches($first: Int, $after: String) {
    creditBatches(first: $first, after: $after) {
      nodes {
        id
        issuedAt
        vintageStart
        issuedQuantity
        bufferQuantity
        retiredQuantity
        creditType
        basis
        category
        correspondingAdjustment
        project { id program { id } methodology { code title } }
      }
      endCursor
      hasNextPage
    }
  }
`;

export const BUFFER_POOL_QUERY = /* GraphQL */ `
  query ExplorerBufferPool($programId: String!) {
    bufferPool(programId: $programId) {
      programId
      bufferIssued
      cancelledForReversals
      remaining
      reversals { reversalId projectId batchId quantity occurredOn description cancelled shortfall }
    }
  }
`;

/** Every operation, by name, for the schema test. */
export const ALL_QUERIES: Record<string, string> = {
  HOME_QUERY,
  PROGRAMS_QUERY,
  PROJECTS_BASIC_QUERY,
  PROJECTS_QUERY,
  PROJECT_QUERY,
  RETIREMENTS_QUERY,
  BATCH_QUERY,
  CERTIFICATE_QUERY,
  CERTIFICATE_BATCH_QUERY,
  MARKET_QUERY,
  INSTRUMENT_QUERY,
  STATISTICS_QUERY,
  BATCHES_QUERY,
  BUFFER_POOL_QUERY,
};
