"""deploy/terraform as data, for test_terraform.py: every .tf file parsed by HashiCorp's HCL
parser (tools/tfparse, built by tools/build-tfparse.sh) and read back here as modules, blocks and
attributes, with the few helpers the checks need (IAM statements, locals, templates)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import REPO_ROOT

TERRAFORM_DIR = REPO_ROOT / "deploy" / "terraform"


def built_tool(script: str) -> str:
    """Builds (or finds, when cached) a tool with its tools/build-*.sh; returns its path."""
    proc = subprocess.run([str(REPO_ROOT / "tools" / script)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"tools/{script} failed:\n{proc.stderr}"
    return proc.stdout.strip().splitlines()[-1]


@dataclass
class Attr:
    src: str
    refs: list[str]
    funcs: list[str]
    value: object = None
    has_value: bool = False
    items: list["Attr"] | None = None

    @staticmethod
    def of(raw: dict) -> "Attr":
        return Attr(raw["src"], raw["refs"], raw["funcs"], raw.get("value"), "value" in raw,
                    [Attr.of(i) for i in raw["items"]] if "items" in raw else None)


@dataclass
class Block:
    type: str
    labels: list[str]
    file: str
    line: int
    attrs: dict[str, Attr]
    blocks: list["Block"] = field(default_factory=list)

    @staticmethod
    def of(raw: dict) -> "Block":
        return Block(raw["type"], raw["labels"], raw["file"], raw["line"],
                     {k: Attr.of(v) for k, v in raw["attrs"].items()}, [Block.of(b) for b in raw["blocks"]])

    def where(self) -> str:
        return f"{self.file}:{self.line} ({self.type} {' '.join(self.labels)})"

    def value(self, name: str):
        """The constant value of attribute `name`; fails when it is absent or not a constant."""
        assert name in self.attrs, f"{self.where()} has no {name}"
        attr = self.attrs[name]
        assert attr.has_value, f"{self.where()}: {name} = {attr.src} is not a constant"
        return attr.value

    def children(self, type_: str) -> list["Block"]:
        """Nested blocks of a type, static ones and the content of `dynamic "type"` blocks."""
        out = [b for b in self.blocks if b.type == type_]
        for d in self.blocks:
            if d.type == "dynamic" and d.labels == [type_]:
                out += [c for c in d.blocks if c.type == "content"]
        return out

    def child(self, type_: str) -> "Block":
        found = self.children(type_)
        assert len(found) == 1, f"{self.where()}: expected one {type_} block, found {len(found)}"
        return found[0]


@dataclass
class Module:
    path: Path
    files: list[str]
    blocks: list[Block]

    @property
    def name(self) -> str:
        return self.path.relative_to(TERRAFORM_DIR).as_posix()

    def of_type(self, type_: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_]

    def resources(self, rtype: str) -> list[Block]:
        return [b for b in self.blocks if b.type == "resource" and b.labels[0] == rtype]

    def resource(self, rtype: str, name: str) -> Block:
        found = [b for b in self.resources(rtype) if b.labels[1] == name]
        assert len(found) == 1, f"{self.name}: no resource {rtype}.{name}"
        return found[0]

    def data(self, dtype: str, name: str) -> Block:
        found = [b for b in self.blocks if b.type == "data" and b.labels == [dtype, name]]
        assert len(found) == 1, f"{self.name}: no data {dtype}.{name}"
        return found[0]

    def locals(self) -> dict[str, Attr]:
        out: dict[str, Attr] = {}
        for b in self.of_type("locals"):
            out.update(b.attrs)
        return out

    def variables(self) -> dict[str, Block]:
        return {b.labels[0]: b for b in self.of_type("variable")}

    def outputs(self) -> dict[str, Block]:
        return {b.labels[0]: b for b in self.of_type("output")}

    def resolve(self, src: str) -> str:
        """A local's expression in place of `local.x` (repeatedly), so that a policy's resource
        written as local.sink_keys reads as the template it stands for."""
        for _ in range(10):
            m = re.fullmatch(r"local\.(\w+)", src.strip())
            if not m:
                break
            src = self.locals()[m.group(1)].src
        return src


def load() -> dict[str, Module]:
    """Every module under deploy/terraform, by its path relative to it (modules/bucket, …)."""
    tfparse = built_tool("build-tfparse.sh")
    proc = subprocess.run([tfparse, str(TERRAFORM_DIR)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"the HCL parser rejected deploy/terraform:\n{proc.stderr}"
    out = {}
    for path, raw in json.loads(proc.stdout)["modules"].items():
        module = Module(Path(path), raw["files"], [Block.of(b) for b in raw["blocks"]])
        out[module.name] = module
    return out


@dataclass
class Statement:
    """One statement of an aws_iam_policy_document, as written."""
    where: str
    effect: str
    actions: list[str]
    resources: list[str]  # each element's source text, locals resolved
    resources_src: str  # the whole attribute, for anything not a written-out list
    conditions: list[tuple[str, str, list[str]]]  # (test, variable, values as source)
    principals: list[tuple[str, str]]  # (type, identifiers as source)


def statements(module: Module, doc: Block) -> list[Statement]:
    out = []
    for s in doc.children("statement"):
        effect = s.value("effect") if "effect" in s.attrs else "Allow"
        actions = s.value("actions")
        res = s.attrs.get("resources")
        conditions = [(c.value("test"), c.value("variable"), c.attrs["values"].src) for c in s.children("condition")]
        principals = [(p.value("type"), p.attrs["identifiers"].src) for p in s.children("principals")]
        out.append(Statement(
            where=s.where(), effect=effect, actions=actions,
            resources=[module.resolve(i.src) for i in (res.items or [])] if res else [],
            resources_src=res.src if res else "",
            conditions=conditions, principals=principals))
    return out


def template_placeholders(text: str) -> set[str]:
    """Names used as ${name} in a templatefile() template ($${…} is a literal)."""
    return set(re.findall(r"(?<!\$)\$\{\s*([A-Za-z_]\w*)\s*\}", text))


def render_template(text: str, values: dict[str, str]) -> str:
    """What templatefile() would make of a template of plain ${name} placeholders."""
    out = re.sub(r"(?<!\$)\$\{\s*([A-Za-z_]\w*)\s*\}", lambda m: str(values[m.group(1)]), text)
    return out.replace("$${", "${").replace("%%{", "%{")


def evaluate(expression: str, variables: dict[str, str] | None = None) -> object:
    """The value of a Terraform expression (a module's local, say), as `terraform console`
    computes it, with each `var.NAME` of `variables` given; decoded from JSON. Skips the
    calling test when terraform is not on the PATH."""
    if not shutil.which("terraform"):
        pytest.skip("needs `terraform` on the PATH to evaluate the module's expressions")
    with tempfile.TemporaryDirectory() as scratch:
        declared = "".join(f'variable "{name}" {{\n  default = {json.dumps(value)}\n}}\n'
                           for name, value in (variables or {}).items())
        # A local in a configuration of its own: the console reads its input one line at a time.
        Path(scratch, "main.tf").write_text(f"{declared}locals {{\n  value = {expression}\n}}\n")
        proc = subprocess.run(["terraform", "console"], input="jsonencode(local.value)\n", capture_output=True,
                              text=True, timeout=60, cwd=scratch,
                              env={**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "CHECKPOINT_DISABLE": "1"})
    assert proc.returncode == 0, f"terraform console: {expression}\n{proc.stderr}"
    return json.loads(json.loads(proc.stdout))


# ---- shared by the tests of deploy/terraform ---------------------------------------------------

EXAMPLE = "examples/github-pages"
# What Session Manager's agent calls to register, keep its heartbeat and carry sessions (and, in
# agents before 3.3.40, poll for messages): the Kafka hosts' grant with ssm_sessions.
SSM_AGENT_ACTIONS = ["ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel",
                     "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
                     "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
                     "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply"]


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return load()


def mod(modules: dict[str, Module], name: str) -> Module:
    key = name if name.startswith("examples/") else f"modules/{name}"
    assert key in modules, f"deploy/terraform/{key} has no .tf files"
    return modules[key]


def walk(block: Block, iterators: frozenset[str]):
    """(block, attribute name, attribute, names of the dynamic blocks' iterators in scope)."""
    if block.type == "dynamic":
        it = block.attrs.get("iterator")
        iterators = iterators | {it.src if it else block.labels[0]}
    for name, attr in block.attrs.items():
        yield block, name, attr, iterators
    for child in block.blocks:
        yield from walk(child, iterators)


def all_statements(modules: dict[str, Module]):
    """(module, statement) of every IAM policy document; fails on a policy written as JSON."""
    for m in modules.values():
        for doc in m.of_type("data"):
            if doc.labels[0] == "aws_iam_policy_document":
                for s in statements(m, doc):
                    yield m, s
        for b in m.blocks:
            for _, name, attr, _ in walk(b, frozenset()):
                assert not re.search(r'"(Action|Resource)"\s*[:=]', attr.src), \
                    f"{b.where()}: write IAM policies as aws_iam_policy_document, which these checks read"
