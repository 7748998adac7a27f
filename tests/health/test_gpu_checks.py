"""GPU checks both ways: real H200 table, derived 8-GPU XML, and faults derived from them."""

from __future__ import annotations

from bootstrap.health.checks import gpu, xid
from bootstrap.health.findings import Severity
from bootstrap.health.node_facts import NodeFacts, RawFact
from tests.health.conftest import H100, H200, case, fact_case, read, shared, two_gpu


def facts(**raw: str) -> NodeFacts:
    return NodeFacts("gpu-1", {k.replace("_", "-"): RawFact(v) for k, v in raw.items()})


def table(name: str) -> NodeFacts:
    return facts(nvidia_smi=read(name))  # type: ignore[arg-type]


def xml(path: object) -> NodeFacts:
    return NodeFacts("gpu-1", {"nvidia-smi-xml": RawFact(read(path))})  # type: ignore[arg-type]


def test_real_h200_table_passes_count_model_ecc() -> None:
    f = NodeFacts(
        "n", {"nvidia-smi": RawFact(read(shared("nvidia_smi_BM.GPU.H200.8_driver570.txt")))}
    )
    assert gpu.check_count(f, H200) == []
    assert gpu.check_model(f, H200) == []
    assert gpu.check_ecc(f, H200) == []
    assert gpu.check_persistence(f, H200) == []


def test_table_lacks_pcie_and_row_remap_so_they_are_errors_not_passes() -> None:
    f = NodeFacts(
        "n", {"nvidia-smi": RawFact(read(shared("nvidia_smi_BM.GPU.H200.8_driver570.txt")))}
    )
    for check in (gpu.check_pcie, gpu.check_row_remap):
        [finding] = check(f, H200)
        assert finding.severity is Severity.ERROR
        assert "not reported" in finding.message and "nvidia-smi -q -x" in finding.remedy


def test_wrong_model_for_shape() -> None:
    f = NodeFacts(
        "n", {"nvidia-smi": RawFact(read(shared("nvidia_smi_BM.GPU.H200.8_driver570.txt")))}
    )
    [finding] = gpu.check_model(f, H100)
    assert finding.check == "gpu-model" and "H100" in finding.message


def test_seven_gpus_is_gpu_count_error() -> None:
    f = NodeFacts("n", {"nvidia-smi": RawFact(read(fact_case("nvidia_smi_H200_7_gpus.txt")))})
    [finding] = gpu.check_count(f, H200)
    assert finding.check == "gpu-count" and "7 GPUs" in finding.message
    assert "quarantine" in finding.remedy


def test_table_ecc_error_names_the_gpu() -> None:
    f = NodeFacts(
        "n", {"nvidia-smi": RawFact(read(fact_case("nvidia_smi_H200_gpu3_ecc_uncorrectable.txt")))}
    )
    [finding] = gpu.check_ecc(f, H200)
    assert finding.check == "gpu-ecc:3" and finding.severity is Severity.ERROR


def test_healthy_8gpu_xml_passes_every_gpu_check() -> None:
    f = xml(case("nvidia_smi_q_x_H200_8gpus.xml"))
    for check in (gpu.check_count, gpu.check_model, gpu.check_ecc, gpu.check_row_remap,
                  gpu.check_pcie, gpu.check_throttle, gpu.check_persistence):  # fmt: skip
        assert check(f, H200) == [], check.__name__


def test_xml_ecc_and_pending_row_remap_and_throttle() -> None:
    f = xml(fact_case("nvidia_smi_q_x_gpu1_ecc_row_remap.xml"))
    shape = two_gpu()
    assert [x.check for x in gpu.check_ecc(f, shape)] == ["gpu-ecc:1"]
    [remap] = gpu.check_row_remap(f, shape)
    assert remap.check == "gpu-row-remap:1" and "pending" in remap.message
    assert "reboot" in remap.remedy
    [throttle] = gpu.check_throttle(f, shape)
    assert throttle.severity is Severity.WARNING and "hw_slowdown" in throttle.message


def test_pcie_x8_is_an_error_for_that_gpu() -> None:
    f = xml(fact_case("nvidia_smi_q_x_gpu1_pcie_x8.xml"))
    [finding] = gpu.check_pcie(f, two_gpu())
    assert finding.check == "gpu-pcie:1" and "x8" in finding.message
    assert gpu.check_pcie(xml(fact_case("nvidia_smi_q_x_H200_handwritten.xml")), two_gpu()) == []


def test_missing_row_remap_field_is_an_error() -> None:
    f = xml(fact_case("nvidia_smi_q_x_missing_remapped_rows.xml"))
    [finding] = gpu.check_row_remap(f, two_gpu())
    assert finding.severity is Severity.ERROR and finding.check == "gpu-row-remap"


def test_xid_events_classified() -> None:
    f = NodeFacts("n", {"xid": RawFact(read(fact_case("xid_dmesg_handwritten.txt")))})
    findings = xid.check_xid(f, H200)
    assert findings, "the hand-written dmesg has Xid lines"
    assert all(x.check.startswith("gpu-xid:") and x.remedy for x in findings)
    assert (
        xid.check_xid(NodeFacts("n", {"xid": RawFact(read(fact_case("xid_none.txt")))}), H200) == []
    )


def test_xid_79_is_an_error_and_13_a_warning() -> None:
    text = (
        "[Tue Nov 25 10:11:12 2025] NVRM: Xid (PCI:0000:0f:00): 79, pid=1, "
        "GPU has fallen off the bus.\n"
        "[Tue Nov 25 10:11:13 2025] NVRM: Xid (PCI:0000:2d:00): 13, pid=2, Graphics Exception\n"
        "# gpufleet: end of xid scan\n"
    )
    findings = {x.check: x for x in xid.check_xid(NodeFacts("n", {"xid": RawFact(text)}), H200)}
    assert findings["gpu-xid:79"].severity is Severity.ERROR
    assert findings["gpu-xid:13"].severity is Severity.WARNING
