"""Values known only on the node. A shape with no published RDMA MTU (GB200: infra/shapes.py)
renders an empty MTU, which the rdma step neither checks nor sets (the enforced way is in
test_checks.py FIXABLE); NCCL_NET_PLUGIN follows the HPC-X the image ships."""

from __future__ import annotations

from bootstrap.render.script import build_context, step_of
from infra.shapes import CATALOG
from tests.node_script.conftest import Node
from tests.render.configs import config_with, pool


def test_gb200_renders_no_mtu() -> None:
    config = config_with(pool("BM.GPU.GB200.4", "ubuntu-24.04", mode="compute_cluster"))
    assert CATALOG["BM.GPU.GB200.4"].rdma_mtu is None
    assert step_of(build_context(config, config.pools[0]), "rdma")["vars"]["mtu"] == ""


def test_empty_mtu_is_left_as_it_is(done_copy: Node) -> None:
    enforced = "readonly GF_RDMA_MTU=4220\n"
    text = done_copy.script.read_text()
    assert enforced in text
    done_copy.script.write_text(text.replace(enforced, "readonly GF_RDMA_MTU=''\n"))
    (done_copy.root / "sys/class/net/rdma7/mtu").write_text("9000\n")
    check = done_copy.run("--check", "--only", "rdma")
    line = check.by_step()["rdma"]
    assert line["status"] == "ok", line
    assert "MTU as OCA set it" in line["message"]
    before = len(done_copy.calls())
    assert done_copy.run("--only", "rdma").rc == 0
    assert not [c for c in done_copy.calls()[before:] if c.startswith("ip link set")]


def test_nccl_net_plugin_follows_the_image(done_copy: Node) -> None:
    """Oracle's nccl-conf role: HPC-X's SHARP plugin when the image has one, else none."""
    conf = done_copy.root / "etc/nccl.conf"
    assert "NCCL_NET_PLUGIN=none\n" in conf.read_text()  # the sandbox has no HPC-X
    plugin = done_copy.root / "opt/hpcx-v2.22.1/nccl_rdma_sharp_plugin/lib/libnccl-net.so"
    plugin.parent.mkdir(parents=True)
    plugin.write_bytes(b"")
    line = done_copy.run("--check", "--only", "nccl").by_step()["nccl"]
    assert line["status"] == "changed" and "/etc/nccl.conf is missing or differs" in line["message"]
    assert done_copy.run("--only", "nccl").rc == 0
    text = conf.read_text()
    assert "NCCL_NET_PLUGIN=/opt/hpcx-v2.22.1/nccl_rdma_sharp_plugin/lib/libnccl-net.so\n" in text
    assert "@GF_" not in text
    assert done_copy.run("--only", "nccl").status_of()["nccl"] == "ok"
