"""Four of moto 5.2.6's EC2 answers, made to say what EC2 says.

The first three make a resource of deploy/terraform drift at every plan against moto, where EC2
would give back what was created; the fourth stops a host from being replaced:

- DescribeInstances lists an instance's security groups only when RunInstances named them at
  the top level. The provider names them on the primary network interface (it does so whenever
  associate_public_ip_address is set), and EC2 then lists that interface's groups as the
  instance's (EC2 API reference, Instance.SecurityGroups). moto listing none makes
  vpc_security_group_ids differ.
- A network interface without a public address carries an empty Association; EC2 leaves
  Association out (NetworkInterface.Association: "the association information for an Elastic IP
  address (IPv4)"). The provider reads associate_public_ip_address as true from any
  Association, which forces the instance's replacement.
- A security group rule's Description is kept only for a rule on a CIDR range; EC2 keeps it for
  every kind (SecurityGroupRule.Description), the provider sends it for rules that reference a
  security group or a prefix list too.
- A terminated instance keeps its private address, because moto deletes the network interface
  RunInstances made only when the request said DeleteOnTermination. EC2 deletes it unless the
  request said otherwise (InstanceNetworkInterfaceSpecification.DeleteOnTermination, "default
  true" for an interface created at launch), and the address is free again: the replacement
  of a host with a fixed private_ip (the kafka module's) is then refused, "IP already in use".
"""

from __future__ import annotations

import inspect


def register() -> None:
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface
    from moto.ec2.models.instances import InstanceBackend
    from moto.ec2.models.security_groups import SecurityGroupRule

    run_instances = InstanceBackend.run_instances

    def run_instances_as_ec2_does(self, *args, **kwargs):
        reservation = run_instances(self, *args, **kwargs)
        specs = {int(s.get("DeviceIndex", 0)): s for s in kwargs.get("nics") or []}
        for instance in reservation.instances:
            primary = instance.nics.get(0)
            if not instance.security_groups and primary is not None:
                instance.security_groups = list(primary._group_set)
            for index, nic in instance.nics.items():
                spec = specs.get(index, {})
                made_here = not spec.get("NetworkInterfaceId")
                if made_here and str(spec.get("DeleteOnTermination", "true")).lower() != "false":
                    nic.delete_on_termination = True
        return reservation

    InstanceBackend.run_instances = run_instances_as_ec2_does

    association = NetworkInterface.association.fget
    NetworkInterface.association = property(lambda self: association(self) or None)

    rule_init = SecurityGroupRule.__init__
    rule_signature = inspect.signature(rule_init)

    def rule_init_keeping_descriptions(self, *args, **kwargs):
        rule_init(self, *args, **kwargs)
        bound = rule_signature.bind(self, *args, **kwargs).arguments
        self._source_descriptions = [d.get("Description") for d in (bound.get("source_group"), bound.get("prefix_list_id"))
                                     if isinstance(d, dict)]

    SecurityGroupRule.__init__ = rule_init_keeping_descriptions
    SecurityGroupRule.description = property(
        lambda self: self.ip_range.get("Description")
        or next((d for d in getattr(self, "_source_descriptions", []) if d), None))
