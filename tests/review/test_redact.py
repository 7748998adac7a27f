"""No secret reaches a PR comment, and nothing else is masked.

Every secret below is fake: invented characters in the shape the issuer documents, so a
detector that keys on the shape sees what it would see in a real leak.
"""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from bootstrap.review.markdown import render
from bootstrap.review.preview import review_preview
from bootstrap.review.redact import (
    PULUMI_SECRET_SIG,
    PULUMI_SIG_KEY,
    SECRET,
    decode_base64,
    redact_text,
    redact_value,
)

HF = "hf_FakeHuggingFaceTokenX0123456789ab"
WANDB = "3f9a1c0e5b7d2a4c6e8f0a1b3c5d7e9f1a2b4c6d"  # W&B API keys are 40 hex characters
NGC = "nvapi-FakeNgcKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL_-Zz"
OPENAI = "sk-proj-FakeOpenAiKey0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJabcdefghij"
AWS_SECRET = "Zq3xT9vB2nM8kL4pR7sW1yC6dF0gH5jK3lQ8eU2i"  # 40 characters, base64 alphabet
DB_PASSWORD = "Tr41n-Me-N0w-pl3ase"
SLACK_WEBHOOK = "https://hooks.slack.com/services/T04FAKE0AB/B05FAKE1CD/q1W2e3R4t5Y6u7I8o9P0aSdF"
PGP_BODY = "lQOYBGbFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake0123456789"
PGP = (
    f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{PGP_BODY}\n=ab12\n"
    "-----END PGP PRIVATE KEY BLOCK-----"
)
FIELD_PASSWORD = "correct-horse-battery-staple"
USERDATA_PASSWORD = "Us3rD4ta-Pa55w0rd"
PEM_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
PEM = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}\n-----END OPENSSH PRIVATE KEY-----\n"
GITHUB = "ghp_FakeGitHubToken0123456789abcdefABCD"
PULUMI = "pul-" + "0123456789abcdef" * 2 + "01234567"
GZIP_PASSWORD = "Gz1pped-Us3r-D4ta"

