"""Lambda's GetFunction without an ImageConfig nobody set.

moto 5.2.6 answers every image function's configuration with an ImageConfigResponse holding
empty Command and EntryPoint lists. Lambda leaves out what the function was not given
(Lambda API reference, ImageConfigResponse / ImageConfig: each member optional), and the
provider turns the empty lists into an image_config block the configuration does not have, a
change at every plan.
"""

from __future__ import annotations


def register() -> None:
    from moto.awslambda.models import ImageConfig, LambdaFunction

    def response(self) -> dict:
        content = {"Command": self.cmd, "EntryPoint": self.entry_point, "WorkingDirectory": self.working_directory}
        return {k: v for k, v in content.items() if v}

    get_configuration = LambdaFunction.get_configuration

    def get_configuration_without_empty_image_config(self, *args, **kwargs):
        config = get_configuration(self, *args, **kwargs)
        if not config.get("ImageConfigResponse", {}).get("ImageConfig"):
            config.pop("ImageConfigResponse", None)
        return config

    ImageConfig.response = response
    LambdaFunction.get_configuration = get_configuration_without_empty_image_config
