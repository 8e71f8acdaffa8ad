"""Bucket policies evaluated as S3 evaluates them, with the request's transport.

moto 5.2.6 checks a bucket's policy on object requests, but treats a statement whose condition
operator it does not know (`Bool`, `Numeric*`) as matching, and passes no request context to the
conditions it does know. A policy that denies plain HTTP (`aws:SecureTransport` false), as
deploy/terraform's bucket module writes, then refuses every object request, TLS or not: the
provider's HeadObject and GetObjectTagging get 403.

This replaces moto's check of a bucket's policy with the evaluation AWS documents (IAM
reference, "Policy evaluation logic" and "Condition operators"): a statement applies when its
action, resource, principal and every condition match; an explicit Deny wins, then an Allow.
A condition on a key the request does not carry does not match (but for ...IfExists and
`Null`). The request context has `aws:SecureTransport`, from whether the request came over TLS
(start the server with --tls, tools/moto/server.py); no other keys, so a condition on any other
key does not match. Principals other than "*" are not evaluated, as in moto (the caller is
not authenticated): such statements do not apply.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from typing import Any

_request = threading.local()


def _values(v: Any) -> list[str]:
    return [str(x).lower() if isinstance(x, bool) else str(x) for x in (v if isinstance(v, list) else [v])]


def _like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _number(op: str, expected: str, actual: str) -> bool:
    a, e = float(actual), float(expected)
    return {"NumericEquals": a == e, "NumericNotEquals": a != e, "NumericLessThan": a < e,
            "NumericLessThanEquals": a <= e, "NumericGreaterThan": a > e,
            "NumericGreaterThanEquals": a >= e}[op]


def _condition_holds(op: str, expected: list[str], actual: str | None) -> bool:
    if op == "Null":
        return (actual is None) == (expected[0].lower() == "true")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    if actual is None:
        return if_exists
    if op == "Bool":
        return actual.lower() in [e.lower() for e in expected]
    if op == "StringEquals":
        return actual in expected
    if op == "StringNotEquals":
        return actual not in expected
    if op == "StringEqualsIgnoreCase":
        return actual.lower() in [e.lower() for e in expected]
    if op == "StringLike":
        return any(_like(e, actual) for e in expected)
    if op == "StringNotLike":
        return not any(_like(e, actual) for e in expected)
    if op.startswith("Numeric"):
        results = [_number(op, e, actual) for e in expected]
        return all(results) if op == "NumericNotEquals" else any(results)
    raise NotImplementedError(f"tools/moto/s3_policy.py: condition operator {op} is not evaluated; add it")


def _matches(patterns: Any, value: str) -> bool:
    return any(_like(p, value) for p in _values(patterns))


def _applies(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    principal = statement.get("Principal")
    if principal not in ("*", {"AWS": "*"}):
        return False
    if "Action" in statement and not _matches(statement["Action"], action):
        return False
    if "NotAction" in statement and _matches(statement["NotAction"], action):
        return False
    if "Resource" in statement and not _matches(statement["Resource"], resource):
        return False
    if "NotResource" in statement and _matches(statement["NotResource"], resource):
        return False
    for op, keys in (statement.get("Condition") or {}).items():
        for key, expected in keys.items():
            if not _condition_holds(op, _values(expected), context.get(key.lower())):
                return False
    return True


def evaluate(policy: str, action: str, resource: str, context: dict[str, str]):
    """PERMITTED, DENIED or NEUTRAL (no statement applies), moto's PermissionResult."""
    from moto.iam.access_control import PermissionResult

    statements = json.loads(policy)["Statement"]
    result = PermissionResult.NEUTRAL
    for statement in statements if isinstance(statements, list) else [statements]:
        if _applies(statement, action, resource, context):
            if statement["Effect"] == "Deny":
                return PermissionResult.DENIED
            result = PermissionResult.PERMITTED
    return result


def register() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    setup_class = S3Response.setup_class

    def setup_class_noting_transport(self, request, full_url=None, headers=None):
        _request.secure = getattr(request, "scheme", "http") == "https"
        return setup_class(self, request, full_url, headers)

    def get_permission(self, action: str, resource: str):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        context = {"aws:securetransport": "true" if getattr(_request, "secure", False) else "false"}
        return evaluate(self.policy.decode(), action, resource, context)

    S3Response.setup_class = setup_class_noting_transport
    FakeBucket.get_permission = get_permission
