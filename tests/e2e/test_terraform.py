"""deploy/terraform, checked without an AWS account: formatted as OpenTofu formats it; parsed by
HashiCorp's HCL parser; every reference and module argument resolving (what `tofu validate`
would catch short of the AWS provider's schemas, which cannot be had here: see
deploy/terraform/README.md); and the deployment's security properties read from the parsed
configuration — the bucket private, TLS-only, encrypted and versioned, uploads that never finish
aborted, Kafka reachable only from the Lambda function, IAM limited to what each program calls.
The files the Kafka host gets are rendered and judged by their own tools: the sink's config by
`clicktrail config check`, the bootstrap script by bash."""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import textwrap
import threading

import pytest

from collector import binary
from conftest import REPO_ROOT
from terraform_config import (TERRAFORM_DIR, Attr, Block, Module, built_tool, load, render_template, statements,
                              template_placeholders)

MODULES = ("network", "bucket", "iam", "ingest", "kafka", "analytics", "alarms")
EXAMPLE = "examples/github-pages"
# The one place a policy may name Resource "*": EC2's Describe calls, which IAM authorizes only on
# "*" and which Lambda requires of a function in a VPC. They read metadata and change nothing.
DESCRIBE_ONLY_ON_STAR = {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}
# What Session Manager's agent calls to register, keep its heartbeat and carry sessions (and, in
# agents before 3.3.40, poll for messages): the Kafka hosts' grant with ssm_sessions.
SSM_AGENT_ACTIONS = ["ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel",
                     "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
                     "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
                     "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply"]
