"""deploy/terraform/examples/github-pages applied against moto, a mock of AWS's APIs (PyPI), with
the hashicorp/aws provider unchanged and its endpoints pointed at it: init, plan, apply, a second
plan that finds nothing to change, destroy, and nothing of ours left in the mock. One scenario
also follows the example's README as written: the ECR repository first, an image in it before
the function, the AWS CLI's steps, the upgrades to a new image and a new bundle, the teardown.

What this proves: every resource is created, read back and deleted through the provider's own
calls and waiters, in an order that works (moto, like Lambda, creates a function only from an
image already in ECR); what is read back matches what was written; an upgrade changes what the
README says it changes. What it cannot: that AWS accepts what moto accepts. moto stores IAM
policies without judging them, boots no host and runs no function.

moto is tools/moto/server.py: moto's server with what it lacks or answers unlike AWS registered,
each addition explained there. It serves HTTPS with a CA of its own, which the provider and the
AWS CLI trust by its file, so that the bucket's deny of plain HTTP is evaluated as in AWS.

A scenario is a few minutes of the provider's waiters (it polls S3 lifecycle rules for 55 s)
and little work, so all of them run at once, each against its own moto, from the first test on.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from test_terraform import provider_mirror

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")

EXAMPLE = Path("deploy/terraform/examples/github-pages")
README = REPO_ROOT / EXAMPLE / "README.md"
MOTO = REPO_ROOT / "tools" / "moto" / "server.py"
REGION = "us-east-1"

# One deployment per shape of the resource graph: terraform.tfvars.example's values, then these.
# Each option's values appear once; options of different modules share a deployment, as each
# deployment is minutes of waiting. A new value is one more pair in a line, or one more line.
SCENARIOS = {
    # The defaults: one Kafka host, a files table, Athena, alarms; no Session Manager.
    "files": {},
    # Three Kafka hosts in three zones; an Iceberg table, with the Glue table's interface
    # endpoint and the sink's Glue grant; Session Manager's endpoints and the agent's grant.
    "three-az-iceberg-ssm": {"kafka_cluster": "three-az", "table": "iceberg", "enable_ssm": True},
    # Amazon MSK's brokers and one host for the sink; no Glue, Athena, alarms or SNS topic.
    "msk-no-analytics-no-alarms": {"kafka_cluster": "msk", "enable_analytics": False, "enable_alarms": False},
}
# The scenario that walks through README.md, upgrades and all.
WALKTHROUGH = "files"

# Every service the example's modules call (Amazon MSK's SASL/SCRAM would add secretsmanager's
# calls). A service missing here is called at its AWS address, which does not resolve: the test
# says which to add.
SERVICES = ("apigatewayv2", "athena", "cloudwatch", "ec2", "ecr", "glue", "iam", "kafka", "kms", "lambda", "logs",
            "s3", "secretsmanager", "sns", "ssm", "sts")

# What moto answers unlike AWS in a way the second plan shows as a change: (resource type,
# attribute) → why. Empty: those found so far (an instance's security groups and public-address
# association, rule descriptions, a Lambda image_config) are answered as AWS does in tools/moto.
# One that cannot be goes here with its reason; any other change fails the test.
MOCK_ARTEFACTS: dict[tuple[str, str], str] = {}

# The image a push would leave in ECR: a manifest is all ECR and Lambda look at.
MANIFEST = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469,
                       "digest": "sha256:" + "c" * 64},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 2048,
                        "digest": "sha256:" + "d" * 64}]}
STEP_TIMEOUT_S = 600
INIT_LOCK = threading.Lock()


class Mock:
    """tools/moto/server.py on a free loopback port, for one scenario; its log is kept for errors."""

    def __init__(self, workdir: Path):
        self.tls = workdir / "tls"
        self.log = workdir / "moto.log"
        # MOTO_LAMBDA_STUB_ECR=false: moto then refuses a function whose image is not in its ECR.
        env = {**os.environ, "MOTO_LAMBDA_STUB_ECR": "false"}
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, str(MOTO), "--port", "0", "--tls", str(self.tls)],
                                         stdout=subprocess.PIPE, stderr=log, env=env)
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(60)
        if not line or not line[0].startswith(b"https://"):
            self.stop()
            raise AssertionError(f"tools/moto/server.py did not start:\n{self.tail()}")
        self.url = line[0].decode().strip()
        self.ca = self.tls / "ca.pem"

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.url, region_name=REGION, verify=str(self.ca),
                            aws_access_key_id="mock", aws_secret_access_key="mock")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


class StepFailed(AssertionError):
    pass


@dataclass(frozen=True)
class Tools:
    mirror: str  # the provider's filesystem mirror
    cli_config: Path  # a CLI config whose plugin cache links the 700 MB provider instead of copying it


class Example:
    """A copy of deploy/ (the modules read ../../../systemd) with the example set up against a
    Mock: the provider override, terraform.tfvars from the README's template, the two downloads."""

    def __init__(self, workdir: Path, mock: Mock, tools: Tools, tfvars: dict[str, object]):
        self.mock, self.mirror = mock, tools.mirror
        shutil.copytree(REPO_ROOT / "deploy", workdir / "deploy",
                        ignore=shutil.ignore_patterns(".terraform*", "terraform.tfstate*", "terraform.tfvars", "downloads"))
        self.dir = workdir / EXAMPLE
        (self.dir / "moto_override.tf").write_text(provider_override(mock))
        template = (self.dir / "terraform.tfvars.example").read_text()
        tfvars = {"region": REGION, **tfvars}
        for name, value in tfvars.items():
            assigned = f"{name} = {json.dumps(value)}"
            template, found = re.subn(rf"^#?\s*{name}\s*=.*$", assigned, template, count=1, flags=re.M)
            template += "" if found else assigned + "\n"
        (self.dir / "terraform.tfvars").write_text(template)
        (self.dir / "downloads").mkdir()
        (self.dir / "downloads" / "kafka_2.13-3.9.1.tgz").write_bytes(b"not Kafka: the host never boots in moto\n")
        self.write_bundle("v1")
        home = workdir / "home"
        home.mkdir()
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        self.env = {**clean, "HOME": str(home), "TF_CLI_CONFIG_FILE": str(tools.cli_config), "CHECKPOINT_DISABLE": "1",
                    "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
                    "AWS_ENDPOINT_URL": mock.url, "AWS_CA_BUNDLE": str(mock.ca), "AWS_ACCESS_KEY_ID": "mock",
                    "AWS_SECRET_ACCESS_KEY": "mock",
                    # The README's `export AWS_REGION=…` for CLI v2; the CLI from PyPI is v1, which
                    # reads the region from AWS_DEFAULT_REGION only.
                    "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}

    def write_bundle(self, build: str) -> None:
        """A clicktrail bundle as the README packs it: bin/ and lib/ in a .tar.gz."""
        src = self.dir / "downloads" / "task"
        shutil.rmtree(src, ignore_errors=True)
        (src / "bin").mkdir(parents=True)
        (src / "lib").mkdir()
        (src / "bin" / "clicktrail").write_text(f"#!/bin/sh\necho clicktrail {build}\n")
        with tarfile.open(self.dir / "downloads" / "clicktrail-bundle.tar.gz", "w:gz") as tar:
            tar.add(src / "bin", "bin")
            tar.add(src / "lib", "lib")

    def sh(self, script: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        """Runs a shell script in the example's folder, as the README's commands run."""
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=self.dir, env=self.env,
                              capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
        if proc.returncode not in ok:
            diagnosis = ""
            if "no such host" in proc.stderr:
                diagnosis = "\n(an AWS address was called: add its service to SERVICES)"
            if "BucketNotEmpty" in proc.stderr:
                diagnosis = "\n(something the destroy did not delete is left in the bucket: its versions are in moto)"
            raise StepFailed(f"`{script}` exited {proc.returncode}:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
                             f"{diagnosis}\n--- moto's log:\n{self.mock.tail()}")
        return proc

    def tf(self, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        return self.sh(" ".join(["terraform", *map(shell_quote, args), "-no-color"]), ok)

    def init(self) -> None:
        # One at a time: Terraform's plugin cache is not safe for concurrent inits.
        with INIT_LOCK:
            self.tf("init", "-input=false", f"-plugin-dir={self.mirror}")

    def plan(self, out: str, *args: str) -> dict[str, str]:
        """`plan -out`: address → action ("create", "update", "replace", "delete") of each resource
        it changes, from its -json messages (without `terraform show`, which loads the provider)."""
        lines = self.tf("plan", "-json", f"-out={out}", *args).stdout.splitlines()
        messages = [json.loads(line) for line in lines if line.startswith("{")]
        return {m["change"]["resource"]["addr"]: m["change"]["action"] for m in messages
                if m.get("type") == "planned_change" and m["change"]["action"] not in ("noop", "read")}

    def output(self, name: str):
        return json.loads(self.sh(f"terraform output -json {name}").stdout)

    def state(self, kind: str, module: str) -> list[dict]:
        """Attributes of the `kind` resources in `module` (module.kafka, …), from the state file."""
        state = json.loads((self.dir / "terraform.tfstate").read_text())
        return [i["attributes"] for r in state["resources"] if r["mode"] == "managed" and r["type"] == kind
                and r.get("module", "").split("[")[0] == module for i in r["instances"]]

    def kafka_volumes(self) -> list[str]:
        """The Kafka hosts' data volumes (their addresses depend on the kafka module's option)."""
        return sorted(v["id"] for v in self.state("aws_ebs_volume", "module.kafka"))

    def push_image(self, tag: str) -> None:
        """What `docker push` leaves in ECR, put there with the AWS CLI (Docker cannot run here)."""
        manifest = json.loads(json.dumps(MANIFEST))
        manifest["config"]["digest"] = "sha256:" + (tag.encode().hex() * 64)[:64]
        (self.dir / f"manifest-{tag}.json").write_text(json.dumps(manifest))
        self.sh(f"aws ecr put-image --repository-name clicktrail --image-tag {tag} "
                f"--image-manifest file://manifest-{tag}.json")


def shell_quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


def provider_override(mock: Mock) -> str:
    endpoints = "\n".join(f"    {s:<14} = \"{mock.url}\"" for s in SERVICES)
    # No skip_requesting_account_id: without the account (moto's STS answers 123456789012) the
    # provider builds ARNs with an empty account, which moto then does not find (the Athena
    # workgroup's tags), and takes rules naming a security group for cross-account ones.
    return f"""# Written by tests/e2e/test_terraform_apply.py: every call goes to moto (tools/moto/server.py).
provider "aws" {{
  region                      = "{REGION}"
  access_key                  = "mock"
  secret_key                  = "mock"
  custom_ca_bundle            = "{mock.ca}"
  s3_use_path_style           = true
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {{
{endpoints}
  }}
}}
"""


def changed_attributes(plan: dict) -> dict[str, set[tuple[str, str]]]:
    """address → the (resource type, top-level attribute) pairs whose value the plan changes."""
    found = {}
    for rc in plan.get("resource_changes", []):
        change = rc["change"]
        if change["actions"] in (["no-op"], ["read"]):
            continue
        before, after, unknown = change.get("before") or {}, change.get("after") or {}, change.get("after_unknown") or {}
        names = {k for k in set(before) | set(after) if before.get(k) != after.get(k) or unknown.get(k)}
        found[rc["address"]] = {(rc["type"], name) for name in names} or {(rc["type"], "(the whole resource)")}
    return found


def leftovers(mock: Mock) -> dict[str, list[str]]:
    """What of ours moto still holds, by kind: all empty after destroy."""
    ec2, iam = mock.client("ec2"), mock.client("iam")
    found = {
        "buckets": [b["Name"] for b in mock.client("s3").list_buckets()["Buckets"]],
        "instances": [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
                      if i["State"]["Name"] != "terminated"],
        "volumes": [v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]],
        "vpcs": [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")],
        # Deleted endpoints stay listed a while, as in EC2.
        "vpc endpoints": [e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
                          if e["State"].lower() != "deleted"],
        "functions": [f["FunctionName"] for f in mock.client("lambda").list_functions()["Functions"]],
        "repositories": [r["repositoryName"] for r in mock.client("ecr").describe_repositories()["repositories"]],
        "roles": [r["RoleName"] for r in iam.list_roles()["Roles"] if not r["Path"].startswith("/aws-service-role/")],
        "instance profiles": [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]],
        "log groups": [g["logGroupName"] for g in mock.client("logs").describe_log_groups()["logGroups"]],
        "http apis": [a["Name"] for a in mock.client("apigatewayv2").get_apis()["Items"]],
        "glue databases": [d["Name"] for d in mock.client("glue").get_databases()["DatabaseList"]],
        "athena workgroups": [w["Name"] for w in mock.client("athena").list_work_groups()["WorkGroups"]
                              if w["Name"] != "primary"],
        "msk clusters": [c["ClusterName"] for c in mock.client("kafka").list_clusters_v2()["ClusterInfoList"]],
        "msk configurations": [c["Name"] for c in mock.client("kafka").list_configurations()["Configurations"]],
        "sns topics": [t["TopicArn"] for t in mock.client("sns").list_topics()["Topics"]],
        "alarms": [a["AlarmName"] for a in mock.client("cloudwatch").describe_alarms()["MetricAlarms"]],
    }
    return {kind: names for kind, names in found.items() if names}


@dataclass
class Run:
    """What one scenario's run saw, for the tests to judge."""

    planned: dict[str, str] = field(default_factory=dict)
    second_plan: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    left: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    # The walkthrough's alone.
    cli: dict[str, str] = field(default_factory=dict)
    image_upgrade: dict[str, str] = field(default_factory=dict)
    upgrade: dict[str, str] = field(default_factory=dict)
    image_uri: str = ""
    data_volumes: tuple[list[str], list[str]] = ([], [])
    volumes_attached_to: list[str] = field(default_factory=list)
    kafka_hosts: tuple[list[str], list[str]] = ([], [])
    ssm_plan: dict[str, str] = field(default_factory=dict)
    refused_destroy: str = ""
    kept_after_refusal: list[str] = field(default_factory=list)
    event_versions: list[str] = field(default_factory=list)


@contextmanager
def timed(run: Run, step: str):
    start = time.monotonic()
    yield
    run.seconds[step] = round(time.monotonic() - start, 1)


def deploy(name: str, tfvars: dict[str, object], workdir: Path, tools: Tools) -> Run:
    """One scenario from init to destroy; the walkthrough's with the README's steps between."""
    run = Run()
    mock = Mock(workdir)
    try:
        ex = Example(workdir, mock, tools, tfvars)
        walk = Walkthrough(ex, run) if name == WALKTHROUGH else None
        with timed(run, "init and the ECR repository"):
            ex.init()
            # README step 4: Lambda takes its image from ECR, so the repository comes first.
            ex.sh(readme_command("tofu apply -target=module.ingest.aws_ecr_repository.this") + " -auto-approve")
            if walk:
                walk.push_first_image()
            else:
                ex.push_image("v1")
        with timed(run, "plan and apply"):
            run.planned = ex.plan("clicktrail.plan")
            ex.sh("terraform apply -no-color clicktrail.plan")
        if walk:
            walk.after_apply()
        with timed(run, "second plan"):
            if ex.tf("plan", "-detailed-exitcode", "-out=again.plan", ok=(0, 2)).returncode == 2:
                run.second_plan = changed_attributes(json.loads(ex.sh("terraform show -json again.plan").stdout))
        if walk:
            walk.upgrades()
        with timed(run, "destroy"):
            if walk:
                walk.teardown()
            else:
                ex.tf("destroy", "-auto-approve")
        run.left = leftovers(mock)
        return run
    finally:
        mock.stop()


def readme_command(text: str) -> str:
    """A command as README.md writes it, with `terraform` for `tofu` (the same commands)."""
    assert text in README.read_text(), f"README.md no longer says `{text}`: bring the walkthrough test along"
    return re.sub(r"\btofu\b", "terraform", text)


class Walkthrough:
    """README.md's steps that reach AWS, run as written (with -auto-approve where they would
    ask). Docker and the first event cannot run here: the image push is an `aws ecr put-image` of
    its manifest, and nothing boots to answer a request."""

    def __init__(self, ex: Example, run: Run):
        self.ex, self.run = ex, run

    def push_first_image(self) -> None:
        # Step 5, up to the push: the repository by the CLI, as the README finds it.
        script = "\n".join([
            f"export AWS_REGION={REGION}",
            readme_command("repo=$(aws ecr describe-repositories --repository-names clicktrail "
                         "--query 'repositories[0].repositoryUri' --output text)"),
            'aws ecr get-login-password > /dev/null',
            'echo "$repo"',
        ])
        self.run.cli["repository"] = self.ex.sh(script).stdout.strip()
        self.ex.push_image("v1")

    def after_apply(self) -> None:
        # Step 6's console check (nothing boots in moto, so no "clicktrail-bootstrap: done"),
        # step 7's listing of the events and a query.
        ex = self.ex
        console = readme_command('aws ec2 get-console-output --instance-id "$(tofu output -raw kafka_instance_id)" '
                               "--latest --output text")
        self.run.cli["console"] = ex.sh(console).stdout
        # `aws s3 ls` exits 1 when it lists nothing, as here: no event was sent.
        ex.sh(readme_command('aws s3 ls "$(tofu output -raw events_location)" --recursive'), ok=(0, 1))
        query = readme_command('aws athena start-query-execution --work-group "$(tofu output -raw athena_workgroup)" '
                             '\\\n  --query-string "SELECT type, count(*) FROM $(tofu output -raw athena_table) '
                             'WHERE year = $(date -u +%Y) GROUP BY type"')
        self.run.cli["query"] = ex.sh(query).stdout

    def upgrades(self) -> None:
        ex, run = self.ex, self.run
        # "A new clicktrail": push under v2, redo the bundle, set image_tag, apply. What each of
        # the two changes does alone is planned first; then the README's one apply does both.
        with timed(run, "upgrade"):
            ex.push_image("v2")
            tfvars = ex.dir / "terraform.tfvars"
            tfvars.write_text(re.sub(r'^image_tag\s*=.*$', 'image_tag = "v2"', tfvars.read_text(), flags=re.M))
            run.image_upgrade = ex.plan("image.plan")
            volumes, hosts = ex.kafka_volumes(), ex.output("kafka_instance_ids")
            ex.write_bundle("v2")
            run.upgrade = ex.plan("upgrade.plan")
            ex.sh("terraform apply -no-color upgrade.plan")
            run.image_uri = ex.state("aws_lambda_function", "module.ingest")[0]["image_uri"]
            run.data_volumes = (volumes, ex.kafka_volumes())
            run.kafka_hosts = (hosts, ex.output("kafka_instance_ids"))
            described = ex.mock.client("ec2").describe_volumes(VolumeIds=volumes)["Volumes"]
            run.volumes_attached_to = sorted(a["InstanceId"] for v in described for a in v["Attachments"])
        # "A shell on the host": enable_ssm adds Session Manager's endpoints "and replaces no host".
        with timed(run, "plan of enable_ssm"):
            run.ssm_plan = ex.plan("ssm.plan", "-var=enable_ssm=true")

    def teardown(self) -> None:
        # "Down": destroy keeps a bucket that holds data; emptied, objects and their old
        # versions, as the README asks, it goes too. The first destroy has suspended the
        # bucket's versioning (aws_s3_bucket_versioning is gone), so `aws s3 rm` leaves each
        # object's old version and a delete marker, which the README leaves to the reader.
        ex = self.ex
        bucket = ex.output("bucket")
        ex.sh(f"echo 'an event' | aws s3 cp - s3://{bucket}/clicktrail/events/year=2026/part-0.parquet")
        with timed(self.run, "destroy, refused"):
            self.run.refused_destroy = ex.tf("destroy", "-auto-approve", ok=(1,)).stderr
        self.run.kept_after_refusal = ex.sh("terraform state list").stdout.split()
        ex.sh(readme_command("aws s3 rm s3://BUCKET --recursive").replace("BUCKET", bucket))
        versions = json.loads(ex.sh(f"aws s3api list-object-versions --bucket {bucket} --query "
                                    "'{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}}' "
                                    "--output json").stdout)
        self.run.event_versions = [o["VersionId"] for o in versions["Objects"] or [] if o["Key"].startswith("clicktrail/")]
        (ex.dir / "versions.json").write_text(json.dumps(versions))
        ex.sh(f"aws s3api delete-objects --bucket {bucket} --delete file://versions.json")
        ex.tf("destroy", "-auto-approve")


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory) -> dict[str, Future]:
    """The scenarios that the selected tests judge, all started at once."""
    terraform, mirror = shutil.which("terraform"), provider_mirror()
    if not terraform or not mirror:
        pytest.skip("needs `terraform` on the PATH and a mirror of hashicorp/aws (CLICKTRAIL_TF_PLUGINS)")
    base = tmp_path_factory.mktemp("terraform")
    (base / "plugin-cache").mkdir()
    tools = Tools(mirror, base / "terraformrc")
    tools.cli_config.write_text(f'plugin_cache_dir = "{base / "plugin-cache"}"\n')
    # One init fills the cache, so that the parallel ones only link to it.
    (base / "warm").mkdir()
    (base / "warm" / "versions.tf").write_text('terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n')
    subprocess.run([terraform, "init", "-input=false", f"-plugin-dir={mirror}"], cwd=base / "warm", check=True,
                   capture_output=True, env={**os.environ, "TF_CLI_CONFIG_FILE": str(tools.cli_config)}, timeout=300)
    wanted = {item.callspec.params.get("scenario", WALKTHROUGH) if hasattr(item, "callspec") else WALKTHROUGH
              for item in request.session.items if item.module is request.module}
    with ThreadPoolExecutor(len(wanted)) as pool:
        yield {name: pool.submit(deploy, name, SCENARIOS[name], tmp_path_factory.mktemp(name), tools)
               for name in SCENARIOS if name in wanted}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_example_applies_reads_back_unchanged_and_destroys_to_nothing(runs, scenario):
    run = runs[scenario].result()
    # Shown with -s, or when the test fails.
    print(f"{scenario}: {len(run.planned)} resources; seconds per step {run.seconds}")
    assert run.planned and set(run.planned.values()) == {"create"}
    unexplained = {address: sorted(attrs - MOCK_ARTEFACTS.keys())
                   for address, attrs in run.second_plan.items() if attrs - MOCK_ARTEFACTS.keys()}
    assert not unexplained, f"the plan after apply changes what apply made: {unexplained}"
    assert not run.left, f"left in AWS after destroy: {run.left}"


def test_the_readme_finds_the_repository_and_the_host_and_queries_the_events_as_written(runs):
    run = runs[WALKTHROUGH].result()
    assert run.cli["repository"] == f"123456789012.dkr.ecr.{REGION}.amazonaws.com/clicktrail"
    assert run.cli["console"].split()[0].startswith("i-")
    assert re.fullmatch(r"[0-9a-f-]{36}", json.loads(run.cli["query"])["QueryExecutionId"])


def test_a_new_image_updates_the_function_in_place_and_nothing_else(runs):
    run = runs[WALKTHROUGH].result()
    assert run.image_upgrade == {"module.ingest.aws_lambda_function.this": "update"}
    assert run.image_uri.endswith("/clicktrail:v2")


def test_a_new_bundle_replaces_the_kafka_host_and_keeps_its_data_volume(runs):
    run = runs[WALKTHROUGH].result()
    kafka = {a: action for a, action in run.upgrade.items() if a.startswith("module.kafka.")}
    others = {a: action for a, action in run.upgrade.items()
              if a not in kafka and a != "module.ingest.aws_lambda_function.this"}
    assert not others, f"a new image and bundle change more than the function and the Kafka hosts: {others}"
    # The hosts, their volumes' attachments, and the bundle's object (its key is its SHA-256).
    assert {a.split("[")[0] for a in kafka} == {
        "module.kafka.aws_instance.host", "module.kafka.aws_volume_attachment.data",
        "module.kafka.aws_s3_object.clicktrail"}, kafka
    assert set(kafka.values()) == {"replace"}, kafka
    (old_hosts, new_hosts), (old_volumes, new_volumes) = run.kafka_hosts, run.data_volumes
    assert new_volumes == old_volumes and old_volumes
    assert not set(new_hosts) & set(old_hosts)
    assert run.volumes_attached_to == sorted(new_hosts)


def test_enabling_session_manager_replaces_no_host(runs):
    run = runs[WALKTHROUGH].result()
    assert run.ssm_plan, "enable_ssm = true changed nothing"
    assert not {a: action for a, action in run.ssm_plan.items() if action in ("replace", "delete")}, run.ssm_plan


def test_destroy_keeps_a_bucket_that_holds_data_until_it_is_emptied(runs):
    run = runs[WALKTHROUGH].result()
    assert "BucketNotEmpty" in run.refused_destroy, run.refused_destroy
    print(f"left by the refused destroy: {run.kept_after_refusal}")  # shown with -s
    assert "module.bucket.aws_s3_bucket.this" in run.kept_after_refusal
    # The event's version, and the delete marker `aws s3 rm` put over it ("null": versioning
    # was suspended by the destroy), both left for the README's "and its old versions".
    assert len(run.event_versions) == 2 and "null" in run.event_versions, run.event_versions
    assert not run.left
