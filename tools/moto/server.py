"""moto's server (PyPI), with what hashicorp/aws calls that moto 5.2.6 lacks, or answers unlike AWS.

    .venv/bin/python tools/moto/server.py [--host 127.0.0.1] [--port 0] [--tls DIR]

prints its URL once it listens (port 0: a free one), then serves until killed. With --tls it
serves HTTPS with a certificate from a CA it writes to DIR/ca.pem, for clients to trust.
Each module here registers its additions to moto's classes before the first request (nothing in
site-packages is edited); README.md says what each adds and why.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import athena_json  # noqa: E402
import ec2_answers  # noqa: E402
import lambda_answers  # noqa: E402
import msk  # noqa: E402
import s3_policy  # noqa: E402
import s3_versioning  # noqa: E402
import tls  # noqa: E402


def register_extensions() -> None:
    athena_json.register()
    ec2_answers.register()
    lambda_answers.register()
    msk.register()
    s3_policy.register()
    s3_versioning.register()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", type=Path, metavar="DIR", help="serve HTTPS; the CA goes to DIR/ca.pem")
    args = parser.parse_args()

    register_extensions()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    context = tls.server_context(args.tls, args.host) if args.tls else None
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler,
                         ssl_context=context)
    print(f"{'https' if context else 'http'}://{args.host}:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
