"""Rules of the METI Carbon Credit Report (June 2022) that more than one service applies.

Pure Python (stdlib and carbon_runtime.vocabulary only), so every service's domain layer may import
them: a rule two services both apply lives here once, and the two can never disagree on it."""