# Every call a policy may grant on Resource "*", with why: IAM authorizes each only on "*".
ONLY_ON_STAR = {
    **{a: "EC2's Describe calls: they read metadata, and Lambda requires them of a function in a VPC"
       for a in DESCRIBE_ONLY_ON_STAR},
    **{a: "Session Manager's agent: each call acts for the calling instance alone" for a in SSM_AGENT_ACTIONS},
    "cloudwatch:PutMetricData": "names no resource; the cloudwatch:namespace condition limits it",
}
# What the sink's S3 client calls (src/store/s3_store.cc, s3_upload.cc), as IAM actions.
SINK_OBJECT_ACTIONS = {"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}
# What the sink calls of Glue to point an Iceberg table's Glue entry at each commit
# (src/table/glue_catalog.cc); CreateTable only when the table is missing, and Terraform makes it.
SINK_GLUE_ACTIONS = ["glue:GetTable", "glue:UpdateTable"]
# One table's three ARNs, as Glue authorizes a table's calls on all three.
GLUE_TABLE_ARNS = ['"${local.glue_arn}:catalog"', '"${local.glue_arn}:database/${%s[0]}"',
                   '"${local.glue_arn}:table/${%s[0]}/${%s[1]}"']
# Terraform's own names, and the type keywords of a variable's `type`.
BUILTIN_ROOTS = {"each", "count", "path", "self", "terraform"}


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return load()


def mod(modules: dict[str, Module], name: str) -> Module:
    key = name if name.startswith("examples/") else f"modules/{name}"
    assert key in modules, f"deploy/terraform/{key} has no .tf files"
    return modules[key]


# ---- form ----------------------------------------------------------------------------------------

def test_terraform_is_formatted_as_tofu_fmt_writes_it(tmp_path):
    tofu = built_tool("build-tofu.sh")
    # TF_CLI_CONFIG_FILE may name a file that does not exist; an empty one keeps tofu quiet.
    cli_config = tmp_path / "tofurc"
    cli_config.write_text("")
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "CHECKPOINT_DISABLE": "1"}
    proc = subprocess.run([tofu, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM_DIR)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, f"run `tofu fmt -recursive deploy/terraform`:\n{proc.stdout}{proc.stderr}"


def provider_mirror() -> str | None:
    """A filesystem mirror holding the hashicorp/aws provider: CLICKTRAIL_TF_PLUGINS, or the one
    the machines these tests run on keep at /opt/tf-plugins."""
    for d in (os.environ.get("CLICKTRAIL_TF_PLUGINS"), "/opt/tf-plugins"):
        if d and os.path.isdir(os.path.join(d, "registry.terraform.io", "hashicorp", "aws")):
            return d
    return None


@pytest.mark.parametrize("root", [EXAMPLE] + [f"modules/{m}" for m in MODULES])
def test_each_module_and_the_example_validate_against_the_aws_providers_schemas(tmp_path, root):
    """`terraform validate` with the real provider: every resource's attribute names, types and
    nested blocks, which the parsed checks below cannot know; each module on its own too, as a
    user who calls only some of them would. The provider cannot be fetched here (no registry), so
    this runs where a mirror of it is (deploy/terraform/README.md)."""
    terraform, mirror = shutil.which("terraform"), provider_mirror()
    if not terraform or not mirror:
        pytest.skip("needs `terraform` on the PATH and a mirror of hashicorp/aws (CLICKTRAIL_TF_PLUGINS)")
    # A copy: init writes .terraform/ and a lock file; the modules read ../../../systemd from deploy/.
    shutil.copytree(REPO_ROOT / "deploy", tmp_path / "deploy", ignore=shutil.ignore_patterns(".terraform*"))
    cli_config = tmp_path / "terraformrc"
    cli_config.write_text("")
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    where = tmp_path / "deploy" / "terraform" / root
    for args in (["init", "-backend=false", "-input=false", f"-plugin-dir={mirror}"], ["validate", "-no-color"]):
        proc = subprocess.run([terraform, *args], cwd=where, capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, f"terraform {args[0]}:\n{proc.stdout}{proc.stderr}"
    assert "The configuration is valid" in proc.stdout


def test_every_module_has_its_files_typed_described_variables_and_outputs(modules):
    for name in [f"modules/{m}" for m in MODULES] + [EXAMPLE]:
        m = modules[name]
        for f in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
            assert f in m.files, f"{name} has no {f}"
        assert (m.path / "README.md").is_file(), f"{name} has no README.md"
        terraform = m.of_type("terraform")
        assert terraform and terraform[0].children("required_providers"), f"{name} pins no provider"
        for v in m.variables().values():
            assert "type" in v.attrs and "description" in v.attrs, f"{v.where()}: variables need a type and a description"
        for o in m.outputs().values():
            assert "description" in o.attrs, f"{o.where()}: outputs need a description"
        assert m.outputs(), f"{name} has no outputs"


def _walk(block: Block, iterators: frozenset[str]):
    """(block, attribute name, attribute, names of the dynamic blocks' iterators in scope)."""
    if block.type == "dynamic":
        it = block.attrs.get("iterator")
        iterators = iterators | {it.src if it else block.labels[0]}
    for name, attr in block.attrs.items():
        yield block, name, attr, iterators
    for child in block.blocks:
        yield from _walk(child, iterators)


def test_every_reference_and_module_argument_resolves(modules):
    problems = []
    for m in modules.values():
        variables, locals_ = m.variables(), m.locals()
        resources = {(b.labels[0], b.labels[1]) for b in m.of_type("resource")}
        data = {(b.labels[0], b.labels[1]) for b in m.of_type("data")}
        calls: dict[str, Module] = {}
        for call in m.of_type("module"):
            target = (m.path / call.value("source")).resolve()
            found = [x for x in modules.values() if x.path.resolve() == target]
            if not found:
                problems.append(f"{call.where()}: source {call.value('source')} is no module here")
                continue
            calls[call.labels[0]] = found[0]
            args = set(call.attrs) - {"source", "count", "for_each", "depends_on", "providers", "version"}
            wanted = found[0].variables()
            problems += [f"{call.where()}: {found[0].name} has no variable {a}" for a in sorted(args - set(wanted))]
            required = {n for n, v in wanted.items() if "default" not in v.attrs}
            problems += [f"{call.where()}: required variable {r} of {found[0].name} not set" for r in sorted(required - args)]
        for top in m.blocks:
            if top.type == "moved":
                continue  # addresses of resources as they were, and are now
            for block, name, attr, iterators in _walk(top, frozenset()):
                if top.type == "variable" and block is top and name == "type":
                    continue  # a type expression: string, list(string), object({…})
                if block.type == "lifecycle" and name == "ignore_changes":
                    continue  # the resource's own attribute names
                for ref in attr.refs:
                    parts = re.split(r"[.\[]", ref)
                    root = parts[0]
                    where = f"{block.where()} {name}: {ref}"
                    if root == "var" and parts[1] not in variables:
                        problems.append(f"{where}: no such variable")
                    elif root == "local" and parts[1] not in locals_:
                        problems.append(f"{where}: no such local")
                    elif root == "module":
                        if parts[1] not in calls:
                            problems.append(f"{where}: no such module call")
                        elif len(parts) > 2 and parts[2] and not parts[2][0].isdigit() and parts[2] not in calls[parts[1]].outputs():
                            problems.append(f"{where}: {calls[parts[1]].name} has no such output")
                    elif root == "data" and (parts[1], parts[2]) not in data:
                        problems.append(f"{where}: no such data source")
                    elif root.startswith("aws_") and (root, parts[1]) not in resources:
                        problems.append(f"{where}: no such resource")
                    elif root not in {"var", "local", "module", "data"} | BUILTIN_ROOTS | iterators and not root.startswith("aws_"):
                        problems.append(f"{where}: unknown name {root}")
    assert not problems, "\n".join(problems)


def test_the_files_that_modules_read_exist_and_templates_get_every_placeholder(modules):
    for m in modules.values():
        for top in m.blocks:
            for block, name, attr, _ in _walk(top, frozenset()):
                for call in re.finditer(r"\b(file|templatefile|filesha256)\(\"\$\{path\.module\}/([^\"]+)\"", attr.src):
                    path = (m.path / call.group(2)).resolve()
                    assert path.is_file(), f"{block.where()}: {call.group(1)} of a missing file {path}"
                for call in re.finditer(r"templatefile\(\"\$\{path\.module\}/([^\"]+)\",\s*\{(.*?)\n\s*\}\)", attr.src, re.S):
                    given = set(re.findall(r"^\s*(\w+)\s*=", call.group(2), re.M))
                    used = template_placeholders((m.path / call.group(1)).read_text())
                    assert used <= given, f"{block.where()}: {call.group(1)} uses {sorted(used - given)}, not given"


# ---- the bucket ----------------------------------------------------------------------------------

def test_bucket_blocks_public_access_in_all_four_ways(modules):
    bucket = mod(modules, "bucket")
    blocks = bucket.resources("aws_s3_bucket_public_access_block")
    assert len(blocks) == 1
    bpa = blocks[0]
    assert bpa.attrs["bucket"].refs == ["aws_s3_bucket.this.id"]
    for setting in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert bpa.value(setting) is True, f"{setting} must be true"
    ownership = bucket.resource("aws_s3_bucket_ownership_controls", "this").child("rule")
    assert ownership.value("object_ownership") == "BucketOwnerEnforced", "ACLs must be disabled"


def test_bucket_policy_denies_every_request_not_made_over_tls(modules):
    bucket = mod(modules, "bucket")
    policy = bucket.resource("aws_s3_bucket_policy", "this")
    assert policy.attrs["policy"].refs == ["data.aws_iam_policy_document.bucket.json"]
    denies = [s for s in statements(bucket, bucket.data("aws_iam_policy_document", "bucket"))
              if ("Bool", "aws:SecureTransport", '["false"]') in s.conditions]
    assert len(denies) == 1, "one statement must deny requests with aws:SecureTransport false"
    deny = denies[0]
    assert deny.effect == "Deny" and deny.actions == ["s3:*"], deny
    assert deny.principals == [("*", '["*"]')], "the deny must apply to every principal"
    assert sorted(deny.resources) == sorted(["aws_s3_bucket.this.arn", '"${aws_s3_bucket.this.arn}/*"']), \
        "the deny must cover the bucket and every object in it"


def test_bucket_encrypts_by_default_with_s3_or_the_given_kms_key(modules):
    bucket = mod(modules, "bucket")
    rule = bucket.resource("aws_s3_bucket_server_side_encryption_configuration", "this").child("rule")
    default = rule.child("apply_server_side_encryption_by_default")
    algorithm = default.attrs["sse_algorithm"].src
    assert set(re.findall(r'"([^"]+)"', algorithm)) == {"AES256", "aws:kms"}, algorithm
    assert default.attrs["kms_master_key_id"].refs == ["var.kms_key_arn"]


def test_bucket_is_versioned(modules):
    versioning = mod(modules, "bucket").resource("aws_s3_bucket_versioning", "this")
    assert versioning.child("versioning_configuration").value("status") == "Enabled"


def test_bucket_lifecycle_aborts_unfinished_uploads_expires_old_versions_and_tiers_data(modules):
    bucket = mod(modules, "bucket")
    rules = bucket.resource("aws_s3_bucket_lifecycle_configuration", "this").children("rule")
    whole_bucket = [r for r in rules if r.children("filter") and not r.child("filter").attrs and not r.child("filter").blocks]
    aborts = [r for r in whole_bucket if r.children("abort_incomplete_multipart_upload")]
    assert aborts, "a rule over the whole bucket must abort incomplete multipart uploads"
    assert aborts[0].value("status") == "Enabled"
    days = aborts[0].child("abort_incomplete_multipart_upload").attrs["days_after_initiation"]
    assert days.refs == ["var.abort_incomplete_upload_days"]
    assert any(r.children("noncurrent_version_expiration") for r in whole_bucket), "old versions must expire"
    tiers = [r for r in rules if r.children("transition")]
    assert tiers and all(r.child("filter").attrs.get("prefix") for r in tiers), \
        "transitions must be limited to the data prefixes (the sink's intent objects stay in Standard)"
    classes = {t.value("storage_class") for r in tiers for t in r.children("transition")}
    assert classes <= {"STANDARD_IA", "GLACIER_IR"}, f"{classes}: Athena cannot read Glacier Flexible Retrieval"


def test_the_example_tiers_only_the_sinks_data_prefixes(modules):
    call = [b for b in mod(modules, EXAMPLE).of_type("module") if b.labels == ["bucket"]][0]
    items = [i.src for i in call.attrs["tiered_prefixes"].items]
    assert items == ["local.data_prefix", '"${local.sink_prefix}/bad/"'], items
    # The events' data files: the files' folder, or an Iceberg table's data/ (never its metadata/,
    # which every query reads).
    assert mod(modules, EXAMPLE).locals()["data_prefix"].src == \
        'var.table == "iceberg" ? "${local.sink_prefix}/data/" : "${local.sink_prefix}/events/"'


# ---- the network ---------------------------------------------------------------------------------

def test_kafka_is_reachable_only_from_the_lambda_functions_security_group_and_its_own_nodes(modules):
    kafka, ingest, example = mod(modules, "kafka"), mod(modules, "ingest"), mod(modules, EXAMPLE)
    for name in ("kafka", "msk"):
        sg = kafka.resource("aws_security_group", name)
        assert not sg.children("ingress") and not sg.children("egress"), f"no inline rules on {name}'s group"
    ingress = [b for m in modules.values() for b in m.resources("aws_vpc_security_group_ingress_rule")]
    assert not [b for m in modules.values() for b in m.resources("aws_security_group_rule")], \
        "use aws_vpc_security_group_*_rule, one rule per resource"
    rules = {b.labels[1]: b for b in kafka.resources("aws_vpc_security_group_ingress_rule")}
    assert sorted(rules) == ["clients", "msk_clients", "peers"]
    for rule in rules.values():
        assert rule.value("ip_protocol") == "tcp"
        assert not {"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} & set(rule.attrs), "no address ranges, only groups"
    # The brokers of our own: the client groups on the client port …
    clients = rules["clients"]
    assert clients.attrs["security_group_id"].refs == ["aws_security_group.kafka.id"]
    assert clients.attrs["for_each"].src == "local.runs_kafka ? var.client_security_groups : {}"
    assert clients.attrs["referenced_security_group_id"].src == "each.value"
    assert clients.attrs["from_port"].refs == clients.attrs["to_port"].refs == ["var.kafka_port"]
    # … and, in a three-node cluster, the other nodes on the client and controller ports.
    peers = rules["peers"]
    assert peers.attrs["security_group_id"].refs == peers.attrs["referenced_security_group_id"].refs == \
        ["aws_security_group.kafka.id"]
    assert "{ broker = var.kafka_port, controller = 9093 }" in peers.attrs["for_each"].src
    # MSK's brokers: the client groups and the sink's host, on the TLS port.
    msk = rules["msk_clients"]
    assert msk.attrs["security_group_id"].refs == ["aws_security_group.msk[0].id"]
    assert sorted(msk.attrs["for_each"].refs) == ["aws_security_group.kafka.id", "local.msk", "var.client_security_groups"]
    assert msk.attrs["from_port"].refs == msk.attrs["to_port"].refs == ["local.msk_tls_port"]
    assert kafka.variables()["kafka_port"].value("default") == 9092
    # Kafka's, and the Glue endpoint's and the operations endpoints' (HTTPS, made only when asked
    # for, checked below).
    assert sorted(b.labels[1] for b in ingress) == \
        ["clients", "endpoints", "glue_endpoint", "msk_clients", "peers"], \
        "Kafka's and the endpoints' are the only ingress rules of the deployment"
    # The example admits exactly the Lambda function's group, and no port override.
    call = [b for b in example.of_type("module") if b.labels == ["kafka"]][0]
    assert call.attrs["client_security_groups"].src.split() == ["{", "lambda", "=", "module.ingest.security_group_id", "}"]
    assert "kafka_port" not in call.attrs
    assert ingest.outputs()["security_group_id"].attrs["value"].refs == ["aws_security_group.lambda.id"]
    # And the function's group may only go out to Kafka's, on that port.
    egress = ingest.resources("aws_vpc_security_group_egress_rule")
    assert len(egress) == 1 and egress[0].attrs["referenced_security_group_id"].refs == ["var.kafka_security_group_id"]
    assert egress[0].attrs["from_port"].refs == egress[0].attrs["to_port"].refs == ["var.kafka_port"]


def test_private_subnets_have_no_route_out_but_the_s3_endpoint(modules):
    network = mod(modules, "network")
    for route in network.resources("aws_route"):
        assert route.attrs["route_table_id"].refs == ["aws_route_table.public.id"], route.where()
    assert network.resource("aws_subnet", "public").value("map_public_ip_on_launch") is False
    endpoint = network.resource("aws_vpc_endpoint", "s3")
    assert endpoint.value("vpc_endpoint_type") == "Gateway"
    assert endpoint.attrs["route_table_ids"].refs == ["aws_route_table.private.id"]
    assert endpoint.attrs["policy"].refs == ["data.aws_iam_policy_document.s3_endpoint.json"], \
        "an endpoint without a policy reaches every bucket in S3"
    assert not network.resource("aws_default_security_group", "this").blocks, "the default group must have no rules"


def test_glue_is_reached_through_an_endpoint_that_passes_the_sinks_calls_on_its_table_only(modules):
    network, kafka = mod(modules, "network"), mod(modules, "kafka")
    endpoint = network.resource("aws_vpc_endpoint", "glue")
    assert endpoint.attrs["count"].refs == ["var.glue_table"], "the endpoint costs by the hour: only when asked for"
    assert endpoint.value("vpc_endpoint_type") == "Interface" and endpoint.value("private_dns_enabled") is True
    assert endpoint.attrs["subnet_ids"].refs == ["aws_subnet.private"]
    assert endpoint.attrs["policy"].refs == ["data.aws_iam_policy_document.glue_endpoint[0].json"]
    [policy] = statements(network, network.data("aws_iam_policy_document", "glue_endpoint"))
    assert policy.actions == SINK_GLUE_ACTIONS
    assert policy.resources == [r.replace("%s", "local.glue_names") for r in GLUE_TABLE_ARNS]
    # In from the private subnets only, and the Kafka host's one way to it.
    ingress = network.resource("aws_vpc_security_group_ingress_rule", "glue_endpoint")
    assert ingress.attrs["security_group_id"].refs == ["aws_security_group.glue_endpoint[0].id"]
    assert ingress.attrs["cidr_ipv4"].refs == ["local.private_half"] and ingress.value("from_port") == 443
    egress = kafka.resource("aws_vpc_security_group_egress_rule", "glue")
    # A count over a list whose length is known when planning (a count on an id is not).
    assert egress.attrs["count"].src == "length(var.glue_endpoint_security_group_ids)"
    assert egress.attrs["referenced_security_group_id"].src == "var.glue_endpoint_security_group_ids[count.index]"
    assert egress.value("from_port") == egress.value("to_port") == 443
    assert network.outputs()["glue_endpoint_security_group_ids"].attrs["value"].refs == \
        ["aws_security_group.glue_endpoint"]


def test_kafka_host_has_imdsv2_only_no_public_address_and_encrypted_volumes(modules):
    kafka = mod(modules, "kafka")
    host = kafka.resource("aws_instance", "host")
    assert host.value("associate_public_ip_address") is False
    metadata = host.child("metadata_options")
    assert metadata.value("http_tokens") == "required" and metadata.value("http_put_response_hop_limit") == 1
    assert host.child("root_block_device").value("encrypted") is True
    assert kafka.resource("aws_ebs_volume", "data").value("encrypted") is True
    # Out: HTTPS to S3, and to the Glue endpoint when there is one (checked above); nothing else.
    egress = {b.labels[1]: b for b in kafka.resources("aws_vpc_security_group_egress_rule")}
    assert sorted(egress) == ["endpoints", "glue", "peers", "s3", "sink_to_msk"]
    assert egress["peers"].attrs["for_each"].refs == ["aws_vpc_security_group_ingress_rule.peers"]
    assert egress["peers"].attrs["referenced_security_group_id"].refs == ["aws_security_group.kafka.id"]
    assert egress["sink_to_msk"].attrs["referenced_security_group_id"].refs == ["aws_security_group.msk[0].id"]
    assert egress["s3"].attrs["prefix_list_id"].refs == ["var.s3_prefix_list_id"]
    assert egress["s3"].value("from_port") == egress["s3"].value("to_port") == 443


# ---- IAM ------------------------------------------------------------------------------------------

def all_statements(modules):
    for m in modules.values():
        for doc in m.of_type("data"):
            if doc.labels[0] == "aws_iam_policy_document":
                for s in statements(m, doc):
                    yield m, s
        for b in m.blocks:
            for _, name, attr, _ in _walk(b, frozenset()):
                assert not re.search(r'"(Action|Resource)"\s*[:=]', attr.src), \
                    f"{b.where()}: write IAM policies as aws_iam_policy_document, which these checks read"


def test_no_policy_allows_a_wildcard_action_or_resource(modules):
    # In a KMS key policy, Resource "*" is the key the policy is attached to.
    key_policy = {(m.name, s.where) for m in modules.values() for key in m.resources("aws_kms_key")
                  for ref in key.attrs["policy"].refs
                  for s in statements(m, m.data("aws_iam_policy_document", ref.split(".")[2].split("[")[0]))}
    for m, s in all_statements(modules):
        if s.effect == "Deny":
            continue  # a deny may cover everything: it takes away
        assert all("*" not in a for a in s.actions), f"{m.name} {s.where}: wildcard action in {s.actions}"
        literals = re.findall(r'"((?:[^"\\]|\\.)*)"', s.resources_src)
        for lit in literals:
            if "*" not in lit:
                continue
            if lit == "*" and (m.name, s.where) not in key_policy:
                assert set(s.actions) <= set(ONLY_ON_STAR), \
                    f"{m.name} {s.where}: Resource \"*\" for {s.actions}; only {sorted(ONLY_ON_STAR)} may have it"
            if lit == "*":
                continue
            # A wildcard only as the last segment, below a fixed prefix: PREFIX/* or …:log-stream:*.
            assert lit.count("*") == 1 and re.search(r"[^/:*][/:]\*$", lit), \
                f"{m.name} {s.where}: resource {lit!r} has a wildcard other than a trailing /* below a prefix"
    for m in modules.values():
        for kind in ("aws_iam_role_policy_attachment", "aws_iam_policy_attachment"):
            assert not m.resources(kind), f"{m.name}: no managed policies (AWS's grant Resource \"*\")"


def test_the_sink_may_touch_only_its_prefix(modules):
    iam = mod(modules, "iam")
    stmts = statements(iam, iam.data("aws_iam_policy_document", "sink"))
    sink_keys = '"${var.bucket_arn}/${var.sink_prefix}/*"'
    granted = {a for s in stmts for a in s.actions}
    assert granted <= SINK_OBJECT_ACTIONS | {"s3:ListBucket", "s3:ListBucketMultipartUploads", "kms:GenerateDataKey",
                                             "kms:Decrypt"} | set(SINK_GLUE_ACTIONS), \
        f"the sink needs no more than {sorted(granted)}"
    for s in stmts:
        assert s.effect == "Allow"
        writes = set(s.actions) & {"s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}
        if writes:
            assert s.resources == [sink_keys], f"{s.where}: {sorted(writes)} must be on {sink_keys} alone"
        if "s3:GetObject" in s.actions:
            assert s.resources in ([sink_keys], ['"${var.bucket_arn}/${var.artifacts_prefix}/*"']), s
        if "s3:ListBucket" in s.actions:
            assert s.actions == ["s3:ListBucket"] and s.resources == ["var.bucket_arn"]
            assert s.conditions == [("StringLike", "s3:prefix", '["${var.sink_prefix}/*"]')], \
                f"{s.where}: listing must be limited to the prefix"
        if "s3:ListBucketMultipartUploads" in s.actions:
            # S3 has no prefix condition for this one: it may list, never act, outside the prefix.
            assert s.actions == ["s3:ListBucketMultipartUploads"] and s.resources == ["var.bucket_arn"]
        if {"kms:GenerateDataKey", "kms:Decrypt"} & set(s.actions):
            assert s.resources == ["statement.value"] and s.conditions[0][1] == "kms:ViaService"
        if any(a.startswith("glue:") for a in s.actions):
            assert s.actions == SINK_GLUE_ACTIONS, f"{s.where}: the sink calls {SINK_GLUE_ACTIONS} of Glue, no more"
            assert s.resources == [r.replace("%s", "statement.value") for r in GLUE_TABLE_ARNS], \
                f"{s.where}: Glue calls on the one table only"
    assert {a for s in stmts for a in s.actions} >= SINK_OBJECT_ACTIONS | {"s3:ListBucket", "s3:ListBucketMultipartUploads"}
    # The prefix is required and validated: no empty prefix (the whole bucket), no wildcards.
    prefix = iam.variables()["sink_prefix"]
    assert "default" not in prefix.attrs
    pattern = re.search(r'regex\("((?:[^"\\]|\\.)*)"', prefix.child("validation").attrs["condition"].src).group(1)
    pattern = pattern.replace("\\\\", "\\")
    for bad in ("", "/", "*", "clicktrail/*", "click?", "/clicktrail", "clicktrail/"):
        assert not re.fullmatch(pattern, bad), f"sink_prefix {bad!r} must be refused"
    assert re.fullmatch(pattern, "clicktrail") and re.fullmatch(pattern, "site/clicktrail")
    assert mod(modules, EXAMPLE).locals()["sink_prefix"].value == "clicktrail"


def test_the_lambda_function_may_only_log_and_manage_its_network_interfaces(modules):
    iam = mod(modules, "iam")
    stmts = statements(iam, iam.data("aws_iam_policy_document", "lambda"))
    allowed = {"logs:CreateLogStream", "logs:PutLogEvents", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
               "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"} | DESCRIBE_ONLY_ON_STAR
    assert {a for s in stmts for a in s.actions} <= allowed
    logs = [s for s in stmts if any(a.startswith("logs:") for a in s.actions)]
    assert logs and all(s.resources == ['"${var.lambda_log_group_arn}:log-stream:*"'] for s in logs)
    assert "logs:CreateLogGroup" not in {a for s in stmts for a in s.actions}


# ---- what the Kafka host and the function get ---------------------------------------------------

def heredoc_text(src: str) -> str:
    body = src.split("\n", 1)[1].rsplit("\n", 1)[0]
    return textwrap.dedent(body) + "\n"


def check_sink_config(kafka: Module, tmp_path, settings: dict[str, str]) -> str:
    """`clicktrail config check` of the sink's config as the kafka module renders it, with the
    sink's environment `settings`; its output."""
    toml = heredoc_text(kafka.locals()["sink_config"].src)
    values = {'join(",", local.brokers)': "10.42.128.10:9092,10.42.129.10:9092", "var.kafka_topic": "clicktrail.events",
              "var.kafka_bad_topic": "clicktrail.bad", "var.bucket": "myblog-clicktrail-data",
              "var.sink_prefix": "clicktrail", "local.region": "eu-west-1"}
    rendered = re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], toml)
    path = tmp_path / "clicktrail.toml"
    path.write_text(rendered)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKTRAIL_")} | settings
    proc = subprocess.run([binary(), "config", "check", str(path)], capture_output=True, text=True, timeout=30,
                          env=env)
    assert proc.returncode == 0, f"{rendered}\n{settings}\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def test_the_sink_config_written_to_the_kafka_host_passes_config_check(modules, tmp_path):
    out = check_sink_config(mod(modules, "kafka"), tmp_path, {})
    assert "s3://myblog-clicktrail-data/clicktrail" in out


def test_the_kafka_hosts_bootstrap_script_is_valid_bash_and_the_sink_unit_is_deploy_systemds(modules, tmp_path):
    kafka = mod(modules, "kafka")
    template = (kafka.path / "files" / "bootstrap.sh.tftpl").read_text()
    script = tmp_path / "bootstrap.sh"
    script.write_text(render_template(template, {n: f"placeholder-{n}" for n in template_placeholders(template)}))
    proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    files = kafka.locals()["files"].src
    assert 'file("${path.module}/../../../systemd/clicktrail-sink.service")' in files
    assert 'file("${path.module}/../../../systemd/clicktrail.sysusers")' in files
    properties = (kafka.path / "files" / "server.properties.tftpl").read_text()
    assert "process.roles=broker,controller" in properties
    # The controllers listen where only the other nodes reach them (the "peers" rules above).
    assert "CONTROLLER://${address}:${controller_port}" in properties
    for line in ("default.replication.factor=${replication}", "min.insync.replicas=${min_insync}",
                 "unclean.leader.election.enable=false", "auto.create.topics.enable=false"):
        assert re.search(f"^{re.escape(line)}$", properties, re.M), line


def test_the_lambda_function_is_configured_by_environment_and_outlives_its_produce_timeout(modules):
    ingest = mod(modules, "ingest")
    env = ingest.locals()["environment"].src
    for key in ("CLICKTRAIL_KAFKA_BROKERS", "CLICKTRAIL_KAFKA_TOPIC", "CLICKTRAIL_KAFKA_BAD_TOPIC",
                "CLICKTRAIL_SITES", "CLICKTRAIL_INGEST_PRODUCE_TIMEOUT"):
        assert key in env, f"the function's environment lacks {key}"
    variables = ingest.variables()
    assert variables["timeout_seconds"].value("default") > variables["produce_timeout_seconds"].value("default")
    function = ingest.resource("aws_lambda_function", "this")
    assert function.value("package_type") == "Image"
    assert function.child("vpc_config").attrs["security_group_ids"].refs == ["aws_security_group.lambda.id"]
    routes = ingest.locals()["routes"].src
    for method, path in (("POST", "/v1/events"), ("OPTIONS", "/v1/events"), ("GET", "/v1/p.gif"),
                         ("POST", "/com.snowplowanalytics.snowplow/tp2"), ("GET", "/i"),
                         ("POST", "/v1/{call}"), ("OPTIONS", "/v1/{call}")):
        assert re.search(rf'method = "{method}", path = "{re.escape(path)}"', routes), (method, path)
    stage = ingest.resource("aws_apigatewayv2_stage", "default").child("default_route_settings")
    assert stage.attrs["throttling_rate_limit"].refs and stage.attrs["throttling_burst_limit"].refs
    repo = ingest.resource("aws_ecr_repository", "this")
    assert repo.child("image_scanning_configuration").value("scan_on_push") is True
    for group in ingest.resources("aws_cloudwatch_log_group"):
        assert group.attrs["retention_in_days"].refs == ["var.log_retention_days"], group.where()


def test_the_glue_table_has_the_event_schemas_columns_in_order(modules):
    schema = (REPO_ROOT / "docs" / "event-schema.md").read_text().split("## Input forms")[0]
    fields = re.findall(r"^\| `(\w+)` \| \d+ \| ([\w ()]+?) \|", schema, re.M)  # field, id, type
    kinds = {"string": "string", "string (UUID)": "string", "int64 (ms)": "timestamp", "int64": "bigint",
             "int32": "int", "bool": "boolean", "JSON object": "string"}
    expected = [[name, kinds[kind]] for name, kind in fields]
    assert len(expected) > 40, "could not read the fields of docs/event-schema.md"
    columns = mod(modules, "analytics").locals()["columns"]
    assert [i.value for i in columns.items] == expected
    table = mod(modules, "analytics").resource("aws_glue_catalog_table", "events")
    assert [k.value("name") for k in table.children("partition_keys")] == ["year", "month", "day", "hour"]
    template = table.attrs["parameters"].src
    assert "/year=$${year}/month=$${month}/day=$${day}/hour=$${hour}" in template
    workgroup = mod(modules, "analytics").resource("aws_athena_workgroup", "this").child("configuration")
    assert workgroup.value("enforce_workgroup_configuration") is True
    assert workgroup.attrs["bytes_scanned_cutoff_per_query"].refs == ["var.bytes_scanned_cutoff"]


def test_the_iceberg_glue_table_is_left_for_the_sink_to_point(modules):
    analytics = mod(modules, "analytics")
    table = analytics.resource("aws_glue_catalog_table", "iceberg_events")
    assert table.attrs["count"].src == 'var.table == "iceberg" ? 1 : 0'
    assert analytics.resource("aws_glue_catalog_table", "events").attrs["count"].src == 'var.table == "files" ? 1 : 0'
    # What the sink requires of a Glue table to point it (src/table/glue_catalog.cc): ICEBERG, and
    # no metadata_location until it sets one; at the table's own location, where the sink keeps it.
    assert table.attrs["parameters"].value == {"table_type": "ICEBERG"}
    descriptor = table.child("storage_descriptor")
    assert descriptor.attrs["location"].refs == ["local.table_location"]
    assert analytics.locals()["table_location"].src == '"s3://${var.bucket}/${var.sink_prefix}"'
    assert [c.attrs["for_each"].src for c in descriptor.blocks if c.type == "dynamic"] == ["local.columns"]
    # Applying again must not point Athena back at no version.
    ignored = table.child("lifecycle").attrs["ignore_changes"]
    assert sorted(i.src for i in ignored.items) == ["parameters", "storage_descriptor"]
    assert analytics.outputs()["glue_table"].attrs["value"].src == '"${aws_glue_catalog_database.this.name}.${local.events_table}"'


def test_the_example_wires_an_iceberg_sink_to_its_glue_table(modules, tmp_path):
    example, kafka = mod(modules, EXAMPLE), mod(modules, "kafka")
    settings = example.locals()["sink_settings"].src
    assert "CLICKTRAIL_SINK_TABLE = var.table" in settings and "CLICKTRAIL_SINK_GLUE_TABLE = local.glue_table" in settings
    # The one name, given to the sink, its role and the network's endpoint; the analytics module
    # names its table "events" in a database of var.name.
    glue = example.locals()["glue_table"].src
    assert glue == 'var.enable_analytics && var.table == "iceberg" ? "${local.analytics_database}.events" : null'
    assert example.locals()["analytics_database"].src == 'replace(var.name, "-", "_")'
    blocks = {b.labels[0]: b for b in example.of_type("module")}
    for name in ("network", "iam"):
        assert blocks[name].attrs["glue_table"].refs == ["local.glue_table"], name
    assert blocks["analytics"].attrs["name"].refs == ["local.analytics_database"]
    assert blocks["analytics"].attrs["table"].refs == ["var.table"]
    assert blocks["kafka"].attrs["sink_settings"].refs == ["local.sink_settings"]
    assert blocks["kafka"].attrs["glue_endpoint_security_group_ids"].refs == \
        ["module.network.glue_endpoint_security_group_ids"]
    # The sink's config on the host, with those settings, passes the sink's own check.
    out = check_sink_config(kafka, tmp_path, {"CLICKTRAIL_SINK_TABLE": "iceberg",
                                              "CLICKTRAIL_SINK_GLUE_TABLE": "clicktrail.events"})
    assert "an Iceberg table that Glue table clicktrail.events follows" in out, out


def test_the_example_outputs_the_api_url_and_the_bucket(modules):
    outputs = mod(modules, EXAMPLE).outputs()
    assert outputs["api_url"].attrs["value"].refs == ["module.ingest.events_url"]
    assert outputs["bucket"].attrs["value"].refs == ["module.bucket.name"]
    readme = (TERRAFORM_DIR / EXAMPLE / "README.md").read_text()
    for step in ("init", "plan", "apply", "docker push", "curl"):
        assert step in readme, f"the example's README does not walk through {step}"


# ---- operations: Session Manager, flow logs, alarms and the sink's lag ---------------------------

def kafka_file(kafka: Module, path: str) -> Attr:
    """The entry of the kafka module's `files` (what cloud-init writes on every host) for `path`."""
    found = [i for i in kafka.locals()["files"].items if f'path = "{path}"' in i.src]
    assert len(found) == 1, f"the kafka module writes no {path} on its hosts"
    return found[0]


def test_the_operations_endpoints_admit_only_the_kafka_hosts(modules):
    network, kafka, example = mod(modules, "network"), mod(modules, "kafka"), mod(modules, EXAMPLE)
    services = network.locals()["operations_services"].src
    assert 'var.ssm_endpoints ? ["ssm", "ssmmessages", "ec2messages"] : []' in services
    assert 'var.metrics_namespace == null ? [] : ["monitoring"]' in services
    endpoint = network.resource("aws_vpc_endpoint", "operations")
    assert endpoint.attrs["for_each"].src == "toset(local.operations_services)", "each only when asked for"
    assert endpoint.value("vpc_endpoint_type") == "Interface" and endpoint.value("private_dns_enabled") is True
    assert endpoint.attrs["subnet_ids"].refs == ["aws_subnet.private"]
    assert endpoint.attrs["security_group_ids"].refs == ["aws_security_group.endpoints[0].id"]
    sg = network.resource("aws_security_group", "endpoints")
    assert not sg.children("ingress") and not sg.children("egress"), "no inline rules on the endpoints' group"
    # In: 443 from the named groups, no address range.
    rule = network.resource("aws_vpc_security_group_ingress_rule", "endpoints")
    assert rule.attrs["security_group_id"].refs == ["aws_security_group.endpoints[0].id"]
    assert rule.attrs["for_each"].refs == ["local.operations_services", "var.endpoint_client_security_groups"]
    assert rule.attrs["referenced_security_group_id"].src == "each.value"
    assert rule.value("from_port") == rule.value("to_port") == 443 and rule.value("ip_protocol") == "tcp"
    assert not {"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} & set(rule.attrs)
    # The example names the Kafka hosts' group, and only it; the hosts go out to the endpoints on
    # 443, counted over a list like their Glue rule.
    calls = {b.labels[0]: b for b in example.of_type("module")}
    assert calls["network"].attrs["endpoint_client_security_groups"].src.split() == \
        ["{", "kafka_hosts", "=", "module.kafka.host_security_group_id", "}"]
    egress = kafka.resource("aws_vpc_security_group_egress_rule", "endpoints")
    assert egress.attrs["count"].src == "length(var.endpoint_security_group_ids)"
    assert egress.attrs["referenced_security_group_id"].src == "var.endpoint_security_group_ids[count.index]"
    assert egress.value("from_port") == egress.value("to_port") == 443
    assert calls["kafka"].attrs["endpoint_security_group_ids"].refs == ["module.network.endpoint_security_group_ids"]
    assert network.outputs()["endpoint_security_group_ids"].attrs["value"].refs == ["aws_security_group.endpoints"]


def test_session_manager_is_off_by_default_and_its_agent_gets_only_its_own_calls(modules):
    iam, example = mod(modules, "iam"), mod(modules, EXAMPLE)
    # One switch in the example turns on the endpoints and the grant; off unless asked for.
    assert example.variables()["enable_ssm"].value("default") is False
    calls = {b.labels[0]: b for b in example.of_type("module")}
    assert calls["network"].attrs["ssm_endpoints"].refs == ["var.enable_ssm"]
    assert calls["iam"].attrs["ssm_sessions"].refs == ["var.enable_ssm"]
    for m, variable in (("network", "ssm_endpoints"), ("iam", "ssm_sessions")):
        assert mod(modules, m).variables()[variable].value("default") is False
    # The agent's calls, in a policy of their own on the hosts' role (the sink's lists the sink's
    # calls alone), limited to the region: no documents, associations, inventory or parameters.
    stmts = statements(iam, iam.data("aws_iam_policy_document", "host_operations"))
    [agent] = [s for s in stmts if s.actions[0].startswith("ssm")]
    assert agent.actions == SSM_AGENT_ACTIONS
    assert agent.resources == ['"*"'] and agent.conditions == \
        [("StringEquals", "aws:RequestedRegion", "[data.aws_region.current.name]")]
    assert iam.resource("aws_iam_role_policy", "host_operations").attrs["role"].refs == ["aws_iam_role.sink.id"]
    readme = (TERRAFORM_DIR / "modules" / "kafka" / "README.md").read_text()
    assert "aws ssm start-session --target" in readme, "the kafka module's README must say how to open a session"


def test_the_vpc_logs_its_flows_to_a_group_of_its_own_with_a_role_limited_to_it(modules):
    network = mod(modules, "network")
    flow = network.resource("aws_flow_log", "this")
    assert flow.attrs["vpc_id"].refs == ["aws_vpc.this.id"]
    assert flow.value("log_destination_type") == "cloud-watch-logs"
    assert flow.attrs["log_destination"].refs == ["aws_cloudwatch_log_group.flow_logs.arn"]
    assert flow.attrs["traffic_type"].refs == ["var.flow_log_traffic_type"]
    assert network.variables()["flow_log_traffic_type"].value("default") == "ALL"
    group = network.resource("aws_cloudwatch_log_group", "flow_logs")
    assert group.attrs["retention_in_days"].refs == ["var.flow_log_retention_days"]
    assert group.attrs["kms_key_id"].refs == ["var.flow_log_kms_key_arn"]
    # The flow log service may assume the role for this account's flow logs only …
    assert flow.attrs["iam_role_arn"].refs == ["aws_iam_role.flow_logs.arn"]
    [trust] = statements(network, network.data("aws_iam_policy_document", "flow_logs_assume"))
    assert trust.principals == [("Service", '["vpc-flow-logs.amazonaws.com"]')]
    assert {c[1] for c in trust.conditions} == {"aws:SourceAccount", "aws:SourceArn"}
    # … and write to its one group, nothing else.
    [write] = statements(network, network.data("aws_iam_policy_document", "flow_logs"))
    assert set(write.actions) <= {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
    assert write.resources == ["aws_cloudwatch_log_group.flow_logs.arn",
                               '"${aws_cloudwatch_log_group.flow_logs.arn}:*"']


def test_put_metric_data_is_granted_only_into_the_namespace(modules):
    iam, network = mod(modules, "iam"), mod(modules, "network")
    puts = [(m, s) for m, s in all_statements(modules) if "cloudwatch:PutMetricData" in s.actions]
    assert puts, "nothing grants the hosts cloudwatch:PutMetricData"
    for m, s in puts:
        assert s.actions == ["cloudwatch:PutMetricData"], f"{m.name} {s.where}: PutMetricData alone"
        namespace = [c for c in s.conditions if c[1] == "cloudwatch:namespace"]
        assert namespace and namespace[0][0] == "StringEquals", f"{m.name} {s.where}: no namespace condition"
    [grant] = [s for s in statements(iam, iam.data("aws_iam_policy_document", "host_operations"))
               if s.actions == ["cloudwatch:PutMetricData"]]
    assert grant.conditions == [("StringEquals", "cloudwatch:namespace", "[statement.value]")]
    [endpoint] = statements(network, network.data("aws_iam_policy_document", "monitoring_endpoint"))
    assert ("StringEquals", "cloudwatch:namespace", "[var.metrics_namespace]") in endpoint.conditions
    # Through the endpoint, by this account alone: not a way out for anyone's credentials.
    assert ("StringEquals", "aws:PrincipalAccount", "[data.aws_caller_identity.current.account_id]") in \
        endpoint.conditions
    policy = network.resource("aws_vpc_endpoint", "operations").attrs["policy"].src
    assert policy == 'each.key == "monitoring" ? data.aws_iam_policy_document.monitoring_endpoint[0].json : null'
    # One namespace for the hosts, their grant, the endpoint and the alarm.
    example = mod(modules, EXAMPLE)
    assert example.locals()["metrics_namespace"].src == 'var.enable_alarms ? "clicktrail" : null'
    for name in ("network", "iam", "kafka", "alarms"):
        call = [b for b in example.of_type("module") if b.labels == [name]][0]
        assert call.attrs["metrics_namespace"].refs == ["local.metrics_namespace"], name


def test_each_alarm_watches_its_metric_and_notifies_an_encrypted_topic(modules):
    alarms, example = mod(modules, "alarms"), mod(modules, EXAMPLE)
    by_name = {b.labels[1]: b for b in alarms.resources("aws_cloudwatch_metric_alarm")}
    assert sorted(by_name) == ["api_5xx", "lambda_errors", "lambda_throttles", "sink_lag"]
    for alarm in by_name.values():
        assert alarm.attrs["alarm_actions"].refs == alarm.attrs["ok_actions"].refs == ["local.topics"], alarm.where()
    # The API's share of 5xx: 5xx / Count of its ApiId; no requests is no data, not an alarm.
    api = by_name["api_5xx"]
    queries = {q.value("id"): q for q in api.children("metric_query")}
    for qid, metric in (("errors", "5xx"), ("requests", "Count")):
        m = queries[qid].child("metric")
        assert (m.value("namespace"), m.value("metric_name"), m.value("stat")) == ("AWS/ApiGateway", metric, "Sum")
        assert m.attrs["dimensions"].src.split() == ["{", "ApiId", "=", "var.api_id", "}"]
    rate = [q for q in queries.values() if q.attrs.get("return_data") and q.value("return_data")]
    assert [q.value("id") for q in rate] == ["rate"]
    assert re.search(r"FILL\(errors, 0\) / requests", rate[0].value("expression"))
    assert api.attrs["threshold"].refs == ["var.api_5xx_rate"] and api.value("treat_missing_data") == "notBreaching"
    for name, metric in (("lambda_errors", "Errors"), ("lambda_throttles", "Throttles")):
        alarm = by_name[name]
        assert (alarm.value("namespace"), alarm.value("metric_name")) == ("AWS/Lambda", metric)
        assert alarm.attrs["dimensions"].src.split() == ["{", "FunctionName", "=", "var.function_name", "}"]
    # The sink's lag, as the hosts put it; silence is a dead sink.
    lag = by_name["sink_lag"]
    assert lag.attrs["namespace"].refs == ["var.metrics_namespace"] and lag.value("metric_name") == "SinkLagRecords"
    assert lag.attrs["dimensions"].src.split() == ["{", "Deployment", "=", "var.deployment", "}"]
    assert lag.value("statistic") == "Maximum" and lag.value("treat_missing_data") == "breaching"
    script = (TERRAFORM_DIR / "modules" / "kafka" / "files" / "sink-lag.sh").read_text()
    assert "--metric-name SinkLagRecords" in script and '--dimensions "Deployment=$DEPLOYMENT"' in script
    # The topic: encrypted with a key whose policy lets CloudWatch publish (alias/aws/sns cannot).
    topic = alarms.resource("aws_sns_topic", "alarms")
    assert topic.attrs["kms_master_key_id"].src == "local.make_key ? aws_kms_key.alarms[0].arn : var.topic_kms_key_arn"
    assert alarms.resource("aws_kms_key", "alarms").value("enable_key_rotation") is True
    key_policy = statements(alarms, alarms.data("aws_iam_policy_document", "alarms_key"))
    [cloudwatch] = [s for s in key_policy if s.principals == [("Service", '["cloudwatch.amazonaws.com"]')]]
    assert sorted(cloudwatch.actions) == ["kms:Decrypt", "kms:GenerateDataKey"]
    # Wired into the example: the API and function of the ingest module, the hosts' namespace and
    # name, on unless turned off.
    call = [b for b in example.of_type("module") if b.labels == ["alarms"]][0]
    assert call.attrs["api_id"].refs == ["module.ingest.api_id"]
    assert call.attrs["function_name"].refs == ["module.ingest.function_name"]
    kafka_call = [b for b in example.of_type("module") if b.labels == ["kafka"]][0]
    assert call.attrs["deployment"].refs == kafka_call.attrs["name"].refs == ["var.name"]
    assert example.variables()["enable_alarms"].value("default") is True
    assert example.outputs()["alarm_arns"].attrs["value"].refs == ["module.alarms[0].alarm_arns"]


def test_the_kafka_hosts_run_the_sink_lag_timer_with_the_sink(modules):
    kafka = mod(modules, "kafka")
    for path, source in (("/usr/local/sbin/clicktrail-sink-lag", "sink-lag.sh"),
                         ("/etc/systemd/system/clicktrail-sink-lag.service", "clicktrail-sink-lag.service"),
                         ("/etc/systemd/system/clicktrail-sink-lag.timer", "clicktrail-sink-lag.timer")):
        assert f'file("${{path.module}}/files/{source}")' in kafka_file(kafka, path).src, path
    # The sink's unit wants the timer (a drop-in: nothing to enable), when there is a namespace.
    dropin = kafka_file(kafka, "/etc/systemd/system/clicktrail-sink.service.d/sink-lag.conf").src
    assert 'var.metrics_namespace == null ? "' in dropin and '"[Unit]\\nWants=clicktrail-sink-lag.timer\\n"' in dropin
    env = kafka_file(kafka, "/etc/clicktrail/sink-lag.env").src
    for setting in ("NAMESPACE=", "DEPLOYMENT=", "AWS_REGION=", "METRICS_URL=http://127.0.0.1:8081/metrics"):
        assert setting in env, setting
    # METRICS_URL is where the sink serves /metrics: its sink.listen.
    assert 'listen = "127.0.0.1:8081"' in kafka.locals()["sink_config"].src
    unit = (kafka.path / "files" / "clicktrail-sink-lag.service").read_text()
    for line in ("DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=",
                 "EnvironmentFile=/etc/clicktrail/sink-lag.env", "ExecStart=/usr/local/sbin/clicktrail-sink-lag"):
        assert re.search(f"^{re.escape(line)}$", unit, re.M), line


# /metrics of a real `clicktrail sink` (two topics, three partitions; the sink's own metrics around
# the lag gauges), captured while it caught up on 300 000 events.
CAPTURED_SINK_METRICS = """\
# HELP clicktrail_kafka_consumer_assigned_partitions Partitions currently assigned to this process's consumers.
# TYPE clicktrail_kafka_consumer_assigned_partitions gauge
clicktrail_kafka_consumer_assigned_partitions 3
# HELP clicktrail_sink_files_written_total Files completed in the store.
# TYPE clicktrail_sink_files_written_total counter
clicktrail_sink_files_written_total 0
# HELP clicktrail_sink_lag_records Records not yet consumed by this sink, per partition it owns (0 once revoked).
# TYPE clicktrail_sink_lag_records gauge
clicktrail_sink_lag_records{topic="ct.events",partition="0"} 79850
clicktrail_sink_lag_records{topic="ct.bad",partition="2"} 0
clicktrail_sink_lag_records{topic="ct.events",partition="1"} 100157
# HELP clicktrail_sink_open_files Files open (being written).
# TYPE clicktrail_sink_open_files gauge
clicktrail_sink_open_files 1
# HELP clicktrail_sink_records_in_total Records consumed and appended to a file.
# TYPE clicktrail_sink_records_in_total counter
clicktrail_sink_records_in_total 20623
"""


def run_sink_lag(tmp_path, metrics_url: str) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    """Runs the kafka module's sink-lag script as its unit does, against `metrics_url`, with an
    `aws` on the PATH that records its arguments; its result, and each recorded call."""
    bin_dir, calls = tmp_path / "bin", tmp_path / "aws-calls"
    bin_dir.mkdir(exist_ok=True)
    calls.write_text("")
    fake = bin_dir / "aws"
    fake.write_text(f'#!/bin/bash\nprintf "%s\\0" "$@" >>{calls}\nprintf "\\n" >>{calls}\n')
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "NAMESPACE": "clicktrail", "DEPLOYMENT": "blog",
           "AWS_REGION": "eu-west-1", "METRICS_URL": metrics_url}
    script = TERRAFORM_DIR / "modules" / "kafka" / "files" / "sink-lag.sh"
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env, timeout=60)
    recorded = [line.split("\0")[:-1] for line in calls.read_text().splitlines()]
    return proc, recorded


def put_lag_call(value: str) -> list[str]:
    return ["cloudwatch", "put-metric-data", "--region", "eu-west-1", "--cli-connect-timeout", "5",
            "--cli-read-timeout", "10", "--namespace", "clicktrail", "--metric-name", "SinkLagRecords",
            "--dimensions", "Deployment=blog", "--value", value, "--unit", "Count"]


def test_the_sink_lag_script_sums_the_sinks_lag_into_one_cloudwatch_metric(tmp_path):
    script = TERRAFORM_DIR / "modules" / "kafka" / "files" / "sink-lag.sh"
    proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    pages = {"/metrics": CAPTURED_SINK_METRICS,
             # A sink that has no partition yet serves the rest, without the gauge.
             "/unassigned": re.sub(r"^clicktrail_sink_lag_records\{.*\n", "", CAPTURED_SINK_METRICS, flags=re.M)}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write((body or "").encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        # The sum over every partition the sink owns, one datapoint.
        proc, calls = run_sink_lag(tmp_path, f"{base}/metrics")
        assert proc.returncode == 0, proc.stderr
        assert calls == [put_lag_call(str(79850 + 0 + 100157))]
        # Nothing to sum: nothing sent (the alarm counts the silence).
        proc, calls = run_sink_lag(tmp_path, f"{base}/unassigned")
        assert proc.returncode == 0 and calls == [] and "owns no partition" in proc.stderr, proc.stderr
        # A sink that does not answer: nothing sent, and the unit fails.
        proc, calls = run_sink_lag(tmp_path, f"{base}/gone")
        assert proc.returncode != 0 and calls == [] and "did not answer" in proc.stderr, proc.stderr
    finally:
        server.shutdown()
        server.server_close()


def test_the_hosts_user_data_is_compressed_to_fit_ec2s_16_kb(modules):
    # The files cloud-init writes (units, configs, the bootstrap, the sink-lag timer) are past
    # EC2's 16 KB of user data as text; gzip'ed, which cloud-init undoes, they are a third of it.
    host = mod(modules, "kafka").resource("aws_instance", "host")
    assert "user_data" not in host.attrs
    assert host.attrs["user_data_base64"].src == "base64gzip(local.cloud_configs[count.index])"
    assert host.value("user_data_replace_on_change") is True