# kind -> (text as it would appear in a value, the secret that must not be shown)
TEXT_CASES = {
    "hugging-face": (f"huggingface-cli login --token {HF}", HF),
    "wandb": (f"export WANDB_API_KEY={WANDB}", WANDB),
    "ngc": (f"docker login nvcr.io -u '$oauthtoken' -p {NGC}", NGC),
    "openai": (f"client = OpenAI(api_key=os.environ.get('X', '{OPENAI}'))", OPENAI),
    "aws-secret-key": (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    "database-url": (f"postgresql://trainer:{DB_PASSWORD}@db.internal:5432/runs", DB_PASSWORD),
    "slack-webhook": (f"curl -X POST {SLACK_WEBHOOK} -d @msg.json", "q1W2e3R4t5Y6u7I8o9P0aSdF"),
    "pgp-private-key": (PGP, PGP_BODY),
    "pem-private-key": (PEM, PEM_BODY),
    "github-token": (f"git clone https://x:{GITHUB}@github.com/o/r", GITHUB),
    "pulumi-token": (f"PULUMI_ACCESS_TOKEN set from {PULUMI}", PULUMI),
}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _gzip_b64(text: str) -> str:
    return base64.b64encode(gzip.compress(text.encode(), mtime=0)).decode()


USER_DATA = _b64(f"#!/bin/bash\nset -eu\nexport DB_PASSWORD={USERDATA_PASSWORD}\n./train.sh\n")
GZIP_USER_DATA = _gzip_b64(
    "#cloud-config\nchpasswd:\n  users:\n    - name: ubuntu\n"
    f"      password: {GZIP_PASSWORD}\n      type: text\n"
)

# Everything that must stay readable in a review.
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFJpeZlDTZYGW/dEukR3kA1quuNFL2jh93Z5ytA138sF ops"
KMS = "ocid1.key.oc1.iad.abuwcljrexamplekey0000000000000000000000000000000000000000"
IMAGE_OCID = "ocid1.image.oc1.iad.aaaaaaaaexamplegpuimage000000000000000000000000000000000"
READABLE = {
    "compartmentId": "ocid1.compartment.oc1..aaaaaaaaexamplecompartment00000000000000000000",
    "kmsKeyId": KMS,
    "shape": "BM.GPU.H100.8",
    "cidrBlock": "10.0.0.0/16",
    "sourceId": IMAGE_OCID,
    "imageName": "Canonical-Ubuntu-22.04-Gen2-GPU-2024.10.04-0",
    "container": "nvcr.io/nvidia/pytorch:24.08-py3",
    "pinned": "ghcr.io/acme/trainer@sha256:"
    + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "ssh_authorized_keys": SSH_KEY,
    "publicKeys": [SSH_KEY],
    "passwordAuthentication": False,
    "keyCount": 3,
    "cloudInit": _b64("#cloud-config\npackages: [rdma-core]\n"),
}


@pytest.mark.parametrize("kind", sorted(TEXT_CASES))
def test_secret_in_text_is_masked(kind: str) -> None:
    text, secret = TEXT_CASES[kind]
    out = redact_text(text)
    assert secret not in out and "[redacted" in out, out


@pytest.mark.parametrize(
    ("key", "value"),
    [("dbPass", FIELD_PASSWORD), ("adminPassword", FIELD_PASSWORD), ("wandbApiKey", WANDB),
     ("client_secret", FIELD_PASSWORD), ("ngcToken", NGC), ("private_key", "not-an-ocid")],
)  # fmt: skip
def test_value_named_like_a_secret_is_masked(key: str, value: str) -> None:
    assert redact_value({key: value}) == {key: "[redacted]"}


@pytest.mark.parametrize(
    ("value", "kind"), [(USER_DATA, "base64"), (GZIP_USER_DATA, "gzip+base64")]
)
def test_user_data_holding_a_password_is_masked(value: str, kind: str) -> None:
    assert decode_base64(value) is not None  # really base64 of text
    assert redact_value({"user_data": value}) == {
        "user_data": f"[redacted: {kind} value holding a secret]"
    }


def test_pulumi_secret_object_and_marker() -> None:
    wrapped = {PULUMI_SIG_KEY: PULUMI_SECRET_SIG, "plaintext": json.dumps(FIELD_PASSWORD)}
    assert redact_value({"note": wrapped, "other": SECRET}) == {"note": SECRET, "other": SECRET}


def test_nothing_else_is_masked() -> None:
    assert redact_value(READABLE) == READABLE
    for value in READABLE.values():
        if isinstance(value, str):
            assert redact_text(value) == value


def _preview(inputs: dict[str, object]) -> dict[str, object]:
    t = "oci:Core/instance:Instance"
    urn = f"urn:pulumi:dev::gpufleet::{t}::dev-trainer"
    return {
        "steps": [
            {"op": "create", "urn": urn, "newState": {"type": t, "urn": urn, "inputs": inputs}}
        ],
        "diagnostics": [
            {"urn": urn, "severity": "warning", "message": f"login failed: {HF} {SLACK_WEBHOOK}"}
        ],
    }  # fmt: skip


def test_a_preview_holding_every_kind_yields_a_review_with_none() -> None:
    inputs: dict[str, object] = {f"env{i}": text for i, (text, _) in enumerate(TEXT_CASES.values())}
    inputs |= {
        "dbPass": FIELD_PASSWORD,
        "metadata": {"user_data": USER_DATA, "extra": GZIP_USER_DATA},
        "note": {PULUMI_SIG_KEY: PULUMI_SECRET_SIG, "plaintext": json.dumps(FIELD_PASSWORD)},
        **READABLE,
    }
    text = render(review_preview(_preview(inputs)))
    secrets = [s for _, s in TEXT_CASES.values()]
    secrets += [FIELD_PASSWORD, USERDATA_PASSWORD, GZIP_PASSWORD, USER_DATA[:40], WANDB]
    assert len(secrets) >= 13
    for secret in secrets:
        assert secret not in text, secret
    for readable in ("BM.GPU.H100.8", "10.0.0.0/16", KMS, IMAGE_OCID, SSH_KEY[:60],
                     "nvcr.io/nvidia/pytorch:24.08-py3", "Canonical-Ubuntu-22.04"):  # fmt: skip
        assert readable in text, readable
