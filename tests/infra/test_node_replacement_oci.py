"""Node replacement at the SDK boundary: the real `oci` client, a throwaway RSA key, a loopback
HTTP server that records every request. Region, endpoint, path, body and signing key must be
the stack's (oci:region + provider settings), never ~/.oci/config's DEFAULT profile."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import oci
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from infra.components import node_replacement
from infra.components.node_replacement import (
    ReplacementSetupError,
    _DetachWithTerminate,
    compute_management_client,
    retry_token,
)
from infra.offline.plan import run_plan

INSTANCE = "ocid1.instance.oc1.us-chicago-1.aaaaaaaabadnode000000000007"
POOL_A = "ocid1.instancepool.oc1.us-chicago-1.aaaaaaaapoolaaaaaaaaaa"
POOL_B = "ocid1.instancepool.oc1.us-chicago-1.aaaaaaaapoolbbbbbbbbbb"


class Key:
    """A throwaway RSA API key written to `folder`, with its OCI fingerprint."""

    def __init__(self, folder: Path, name: str) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.path = folder / f"{name}.pem"
        self.path.write_bytes(
            self.private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        digest = hashlib.md5(der).hexdigest()  # OCI key fingerprints are MD5
        self.fingerprint = ":".join(digest[i : i + 2] for i in range(0, 32, 2))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A HOME whose ~/.oci/config has a DEFAULT profile (another region and key) and the
    stack's profile GPUFLEET."""
    oci_dir = tmp_path / ".oci"
    oci_dir.mkdir()
    default, stack = Key(oci_dir, "default"), Key(oci_dir, "gpufleet")
    (oci_dir / "config").write_text(
        "[DEFAULT]\n"
        "user=ocid1.user.oc1..aaaaaaaadefaultuser\n"
        f"fingerprint={default.fingerprint}\nkey_file={default.path}\n"
        "tenancy=ocid1.tenancy.oc1..aaaaaaaadefaulttenancy\nregion=us-ashburn-1\n\n"
        "[GPUFLEET]\n"
        "user=ocid1.user.oc1..aaaaaaaagpufleetuser\n"
        f"fingerprint={stack.fingerprint}\nkey_file={stack.path}\n"
        "tenancy=ocid1.tenancy.oc1..aaaaaaaagpufleettenancy\nregion=eu-frankfurt-1\n"
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("OCI_CONFIG_FILE", raising=False)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    return {"default": default, "stack": stack, "folder": oci_dir}


class OciApi:
    """A loopback stand-in for the Core Services API: records requests, answers like OCI."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                api.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                status, payload = api.route(self.command, self.path)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("opc-request-id", f"req-{len(api.requests)}")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *_: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def route(self, method: str, path: str) -> tuple[int, dict[str, Any]]:
        member = {
            "id": INSTANCE,
            "instancePoolId": POOL_B,
            "state": "RUNNING",
            "compartmentId": "ocid1.compartment.oc1..aaaaaaaaexample",
        }
        if method == "GET" and path == f"/20160918/instancePools/{POOL_B}/instances/{INSTANCE}":
            return 200, member
        if method == "POST" and path == f"/20160918/instancePools/{POOL_B}/actions/detachInstance":
            return 200, {}
        return 404, {"code": "NotAuthorizedOrNotFound", "message": "not found"}


@pytest.fixture
def api() -> Iterator[OciApi]:
    server = OciApi()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _verify_signature(request: dict[str, Any], key: Key, key_id: str) -> None:
    """The draft-cavage HTTP signature OCI uses, checked with the expected public key."""
    auth = request["headers"]["authorization"]
    fields = dict(re.findall(r'(\w+)="([^"]*)"', auth))
    assert fields["keyId"] == key_id and fields["algorithm"] == "rsa-sha256"
    lines = []
    for name in fields["headers"].split():
        if name == "(request-target)":
            lines.append(f"(request-target): {request['method'].lower()} {request['path']}")
        else:
            lines.append(f"{name}: {request['headers'][name]}")
    key.private.public_key().verify(
        base64.b64decode(fields["signature"]),
        "\n".join(lines).encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


STACK_SETTINGS = {"region": "us-chicago-1", "config_file_profile": "GPUFLEET"}


def test_client_targets_the_stack_region_with_the_stack_profile(home: dict[str, Any]) -> None:
    client = compute_management_client(dict(STACK_SETTINGS))
    assert client.base_client.get_endpoint() == "https://iaas.us-chicago-1.oraclecloud.com"
    stack = home["stack"]
    assert client.base_client.signer.api_key == (
        f"ocid1.tenancy.oc1..aaaaaaaagpufleettenancy/ocid1.user.oc1..aaaaaaaagpufleetuser/"
        f"{stack.fingerprint}"
    )


def test_replacement_detaches_through_the_sdk(
    home: dict[str, Any], api: OciApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = node_replacement.compute_management_client

    def at_loopback(settings: dict[str, Any], **kwargs: Any) -> Any:
        client = real(settings, service_endpoint=api.endpoint, **kwargs)
        seen.append(client.base_client.get_endpoint())
        return client

    seen: list[str] = []
    monkeypatch.setattr(node_replacement, "compute_management_client", at_loopback)
    props = {
        "instance_pool_ids": [POOL_A, POOL_B],
        "instance_id": INSTANCE,
        "generation": 3,
        "oci": dict(STACK_SETTINGS),
    }
    result = _DetachWithTerminate().create(props)
    assert result.id == f"{INSTANCE}@3"
    assert result.outs == props  # no secret settings here, so the outputs are the inputs
    assert seen == [api.endpoint]

    got = [(r["method"], r["path"]) for r in api.requests]
    assert got == [
        ("GET", f"/20160918/instancePools/{POOL_A}/instances/{INSTANCE}"),
        ("GET", f"/20160918/instancePools/{POOL_B}/instances/{INSTANCE}"),
        ("POST", f"/20160918/instancePools/{POOL_B}/actions/detachInstance"),
    ]
    post = api.requests[-1]
    body = json.loads(post["body"])
    # the body is exactly the SDK model's wire form
    wire = oci.core.models.DetachInstancePoolInstanceDetails().attribute_map
    assert set(body) <= set(wire.values())
    assert body == {"instanceId": INSTANCE, "isAutoTerminate": True, "isDecrementSize": False}
    assert post["headers"]["opc-retry-token"] == retry_token(INSTANCE, 3)
    assert post["headers"]["host"] == api.endpoint.removeprefix("http://")
    key_id = (
        "ocid1.tenancy.oc1..aaaaaaaagpufleettenancy/ocid1.user.oc1..aaaaaaaagpufleetuser/"
        + home["stack"].fingerprint
    )
    for request in api.requests:  # every call signed with the stack profile's key
        _verify_signature(request, home["stack"], key_id)
    with pytest.raises(InvalidSignature):  # and not with the DEFAULT profile's
        _verify_signature(post, home["default"], key_id)


def test_a_node_in_no_pool_is_an_error(home: dict[str, Any], api: OciApi) -> None:
    client = compute_management_client(dict(STACK_SETTINGS), service_endpoint=api.endpoint)
    with pytest.raises(RuntimeError, match="in none of this pool's cluster networks"):
        node_replacement.detach_with_terminate(client, [POOL_A], INSTANCE, "t")
    assert [r["method"] for r in api.requests] == ["GET"]  # nothing detached


def test_explicit_provider_settings_win_over_the_config_file(home: dict[str, Any]) -> None:
    explicit = Key(home["folder"], "explicit")
    client = compute_management_client(
        {
            "region": "ap-tokyo-1",
            "tenancy": "ocid1.tenancy.oc1..aaaaaaaaexplicittenancy",
            "user": "ocid1.user.oc1..aaaaaaaaexplicituser",
            "fingerprint": explicit.fingerprint,
            "key_file": str(explicit.path),
        }
    )
    assert client.base_client.get_endpoint() == "https://iaas.ap-tokyo-1.oraclecloud.com"
    assert client.base_client.signer.api_key.endswith(explicit.fingerprint)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"config_file_profile": "GPUFLEET"}, "the stack has no oci:region"),
        ({"region": "us-chicago-1", "config_file_profile": "NOPE"}, "no such profile"),
        ({"region": "us-chicago-1", "auth": "ResourcePrincipal"}, "not supported"),
    ],
)
def test_bad_settings_name_the_setting(
    home: dict[str, Any], settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ReplacementSetupError, match=message):
        compute_management_client(settings)


def test_the_program_passes_the_stack_settings(tmp_path: Path) -> None:
    stack = (Path(__file__).resolve().parents[2] / "Pulumi.example.yaml").read_text()
    stack = stack.replace(
        "oci:region: us-ashburn-1", "oci:region: us-chicago-1\n  oci:configFileProfile: GPUFLEET"
    )
    stack = stack.replace(
        "mode: cluster_network", f"mode: cluster_network\n      replace_nodes: {{{INSTANCE}: 1}}"
    )
    path = tmp_path / "Pulumi.r.yaml"
    path.write_text(stack)
    (request,) = [
        r for r in run_plan(path).resources if r["type"] == "pulumi-python:dynamic:Resource"
    ]
    assert request["inputs"]["oci"] == {"region": "us-chicago-1", "config_file_profile": "GPUFLEET"}


def test_a_private_key_setting_signs_and_stays_out_of_the_outputs(
    home: dict[str, Any], api: OciApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = node_replacement.compute_management_client
    monkeypatch.setattr(
        node_replacement,
        "compute_management_client",
        lambda settings: real(settings, service_endpoint=api.endpoint),
    )
    key = home["stack"]
    settings = {
        "region": "us-chicago-1",
        "tenancy": "ocid1.tenancy.oc1..aaaaaaaagpufleettenancy",
        "user": "ocid1.user.oc1..aaaaaaaagpufleetuser",
        "fingerprint": key.fingerprint,
        "key_content": key.path.read_text(),  # oci:privateKey, a secret
    }
    props = {
        "instance_pool_ids": [POOL_B],
        "instance_id": INSTANCE,
        "generation": 1,
        "oci": settings,
    }
    result = _DetachWithTerminate().create(props)
    key_id = f"{settings['tenancy']}/{settings['user']}/{key.fingerprint}"
    _verify_signature(api.requests[-1], key, key_id)
    assert "key_content" not in result.outs["oci"]
    assert result.outs["oci"]["region"] == "us-chicago-1"
