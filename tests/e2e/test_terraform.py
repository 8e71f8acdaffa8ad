"""deploy/terraform, checked without an AWS account: formatted as OpenTofu formats it; parsed by
HashiCorp's HCL parser; every reference and module argument resolving (what `tofu validate`
would catch short of the AWS provider's schemas, which cannot be had here: see
deploy/terraform/README.md); and the deployment's security properties read from the parsed
configuration — the bucket private, TLS-only, encrypted and versioned, uploads that never finish
aborted, Kafka reachable only from the Lambda function, IAM limited to what each program calls.
The files the Kafka host gets are rendered and judged by their own tools: the sink's config by
`clicktrail config check`, the bootstrap script by bash."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap

import pytest

from collector import binary
from conftest import REPO_ROOT
from terraform_config import (EXAMPLE, SSM_AGENT_ACTIONS, TERRAFORM_DIR, Module, all_statements, built_tool,
                              mod, modules, render_template, statements, template_placeholders, walk)

MODULES = ("network", "bucket", "iam", "ingest", "kafka", "analytics", "alarms")
# The one place a policy may name Resource "*": EC2's Describe calls, which IAM authorizes only on
# "*" and which Lambda requires of a function in a VPC. They read metadata and change nothing.
DESCRIBE_ONLY_ON_STAR = {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}
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
            for block, name, attr, iterators in walk(top, frozenset()):
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
                    elif (root, parts[1] if len(parts) > 1 else "") in resources:
                        pass  # a resource of another provider's (terraform_data)
                    elif root not in {"var", "local", "module", "data"} | BUILTIN_ROOTS | iterators and not root.startswith("aws_"):
                        problems.append(f"{where}: unknown name {root}")
    assert not problems, "\n".join(problems)


def test_the_files_that_modules_read_exist_and_templates_get_every_placeholder(modules):
    for m in modules.values():
        for top in m.blocks:
            for block, name, attr, _ in walk(top, frozenset()):
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
