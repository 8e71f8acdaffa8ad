"""deploy/terraform's operations, checked from the parsed configuration as test_terraform.py
checks the rest: Session Manager's endpoints and its agent's permissions, the VPC's flow logs,
the CloudWatch alarms and the sink-lag timer that feeds one of them on the Kafka hosts, whose
script is run against a /metrics captured from a real sink."""

from __future__ import annotations

import http.server
import re
import subprocess
import threading

from terraform_config import (EXAMPLE, SSM_AGENT_ACTIONS, TERRAFORM_DIR, Attr, Module, all_statements, mod, modules,
                              statements)


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
    # … and write to its one group, nothing else; list the account's groups of the region, as
    # AWS's documented role for flow logs does.
    write, find = statements(network, network.data("aws_iam_policy_document", "flow_logs"))
    assert set(write.actions) <= {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
    assert write.resources == ["aws_cloudwatch_log_group.flow_logs.arn",
                               '"${aws_cloudwatch_log_group.flow_logs.arn}:*"']
    assert find.actions == ["logs:DescribeLogGroups"]
    assert find.resources == ['"arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:'
                              '${data.aws_caller_identity.current.account_id}:log-group:*"']


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
