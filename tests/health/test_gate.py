from bootstrap.health.findings import Severity, error, gate, warning

ECC = error("gpu-ecc:3", "GPU 3 has uncorrectable ECC errors", "reset the GPU")
LINK = error("rdma-link:mlx5_3", "RDMA link mlx5_3 (rdma2) is Down", "mlxlink")
WARM = warning("gpu-throttle:1", "hw_slowdown", "check cooling")


def test_no_findings_passes() -> None:
    verdict = gate([])
    assert verdict.passed and verdict.findings == ()


def test_warnings_alone_pass() -> None:
    verdict = gate([WARM])
    assert verdict.passed
    assert verdict.warnings == (WARM,)


def test_any_error_fails_and_names_the_check() -> None:
    verdict = gate([WARM, ECC, LINK])
    assert not verdict.passed
    assert verdict.failing_checks == ("gpu-ecc:3", "rdma-link:mlx5_3")


def test_ignore_exact_name_downgrades_only_that_finding() -> None:
    verdict = gate([ECC, LINK], ignore={"gpu-ecc:3"})
    assert not verdict.passed
    assert verdict.failing_checks == ("rdma-link:mlx5_3",)
    downgraded = verdict.findings[0]
    assert downgraded.severity is Severity.WARNING and downgraded.ignored_by == "gpu-ecc:3"


def test_ignore_family_downgrades_every_subject() -> None:
    other = error("rdma-link:mlx5_4", "Down", "mlxlink")
    verdict = gate([LINK, other], ignore=["rdma-link"])
    assert verdict.passed
    assert {f.ignored_by for f in verdict.findings} == {"rdma-link"}


def test_ignore_all_and_case_insensitive() -> None:
    assert gate([ECC, LINK], ignore=["ALL"]).passed
    assert gate([ECC], ignore=["GPU-ECC"]).passed


def test_every_finding_carries_a_remedy() -> None:
    assert all(f.remedy for f in gate([ECC, LINK, WARM]).findings)
