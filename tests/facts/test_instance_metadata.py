"""InstanceMetadata from the recorded IMDS /opc/v2/instance/ of a BM.GPU.H100.8."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.instance_metadata import parse


def test_instance_recorded(fixture_text):
    meta = parse(fixture_text("imds_v2_instance_BM.GPU.H100.8.json"))
    assert meta.shape == "BM.GPU.H100.8"
    assert (meta.display_name, meta.hostname) == ("BIO-2334XLG08T", "bio-2334xlg08t")
    assert meta.availability_domain == "kWVD:US-rekharoy-1-AD-3"
    assert meta.fault_domain == "FAULT-DOMAIN-1" and meta.state == "Running"
    assert meta.freeform_tags == {"hostSerial": "2334XLG08T"}
    assert meta.plugins["Compute HPC RDMA Auto-Configuration"] == "ENABLED"
    assert len(meta.plugins) == 3


def test_missing_shape(case_text):
    with pytest.raises(FactParseError, match="shape"):
        parse(case_text("imds_instance_missing_shape.json"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ('{"id": "i", "shape": "s", "freeformTags": {"a": 1}}', "freeformTags"),
        ('{"id": "i", "shape": "s", "agentConfig": {"pluginsConfig": {}}}', "pluginsConfig"),
        ('{"id": "i", "shape": "BM.GPU.H100.8", "dis', "JSON"),
    ],
)
def test_bad_input(text, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(text)
