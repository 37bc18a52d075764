"""The reporting subgraph has no mutations: its writes are projections of other services' events
(entrypoints/consumer.py), and the reports that record an audit event are served under Query, where the
public contract put them (entrypoints/graphql/query.py sends them through the bus as commands)."""

from __future__ import annotations

#: No Mutation type: bootstrap builds the schema from Query alone, so the subgraph SDL has none.
Mutation = None
